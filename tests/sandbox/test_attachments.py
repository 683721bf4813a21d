"""Attachments of bills and invoices over HTTP, as the recorded fixture (test_invoice_attachment_upload_and_download
.yaml) and the spec show them: the raw file as the body, its MIME type from the file name, the list, the file by
name or AttachmentID, one name per document, Xero's 10 MB limit (413) and its other refusals."""

import pytest
import yaml
from django.test import Client, override_settings

from integrations.sandbox.models import XeroAttachment, XeroInvoice
from integrations.sandbox.xero.demo import TRADING_TENANT_ID
from tests.provider_specs import PROVIDER_SPECS_DIR

from .conftest import API, SCOPE, XeroSandbox
from .test_bills import bill, put_bills

FIXTURE = PROVIDER_SPECS_DIR / "xero" / "test_invoice_attachment_upload_and_download.yaml"
PDF = b"%PDF-1.7\r%\xc8\xc8\r1 0 obj\n<</Type/Catalog>>\nendobj\ntrailer\n<</Root 1 0 R>>\n%%EOF\n"
PAGE = f"/sandbox/xero/orgs/{TRADING_TENANT_ID}/"


@pytest.fixture
def with_attachments(xero):
    """Connected with the accounting.attachments scope, as an app that attaches receipts must ask for."""
    code = xero.consent(scope=SCOPE + " accounting.attachments")["code"]
    xero.access_token = xero.exchange(code).json()["access_token"]
    return xero


def upload(xero, invoice_id: str, name: str, content: bytes, method="put", query="", **headers):
    url = f"{API}/Invoices/{invoice_id}/Attachments/{name}{query}"
    call = getattr(xero.client, method)
    return call(
        url, content, content_type=headers.pop("content_type", "application/octet-stream"), **xero.headers(**headers)
    )


def a_bill(xero) -> dict:
    return put_bills(xero, bill(xero)).json()["Invoices"][0]


def test_round_trip_as_in_the_recorded_fixture(with_attachments, schemas):
    created = a_bill(with_attachments)
    response = upload(with_attachments, created["InvoiceID"], "inv-0032.pdf", PDF, query="?IncludeOnline=True")
    assert response.status_code == 200
    body = response.json()
    schemas.assert_valid(body, "Attachments")
    (attachment,) = body["Attachments"]
    assert (attachment["FileName"], attachment["MimeType"]) == ("inv-0032.pdf", "application/pdf")
    assert (attachment["ContentLength"], attachment["IncludeOnline"]) == (len(PDF), True)
    assert attachment["Url"].endswith(f"/api.xro/2.0/Invoices/{created['InvoiceID']}/Attachments/inv-0032.pdf")

    listed = with_attachments.get(f"Invoices/{created['InvoiceID']}/Attachments").json()
    schemas.assert_valid(listed, "Attachments")
    assert listed["Attachments"] == [attachment]

    for key in ("inv-0032.pdf", attachment["AttachmentID"]):
        # As the SDK asks for the file: Accept application/octet-stream and the type in a contentType header.
        file = with_attachments.get(
            f"Invoices/{created['InvoiceID']}/Attachments/{key}",
            accept="application/octet-stream",
            contentType="application/pdf",
        )
        assert file.status_code == 200 and file["Content-Type"] == "application/pdf"
        assert file.content == PDF

    invoice = with_attachments.get(f"Invoices/{created['InvoiceID']}").json()
    schemas.assert_valid(invoice, "Invoices")
    assert invoice["Invoices"][0]["HasAttachments"] is True
    assert invoice["Invoices"][0]["Attachments"] == [attachment]
    listed_invoices = with_attachments.get("Invoices", {"IDs": created["InvoiceID"]}).json()["Invoices"]
    assert listed_invoices[0]["HasAttachments"] is True and "Attachments" not in listed_invoices[0]


def test_the_fixture_shapes_agree_with_ours(with_attachments):
    if not FIXTURE.exists():
        pytest.skip(f"recorded fixture not found at {FIXTURE}")
    import json

    recorded = yaml.safe_load(FIXTURE.read_text())["interactions"]
    put = json.loads(recorded[1]["response"]["body"]["string"])["Attachments"][0]
    created = a_bill(with_attachments)
    ours = upload(with_attachments, created["InvoiceID"], "inv-0032.pdf", PDF, query="?IncludeOnline=True")
    assert set(ours.json()["Attachments"][0]) == set(put)
    assert recorded[1]["request"]["headers"]["Content-Type"] == ["application/octet-stream"]
    assert put["MimeType"] == "application/pdf"  # Xero named the type from the file name, as we do


def test_mime_type_follows_the_file_name_then_the_declared_type(with_attachments):
    created = a_bill(with_attachments)
    cases = {
        "receipt.png": ("application/octet-stream", "image/png"),
        "receipt.jpg": ("image/jpeg", "image/jpg"),  # as Xero's examples name it
        "receipt": ("image/png", "image/png"),
        "notes": ("application/octet-stream", "application/octet-stream"),
    }
    for name, (sent, expected) in cases.items():
        response = upload(with_attachments, created["InvoiceID"], name, b"x", content_type=sent)
        assert response.json()["Attachments"][0]["MimeType"] == expected, name


def test_the_same_name_replaces_the_file_and_post_updates_it(with_attachments):
    created = a_bill(with_attachments)
    first = upload(with_attachments, created["InvoiceID"], "receipt.pdf", PDF).json()["Attachments"][0]
    second = upload(with_attachments, created["InvoiceID"], "receipt.pdf", PDF + b"2", method="post").json()
    assert second["Attachments"][0]["AttachmentID"] == first["AttachmentID"]
    assert second["Attachments"][0]["ContentLength"] == len(PDF) + 1
    assert XeroAttachment.objects.count() == 1
    assert "IncludeOnline" not in second["Attachments"][0]


def test_idempotency_key_replays_an_upload(with_attachments):
    created = a_bill(with_attachments)
    key = {"Idempotency-Key": "receipt-41"}
    first = upload(with_attachments, created["InvoiceID"], "a.pdf", PDF, **key)
    again = upload(with_attachments, created["InvoiceID"], "b.pdf", PDF, **key)
    assert (first.status_code, first.content) == (again.status_code, again.content)
    assert list(XeroAttachment.objects.values_list("file_name", flat=True)) == ["a.pdf"]


def test_files_over_xeros_limit_are_a_413_and_nothing_is_stored(with_attachments, schemas):
    created = a_bill(with_attachments)
    with override_settings(SANDBOX_XERO_ATTACHMENT_MAX_BYTES=1000):
        at_limit = upload(with_attachments, created["InvoiceID"], "ok.pdf", b"x" * 1000)
        over = upload(with_attachments, created["InvoiceID"], "big.pdf", b"x" * 1001)
    assert at_limit.status_code == 200
    assert over.status_code == 413
    assert (over.json()["Title"], over.json()["Detail"]) == ("RequestEntityTooLarge", "PayloadTooLarge")
    assert list(XeroAttachment.objects.values_list("file_name", flat=True)) == ["ok.pdf"]


def test_the_default_limit_is_ten_megabytes_and_the_apps_body_cap_does_not_stand_in_the_way(with_attachments):
    """A 3 MB receipt is bigger than the app's own JSON cap (DATA_UPLOAD_MAX_MEMORY_SIZE) but within Xero's 10 MB."""
    created = a_bill(with_attachments)
    receipt = b"x" * (3 * 1024 * 1024)
    assert upload(with_attachments, created["InvoiceID"], "scan.pdf", receipt).status_code == 200
    too_big = upload(with_attachments, created["InvoiceID"], "huge.pdf", b"x" * (10 * 1024 * 1024 + 1))
    assert too_big.status_code == 413 and too_big.json()["Title"] == "RequestEntityTooLarge"


def test_refusals(with_attachments):
    created = a_bill(with_attachments)
    invoice_id = created["InvoiceID"]
    unknown = "6b0f4a1e-0000-4000-8000-000000000000"
    assert upload(with_attachments, unknown, "a.pdf", PDF).status_code == 404
    assert upload(with_attachments, "not-a-guid", "a.pdf", PDF).status_code == 404
    assert with_attachments.get(f"Invoices/{unknown}/Attachments").status_code == 404
    assert with_attachments.get(f"Invoices/{invoice_id}/Attachments/missing.pdf").status_code == 404
    empty = upload(with_attachments, invoice_id, "empty.pdf", b"")
    assert empty.status_code == 400 and empty.json()["Type"] == "ValidationException"
    for number in range(10):
        assert upload(with_attachments, invoice_id, f"{number}.pdf", PDF).status_code == 200
    eleventh = upload(with_attachments, invoice_id, "10.pdf", PDF)
    assert eleventh.status_code == 400 and eleventh.json()["Type"] == "ValidationException"
    assert upload(with_attachments, invoice_id, "0.pdf", PDF).status_code == 200  # replacing is still allowed
    # Without the attachments scope (the default test consent lacks it): 401 AuthorizationUnsuccessful.
    connected = XeroSandbox(Client())
    connected.connect()
    assert connected.get(f"Invoices/{invoice_id}/Attachments").status_code == 401
    assert upload(connected, invoice_id, "x.pdf", PDF).status_code == 401


def test_attachments_are_per_organisation(with_attachments):
    from integrations.sandbox.xero.demo import DESIGN_TENANT_ID

    code = with_attachments.consent(
        tenants=(TRADING_TENANT_ID, DESIGN_TENANT_ID), scope=SCOPE + " accounting.attachments"
    )["code"]
    with_attachments.access_token = with_attachments.exchange(code).json()["access_token"]
    created = a_bill(with_attachments)
    upload(with_attachments, created["InvoiceID"], "a.pdf", PDF)
    other = with_attachments.get(f"Invoices/{created['InvoiceID']}/Attachments", tenant=DESIGN_TENANT_ID)
    assert other.status_code == 404


def test_the_page_lists_a_bills_attachments_and_opens_them(with_attachments):
    created = a_bill(with_attachments)
    upload(with_attachments, created["InvoiceID"], "receipt.pdf", PDF)
    upload(with_attachments, created["InvoiceID"], "page.html", b"<script>alert(1)</script>", content_type="text/html")
    page = Client().get(PAGE).content.decode()
    assert 'data-attachment="receipt.pdf"' in page
    pdf, html = XeroAttachment.objects.order_by("created_at", "id")
    opened = Client().get(f"{PAGE}attachments/{pdf.attachment_id}/")
    assert opened.status_code == 200 and opened.content == PDF and opened["Content-Type"] == "application/pdf"
    assert opened["Content-Disposition"].startswith("inline")
    risky = Client().get(f"{PAGE}attachments/{html.attachment_id}/")
    assert risky["Content-Disposition"].startswith("attachment") and risky["Content-Security-Policy"] == "sandbox"
    assert Client().get(f"{PAGE}attachments/6b0f4a1e-0000-4000-8000-000000000000/").status_code == 404
    assert XeroInvoice.objects.get(invoice_id=created["InvoiceID"]).attachments.count() == 2


def test_listing_bills_with_attachments_costs_the_same_queries_for_more_bills(with_attachments):
    """One attachments query per listing (API and page), never one per bill, and never the files themselves."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_for_listing() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert with_attachments.get("Invoices", {"page": 1}).status_code == 200
            assert Client().get(PAGE).status_code == 200
        touching = [q["sql"] for q in captured if "sandbox_xeroattachment" in q["sql"]]
        assert not any('"content"' in sql for sql in touching)
        return len(touching)

    for _ in range(2):
        created = a_bill(with_attachments)
        upload(with_attachments, created["InvoiceID"], "a.pdf", PDF)
    few = queries_for_listing()
    for _ in range(4):
        created = a_bill(with_attachments)
        upload(with_attachments, created["InvoiceID"], "a.pdf", PDF)
        upload(with_attachments, created["InvoiceID"], "b.pdf", PDF)
    assert queries_for_listing() == few == 2  # the API list and the page's bills (no sales invoices here)
