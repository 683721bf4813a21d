"""Rows the benches build in bulk (one query per thousand, not through the services: the figures are about what
is measured, not about building the data)."""

from __future__ import annotations

import datetime
from decimal import Decimal

DAY = datetime.date(2026, 2, 1)


def finalized_invoices(organization, subsidiary, company, count: int, *, total: Decimal = Decimal("1000.00")) -> list:
    """`count` finalized EUR invoices INV-000000…, issued on DAY and due 30 days later, without lines (their
    stored totals are what the syncs and reconciliation read)."""
    from billing.choices import InvoiceStatus
    from billing.models import Invoice

    return Invoice.objects.bulk_create(
        [
            Invoice(
                organization=organization,
                subsidiary=subsidiary,
                company=company,
                number=f"INV-{i:06d}",
                issue_date=DAY,
                due_date=DAY + datetime.timedelta(days=30),
                currency="EUR",
                status=InvoiceStatus.FINALIZED,
                subtotal=total,
                total=total,
            )
            for i in range(count)
        ],
        batch_size=1000,
    )
