"""Migration 0012 (InvoiceCopy → RemoteDocument, purposes, roles) on a database filled like the demo: every copy,
mapping, contact link and log entry is still there afterwards, each copy as an invoice document, each mapping
for sales, each link a customer one; and migrating back keeps them too.

rename_remote_document: skip (this module builds the state before the rename with the historical model names)
"""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from billing.demo import demo_seed
from billing.models import Invoice, ServiceType, TaxRate
from integrations.models import (
    ContactLink,
    ContactRole,
    DocumentKind,
    MappingPurpose,
    RemoteDocument,
    ServiceTypeMapping,
    SyncLogEntry,
    TaxRateMapping,
)

BEFORE = [("integrations", "0011_grants")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


def _fill_old_tables(apps) -> dict:
    """Copies, links, mappings and log entries over the demo's invoices, in the tables before 0012."""
    Connection = apps.get_model("integrations", "Connection")
    InvoiceCopy = apps.get_model("integrations", "InvoiceCopy")
    invoices = list(Invoice.objects.exclude(number="").order_by("pk")[:6])
    assert len(invoices) == 6, "the demo has finalized invoices"
    first = invoices[0]
    xero = Connection.objects.create(
        organization_id=first.organization_id,
        subsidiary_id=first.subsidiary_id,
        provider="xero",
        name="Xero (demo)",
        remote_tenant_id="tenant-demo",
        settings={"numbering": "app", "default_account": "200"},
    )
    copies = {}
    for index, invoice in enumerate(invoices):
        status = ("succeeded", "failed", "pending")[index % 3]
        copies[invoice.pk] = InvoiceCopy.objects.create(
            organization_id=invoice.organization_id,
            invoice_id=invoice.pk,
            connection=xero,
            idempotency_key=f"key-{invoice.pk}",
            status=status,
            remote_id=f"remote-{invoice.pk}" if status == "succeeded" else "",
            remote_number=invoice.number,
            remote_url=f"https://go.xero.com/{invoice.pk}" if status == "succeeded" else "",
            is_latest=status == "succeeded",
            remote_total=invoice.total if status == "succeeded" else None,
            error="Xero refused it." if status == "failed" else "",
            outcome_unknown=status == "pending",
        ).pk
    companies = {invoice.company_id for invoice in invoices}
    for company_id in companies:
        apps.get_model("integrations", "ContactLink").objects.create(
            connection=xero, company_id=company_id, remote_id=f"contact-{company_id}", remote_name="Demo client"
        )
    for service_type in ServiceType.objects.filter(organization_id=first.organization_id):
        apps.get_model("integrations", "ServiceTypeMapping").objects.create(
            connection=xero, service_type_id=service_type.pk, remote_code="200", remote_name="Omzet"
        )
    for rate in TaxRate.objects.filter(organization_id=first.organization_id):
        apps.get_model("integrations", "TaxRateMapping").objects.create(
            connection=xero, tax_rate_id=rate.pk, remote_code="OUTPUT2", remote_name="Hoog tarief"
        )
    for invoice in invoices:
        apps.get_model("integrations", "SyncLogEntry").objects.create(
            organization_id=invoice.organization_id,
            connection=xero,
            invoice_id=invoice.pk,
            level="info",
            action="invoice.created",
            message="Copied.",
        )
    return {"connection": xero.pk, "copies": copies, "companies": companies}


@pytest.mark.django_db(transaction=True)
def test_every_copy_mapping_link_and_log_entry_of_a_demo_database_survives_0012_both_ways():
    executor = _migrate(BEFORE)
    try:
        demo_seed()
        old = _fill_old_tables(executor.loader.project_state(BEFORE).apps)
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    documents = RemoteDocument.objects.filter(connection_id=old["connection"])
    assert {d.invoice_id: d.pk for d in documents} == old["copies"], "every copy kept its row and its invoice"
    assert set(documents.values_list("kind", flat=True)) == {DocumentKind.INVOICE}
    assert not documents.exclude(expense=None).exists() and not documents.exclude(purchase_order=None).exists()
    succeeded = documents.filter(status="succeeded")
    assert succeeded.count() == 2 and all(d.is_latest and d.remote_total == d.invoice.total for d in succeeded)
    assert all(d.outcome_unknown for d in documents.filter(status="pending"))
    assert all(d.error for d in documents.filter(status="failed"))
    assert all(d.document == d.invoice for d in documents)

    links = ContactLink.objects.filter(connection_id=old["connection"])
    assert set(links.values_list("company_id", flat=True)) == old["companies"]
    assert set(links.values_list("role", flat=True)) == {ContactRole.CUSTOMER}
    for model in (ServiceTypeMapping, TaxRateMapping):
        rows = model.objects.filter(connection_id=old["connection"])
        assert rows.exists() and set(rows.values_list("purpose", flat=True)) == {MappingPurpose.SALES}, model
    entries = SyncLogEntry.objects.filter(connection_id=old["connection"])
    assert set(entries.values_list("invoice_id", flat=True)) == set(old["copies"])
    assert not entries.exclude(expense=None).exists()

    # Back before 0012 (invoice-only rows): nothing is lost on the way down either.
    executor = _migrate(BEFORE)
    try:
        apps = executor.loader.project_state(BEFORE).apps
        back = apps.get_model("integrations", "InvoiceCopy").objects.filter(connection_id=old["connection"])
        assert dict(back.values_list("invoice_id", "pk")) == old["copies"]
        assert apps.get_model("integrations", "ContactLink").objects.count() == len(old["companies"])
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    assert RemoteDocument.objects.filter(connection_id=old["connection"]).count() == len(old["copies"])
