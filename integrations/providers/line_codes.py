"""The remote code a line of ours is sent with (Xero's account, QuickBooks' item, Exact's ledger, e-conomic's
product): its service type's link when it has one, else the setup's default; and where that came from, shown in
the copy prompt's preview. Every provider maps lines this way, so the rule lives once."""

from __future__ import annotations


def code_for_line(line, by_service_type: dict, default: str, default_source: str) -> tuple[str, str]:
    if line.service_type_id and by_service_type.get(line.service_type_id):
        return by_service_type[line.service_type_id], f"service type {line.service_type}"
    return default, default_source
