"""The remote code a line of ours is sent with (Xero's account, QuickBooks' item, Exact's ledger, e-conomic's
product): its service type's link when it has one, else the setup's default; and where that came from, shown in
the copy prompt's preview; and the prompt's problem when neither gives one. Every provider maps lines this way, so
the rule lives once."""

from __future__ import annotations


def code_for_line(line, by_service_type: dict, default: str, default_source: str) -> tuple[str, str]:
    if line.service_type_id and by_service_type.get(line.service_type_id):
        return by_service_type[line.service_type_id], f"service type {line.service_type}"
    return default, default_source


def line_code_missing(index: int, line, *, provider: str, code: str, default: str = "", setup: str = "") -> str:
    """The copy prompt's problem for line `index` when code_for_line found no `code` ("item", "account"): what to
    map (its service type, or lines without one) or which `default` to choose (the setup's name for it; "default
    <code>" unless given), and where (`setup`; "the <provider> setup" unless given)."""
    what = f"service type “{line.service_type}”" if line.service_type_id else "lines without a service type"
    article = "an" if code[:1] in "aeiou" else "a"
    default = default or f"default {code}"
    setup = setup or f"the {provider} setup"
    return (
        f"Line {index} (“{line.description}”): no {provider} {code} — map {what} to {article} {code} "
        f"or choose a {default} in {setup}."
    )
