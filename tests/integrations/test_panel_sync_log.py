"""The invoice page's sync log speaks to people: one entry per event, no raw HTTP lines (those stay in the admin),
amounts as money, long text wrapped inside the panel."""

import datetime
import re
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

from integrations.exceptions import IntegrationError
from integrations.models import CopyStatus, RemoteDocument, SyncLogEntry, TaxRateMapping
from integrations.providers.base import RemoteInvoice
from integrations.services.copy_totals import invoice_copy_total_check
from integrations.services.invoice_copy import invoice_copy
from integrations.services.payments_sync import _superseded_refusal
from tests.factories import TaxRateFactory, UserFactory, make_invoice

from .factories import ConnectionFactory

pytestmark = pytest.mark.django_db

REFUSAL = "Email address must be valid."


@pytest.fixture
def copy_setup(organization, subsidiary):
    vat = TaxRateFactory(organization=organization, percentage=Decimal("21"))
    connection = ConnectionFactory(
        organization=organization, subsidiary=subsidiary, settings={"numbering": "app", "default_account": "200"}
    )
    TaxRateMapping.objects.create(connection=connection, tax_rate=vat, remote_code="OUTPUT2")
    invoice = make_invoice(organization=organization, subsidiary=subsidiary, finalize=True)
    return connection, invoice


def sync_log(page: str) -> list[str]:
    section = page.split('<ul class="sync-log">', 1)[1].split("</ul>", 1)[0]
    return [re.sub(r"\s+", " ", item).strip() for item in re.findall(r"<li[^>]*>(.*?)</li>", section, re.S)]


def test_a_refusal_reads_once_without_http_lines_and_the_admin_keeps_them(copy_setup, xero, admin_client):
    connection, invoice = copy_setup
    xero.refuse_with = [REFUSAL]
    with pytest.raises(IntegrationError):
        invoice_copy(invoice=invoice, connection=connection)

    entries = sync_log(admin_client.get(invoice.get_absolute_url()).content.decode())
    assert [e for e in entries if REFUSAL in e] and len([e for e in entries if REFUSAL in e]) == 1, entries
    assert not [e for e in entries if "HTTP" in e or "PUT" in e or "/Invoices" in e], entries

    http_lines = SyncLogEntry.objects.filter(invoice=invoice, is_http_call=True)
    assert http_lines.filter(http_status=400).exists()  # the raw call is still logged ...
    support = UserFactory(email="support@staff.test", is_staff=True, is_superuser=True)
    staff = Client()
    staff.force_login(support)
    admin_list = staff.get(reverse("admin:integrations_synclogentry_changelist")).content.decode()
    for line in http_lines:  # ... and support reads it in the admin
        assert reverse("admin:integrations_synclogentry_change", args=[line.pk]) in admin_list


def test_a_successful_copy_reads_as_what_happened(copy_setup, xero, admin_client):
    connection, invoice = copy_setup
    copy = invoice_copy(invoice=invoice, connection=connection)
    entries = sync_log(admin_client.get(invoice.get_absolute_url()).content.decode())
    assert [e for e in entries if f"Copied as {connection.name} invoice {copy.remote_number}." in e]
    assert not [e for e in entries if "accepted" in e or "HTTP" in e], entries


@override_settings(TIME_ZONE="UTC")
def test_the_panel_dates_read_like_the_product_pages(copy_setup, xero, admin_client):
    """The product's pages write dates as "3 Dec 2026" (templates/billing); the panel's copy and log times too."""
    connection, invoice = copy_setup
    copy = invoice_copy(invoice=invoice, connection=connection)
    moment = datetime.datetime(2026, 12, 3, 8, 24, tzinfo=datetime.UTC)
    RemoteDocument.objects.filter(pk=copy.pk).update(updated_at=moment)
    SyncLogEntry.objects.filter(invoice=invoice).update(created_at=moment)

    page = admin_client.get(invoice.get_absolute_url()).content.decode()
    assert "Copied 3 Dec 2026 08:24" in page
    assert all(entry.startswith("3 Dec 2026 08:24 · ") for entry in sync_log(page))
    assert "2026-12-03" not in page


def test_total_mismatch_entry_formats_money(copy_setup, admin_client):
    connection, invoice = copy_setup
    copy = RemoteDocument.objects.create(
        organization=invoice.organization,
        invoice=invoice,
        connection=connection,
        idempotency_key=str(uuid.uuid4()),
        status=CopyStatus.SUCCEEDED,
        is_latest=True,
    )
    remote_total = invoice.total + Decimal("1000.01")
    invoice_copy_total_check(copy=copy, invoice=invoice, remote=RemoteInvoice(id="r-1", total=remote_total))
    entries = sync_log(admin_client.get(invoice.get_absolute_url()).content.decode())
    (mismatch,) = [e for e in entries if "computed a total" in e]
    assert f"{remote_total:,.2f} {invoice.currency}" in mismatch
    assert f"{invoice.total:,.2f} {invoice.currency}" in mismatch


def test_superseded_payment_refusal_formats_money():
    class Record:
        id, amount, currency = "p-1", Decimal("1234.5"), "EUR"
        updated_at = datetime.datetime(2026, 6, 2, tzinfo=datetime.UTC)

    text = _superseded_refusal(Record, datetime.datetime(2026, 6, 1, tzinfo=datetime.UTC))
    assert "of 1,234.50 EUR is on a copy" in text


def test_long_log_text_wraps_inside_the_panel():
    css = (Path(settings.BASE_DIR) / "static/css/app.css").read_text()
    rule = re.search(r"\.integrations-panel \.sync-log li[^{]*\{([^}]*)\}", css)
    assert rule and "overflow-wrap: anywhere" in rule.group(1)
