"""The copy form's one-time attempt key: a form sent twice (double click, "Create new" clicked twice, a resent
POST) is one attempt and at most one remote invoice; a fresh form is a fresh attempt."""

import re
import threading
import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection as db_connection

from billing.services import LineInput
from integrations.models import CopyStatus, RemoteDocument, TaxRateMapping
from integrations.services.invoice_copy import invoice_copy
from tests.factories import TaxRateFactory, make_invoice

from .factories import ConnectionFactory

API = "https://api.xero.com/api.xro/2.0"


@pytest.fixture
def xero_connection(organization, subsidiary):
    vat = TaxRateFactory(organization=organization, name="VAT", percentage=Decimal("21"))
    connection = ConnectionFactory(
        organization=organization,
        subsidiary=subsidiary,
        name="Acme Xero",
        settings={"numbering": "app", "default_account": "200"},
    )
    TaxRateMapping.objects.create(connection=connection, tax_rate=vat, remote_code="OUTPUT2")
    return connection


@pytest.fixture
def invoice(subsidiary, xero_connection):
    vat = xero_connection.tax_rate_mappings.get().tax_rate
    return make_invoice(
        subsidiary=subsidiary, lines=[LineInput("Design", Decimal("2"), Decimal("100.00"), None, vat)], finalize=True
    )


def invoice_writes(xero):
    return [r for r in xero.requests if "/Invoices" in r.url and r.method in ("PUT", "POST")]


def key() -> str:
    return str(uuid.uuid4())


@pytest.mark.django_db
def test_the_same_form_sent_twice_is_one_attempt_and_one_write(xero, xero_connection, invoice):
    attempt = key()
    first = invoice_copy(invoice=invoice, connection=xero_connection, attempt_key=attempt)
    second = invoice_copy(invoice=invoice, connection=xero_connection, attempt_key=attempt)

    assert first.idempotency_key == attempt and second.pk == first.pk
    assert second.status == CopyStatus.SUCCEEDED and second.is_latest
    assert xero.creates == 1 and len(invoice_writes(xero)) == 1
    assert invoice_writes(xero)[0].headers["Idempotency-Key"] == attempt
    assert RemoteDocument.objects.filter(invoice=invoice).count() == 1


@pytest.mark.django_db
def test_create_new_clicked_twice_makes_one_new_invoice(xero, xero_connection, invoice):
    original = invoice_copy(invoice=invoice, connection=xero_connection, attempt_key=key())
    form = key()

    new = invoice_copy(invoice=invoice, connection=xero_connection, mode="new", attempt_key=form)
    again = invoice_copy(invoice=invoice, connection=xero_connection, mode="new", attempt_key=form)

    assert again.pk == new.pk and new.remote_id != original.remote_id
    assert len(xero.invoices) == 2 and xero.creates == 2
    assert list(RemoteDocument.objects.filter(invoice=invoice, is_latest=True)) == [again]


@pytest.mark.django_db
def test_a_fresh_form_is_a_fresh_attempt(xero, xero_connection, invoice):
    invoice_copy(invoice=invoice, connection=xero_connection, attempt_key=key())
    invoice_copy(invoice=invoice, connection=xero_connection, mode="new", attempt_key=key())
    invoice_copy(invoice=invoice, connection=xero_connection, mode="new", attempt_key=key())

    assert len(xero.invoices) == 3 and RemoteDocument.objects.filter(invoice=invoice).count() == 3


@pytest.mark.django_db
def test_without_a_key_each_call_gets_a_new_one(xero, xero_connection, invoice):
    first = invoice_copy(invoice=invoice, connection=xero_connection)
    second = invoice_copy(invoice=invoice, connection=xero_connection)

    assert first.pk != second.pk and first.idempotency_key != second.idempotency_key
    assert uuid.UUID(first.idempotency_key).version == 4


@pytest.mark.django_db
def test_a_failed_attempt_is_not_resent_by_its_form(xero, xero_connection, invoice):
    xero.refuse_with = ["Account code '200' is not a valid code for this document."]
    form = key()
    with pytest.raises(Exception, match="not a valid code"):
        invoice_copy(invoice=invoice, connection=xero_connection, attempt_key=form)
    xero.refuse_with = []
    writes = len(invoice_writes(xero))

    with pytest.raises(ValidationError, match=re.escape("already sent and failed")):
        invoice_copy(invoice=invoice, connection=xero_connection, attempt_key=form)
    assert len(invoice_writes(xero)) == writes

    retry = invoice_copy(invoice=invoice, connection=xero_connection, attempt_key=key())  # the page's new form
    assert retry.status == CopyStatus.SUCCEEDED and len(xero.invoices) == 1


@pytest.mark.django_db
def test_a_key_of_another_invoice_or_a_damaged_key_is_refused(mock, xero, xero_connection, invoice, subsidiary):
    vat = xero_connection.tax_rate_mappings.get().tax_rate
    other = make_invoice(subsidiary=subsidiary, lines=[LineInput("X", 1, Decimal("5.00"), None, vat)], finalize=True)
    form = key()
    invoice_copy(invoice=other, connection=xero_connection, attempt_key=form)
    calls = len(mock.calls)

    with pytest.raises(ValidationError, match="another copy"):
        invoice_copy(invoice=invoice, connection=xero_connection, attempt_key=form)
    with pytest.raises(ValidationError, match="damaged"):
        invoice_copy(invoice=invoice, connection=xero_connection, attempt_key="not-a-uuid")

    assert len(mock.calls) == calls and not RemoteDocument.objects.filter(invoice=invoice).exists()


@pytest.mark.django_db
def test_the_copy_page_renders_a_key_and_a_resent_form_is_one_copy(admin_client, xero, xero_connection, invoice):
    url = f"/integrations/invoices/{invoice.pk}/copy/{xero_connection.pk}/"
    page = admin_client.get(url).content.decode()
    rendered = re.search(r'name="attempt" value="([0-9a-f-]{36})"', page).group(1)
    assert rendered != re.search(r'name="attempt" value="([0-9a-f-]{36})"', admin_client.get(url).content.decode())[1]

    for _ in range(2):
        response = admin_client.post(url, {"mode": "update", "contact": "", "attempt": rendered})
        assert response.status_code == 302
    assert xero.creates == 1 and len(invoice_writes(xero)) == 1
    assert RemoteDocument.objects.get(invoice=invoice).idempotency_key == rendered

    # The invoice panel's Update existing / Create new lead to this prompt (confirm first), whose form has a key.
    panel = admin_client.get(invoice.get_absolute_url()).content.decode()
    assert f'href="{url}?mode=update"' in panel and f'href="{url}?mode=new"' in panel
    assert re.search(r'name="attempt" value="[0-9a-f-]{36}"', admin_client.get(f"{url}?mode=new").content.decode())


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_sends_of_one_form_make_one_remote_invoice(xero, xero_connection, invoice):
    if db_connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (SQLite serialises writers but not this interleaving)")
    form, results, errors = key(), [], []
    barrier = threading.Barrier(3)

    def send():
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            results.append(invoice_copy(invoice=invoice, connection=xero_connection, mode="new", attempt_key=form))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=send) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors
    assert len(xero.invoices) == 1 and {copy.pk for copy in results} == {RemoteDocument.objects.get().pk}
