"""Demo data for `manage.py seed_demo`: two agencies, their users, master data and billing history.

Idempotent and deterministic. Master data (users, organizations, subsidiaries, companies, service types,
tax rates, budgets) is found or created by natural key; the history (invoices, payments, expenses,
purchase orders) is written once per organization, through billing.services, and skipped when the
organization already has some. Dates are relative to the day of the first run, so the demo looks
current; random choices come from a fixed seed.

The data is billing.demo.data; what seeds it: master_data (organizations, master data, logins) and history
(invoices and payments, expenses, purchase orders).
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from .data import DEMO, DEMO_LOGINS, DEMO_ORGANIZATION, NL, OTHER, OTHER_ORGANIZATION, UK
from .history import seed_history
from .master_data import SeedResult, seed_api_token, seed_login, seed_master_data

__all__ = ["DEMO_LOGINS", "DEMO_ORGANIZATION", "NL", "OTHER_ORGANIZATION", "UK", "SeedResult", "demo_seed"]


def demo_seed(*, today: datetime.date | None = None) -> SeedResult:
    """Create the demo data that is missing; running it again changes nothing."""
    today = today or timezone.localdate()
    result = SeedResult()
    with transaction.atomic():
        for spec in (DEMO, OTHER):
            tenant = seed_master_data(spec, result)
            seed_history(spec, tenant, today, result)
        for login in DEMO_LOGINS:
            seed_login(login, result)
        seed_api_token(result)
    return result
