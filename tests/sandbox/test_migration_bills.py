"""Migration 0004_xero_bills: demo organisations created before it get the expense-type accounts, purchase tax
rates and supplier that new ones are created with, and the sales payment terms; what they had stays as it was."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from integrations.sandbox.models import XeroAccount, XeroContact, XeroOrg, XeroTaxRate
from integrations.sandbox.xero.demo import DESIGN_TENANT_ID, ORGS, TRADING_TENANT_ID

BEFORE = [("sandbox", "0003_quickbooks")]
AFTER = [("sandbox", "0004_xero_bills")]
NOW = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


def _old_demo_orgs(apps) -> None:
    """The demo organisations as the previous demo.py created them: 400/429 the only expense accounts."""
    org_model, account = apps.get_model("sandbox", "XeroOrg"), apps.get_model("sandbox", "XeroAccount")
    common = {"legal_name": "x", "version": "UK", "timezone": "UTC", "short_code": "!x", "created_at": NOW}
    for tenant_id, currency in ((TRADING_TENANT_ID, "GBP"), (DESIGN_TENANT_ID, "EUR")):
        org = org_model.objects.create(
            tenant_id=tenant_id, name=tenant_id, base_currency=currency, country_code="GB", **common
        )
        for code, kind in (("090", "BANK"), ("400", "EXPENSE"), ("404", "EXPENSE")):
            account.objects.create(org=org, code=code, name=f"Old {code}", type=kind, updated_at=NOW)


@pytest.mark.django_db(transaction=True)
def test_old_demo_organisations_are_topped_up_like_new_ones():
    executor = _migrate(BEFORE)
    try:
        _old_demo_orgs(executor.loader.project_state(BEFORE).apps)
        _migrate(AFTER)
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    for spec in ORGS:
        org = XeroOrg.objects.get(tenant_id=spec["tenant_id"])
        assert org.payment_terms == {"Sales": {"Day": 30, "Type": "DAYSAFTERBILLDATE"}}
        codes = set(XeroAccount.objects.filter(org=org).values_list("code", flat=True))
        expense_codes = {code for code, _, kind, _ in spec["accounts"] if kind in ("DIRECTCOSTS", "OVERHEADS")}
        assert expense_codes <= codes
        purchase_taxes = {t for t, *_, revenue, expenses in spec["tax_rates"] if expenses and not revenue}
        assert set(XeroTaxRate.objects.filter(org=org).values_list("tax_type", flat=True)) >= purchase_taxes - {
            "INPUT2",
            "INPUT",
        }
        suppliers = [name for name, _, _, supplier in spec["contacts"] if supplier]
        if spec["tenant_id"] == DESIGN_TENANT_ID:
            assert XeroContact.objects.filter(org=org, name__in=suppliers, is_supplier=True).count() == 1
    # An account that was there keeps its own name and type.
    kept = XeroAccount.objects.get(org__tenant_id=TRADING_TENANT_ID, code="404")
    assert (kept.name, kept.type) == ("Old 404", "EXPENSE")
