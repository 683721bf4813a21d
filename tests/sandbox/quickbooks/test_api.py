"""The v3 API: query language, customers (6240), invoices (numbering, tax, sparse update, 5010, void, delete),
PDF, upload, reference data; every JSON answer checked against Intuit's XSDs."""

import json
from decimal import Decimal

from integrations.sandbox.models import QboEntity

from .xsd import assert_response


def test_reference_data_reads_and_matches_the_xsd(qbo):
    for entity in ("Customer", "Item", "TaxCode", "Term", "Preferences", "CompanyInfo"):
        response = qbo.query(f"select * from {entity}")
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["QueryResponse"][entity] and body["QueryResponse"]["startPosition"] == 1
        assert_response(body)
    info = qbo.get(f"companyinfo/{qbo.realm}").json()
    assert info["CompanyInfo"]["Country"] == "US"
    assert_response(info)
    prefs = qbo.get("preferences").json()
    assert prefs["Preferences"]["SalesFormsPrefs"]["CustomTxnNumbers"] is False
    assert_response(prefs)
    codes = {c["Name"] for c in qbo.query("select * from TaxCode").json()["QueryResponse"]["TaxCode"]}
    assert {"TAX", "NON"} <= codes


def test_query_language_subset(qbo):
    like = qbo.query("select * from Customer where DisplayName like '%harbor%' STARTPOSITION 1 MAXRESULTS 1000")
    assert [c["DisplayName"] for c in like.json()["QueryResponse"]["Customer"]] == ["Blue Harbor Media"]
    quoted = qbo.query("select * from Customer where DisplayName = 'Nobody\\'s Ltd'").json()
    assert quoted["QueryResponse"] == {}
    count = qbo.query("select count(*) from Customer").json()["QueryResponse"]
    assert count == {"totalCount": 2}
    page = qbo.query("select * from Term orderby Name desc startposition 2 maxresults 1").json()["QueryResponse"]
    assert [t["Name"] for t in page["Term"]] == ["Net 15"] and page["startPosition"] == 2
    ids = [c["Id"] for c in like.json()["QueryResponse"]["Customer"]]
    by_in = qbo.query(f"select * from Customer where Id in ('{ids[0]}', '999')").json()["QueryResponse"]
    assert [c["Id"] for c in by_in["Customer"]] == ids
    for bad, code in [
        ("select * from Customer where DisplayName = 'a' or Id = '1'", "4000"),
        ("select DisplayName from Customer", "4000"),
        ("select * from Spaceship", "4001"),
        ("select * from Customer maxresults 1500", "4001"),
    ]:
        answer = qbo.query(bad)
        assert answer.status_code == 400, bad
        fault = answer.json()["Fault"]
        assert fault["type"] == "ValidationFault" and fault["Error"][0]["code"] == code, bad
        assert_response(answer.json())
    assert "Max allowed value is 1000" in qbo.query("select * from Item maxresults 1500").content.decode()


def test_customer_create_read_and_6240_across_customers_vendors_employees(qbo):
    created = qbo.post("customer", {"DisplayName": "Nova Labs", "PrimaryEmailAddr": {"Address": "ap@nova.example"}})
    assert created.status_code == 200, created.content
    assert_response(created.json())
    customer = created.json()["Customer"]
    assert customer["SyncToken"] == "0" and customer["Active"] is True
    read = qbo.get(f"customer/{customer['Id']}").json()["Customer"]
    assert read["DisplayName"] == "Nova Labs"
    for taken in ("nova labs", "Printing Partners", "Emily Platt"):
        before = QboEntity.objects.count()
        answer = qbo.post("customer", {"DisplayName": taken})
        assert answer.status_code == 400
        error = answer.json()["Fault"]["Error"][0]
        assert error["code"] == "6240" and error["Message"] == "Duplicate Name Exists Error"
        assert "Another customer, vendor or employee is already using this name" in error["Detail"]
        assert QboEntity.objects.count() == before
    missing = qbo.post("customer", {"CompanyName": "x"}).json()["Fault"]["Error"][0]
    assert missing["code"] == "2020"


def test_invoice_create_numbers_taxes_and_reads(qbo):
    invoice = qbo.invoice(amount="200.00", tax="TAX")
    assert invoice["DocNumber"] == "1001"
    assert invoice["TxnTaxDetail"]["TotalTax"] == 16.5  # 8.25% CA sales tax on the TAX line
    assert invoice["TotalAmt"] == 216.5 and invoice["Balance"] == 216.5
    assert qbo.invoice(tax="NON")["DocNumber"] == "1002"
    own = qbo.invoice(DocNumber="PRD-1042")
    assert own["DocNumber"] == "PRD-1042"
    read = qbo.get(f"invoice/{invoice['Id']}").json()
    assert_response(read)
    by_number = qbo.query("select * from Invoice where DocNumber = 'PRD-1042'").json()["QueryResponse"]["Invoice"]
    assert [i["Id"] for i in by_number] == [own["Id"]]
    duplicate = qbo.post("invoice", {**_body(own), "DocNumber": "PRD-1042"})
    assert duplicate.json()["Fault"]["Error"][0]["code"] == "6140"
    too_long = qbo.post("invoice", {**_body(own), "DocNumber": "X" * 22})
    assert too_long.json()["Fault"]["Error"][0]["code"] == "2050"
    mismatch = _body(own)
    mismatch["Line"][0]["SalesItemLineDetail"].update({"Qty": 2, "UnitPrice": 10})
    assert qbo.post("invoice", mismatch).json()["Fault"]["Error"][0]["code"] == "6070"


def _body(invoice: dict) -> dict:
    line = next(line for line in invoice["Line"] if line["DetailType"] == "SalesItemLineDetail")
    detail = {
        "ItemRef": line["SalesItemLineDetail"]["ItemRef"],
        "TaxCodeRef": line["SalesItemLineDetail"]["TaxCodeRef"],
    }
    return {
        "CustomerRef": invoice["CustomerRef"],
        "Line": [{"DetailType": "SalesItemLineDetail", "Amount": line["Amount"], "SalesItemLineDetail": detail}],
    }


def test_custom_transaction_numbers_on_leaves_the_number_empty(qbo, client):
    client.post(f"/sandbox/quickbooks/companies/{qbo.realm}/preferences/custom-numbers/", {"on": "1"})
    assert qbo.get("preferences").json()["Preferences"]["SalesFormsPrefs"]["CustomTxnNumbers"] is True
    assert "DocNumber" not in qbo.invoice()


def test_uk_company_uses_vat_codes_per_line(qbo_uk):
    codes = {c["Name"]: c["Id"] for c in qbo_uk.query("select * from TaxCode").json()["QueryResponse"]["TaxCode"]}
    assert {"20.0% S", "0.0% Z"} <= set(codes)
    invoice = qbo_uk.invoice(amount="100.00", tax=codes["20.0% S"])
    assert invoice["TotalAmt"] == 120 and invoice["GlobalTaxCalculation"] == "TaxExcluded"
    assert qbo_uk.invoice(amount="100.00", tax=codes["0.0% Z"])["TotalAmt"] == 100
    refused = qbo_uk.post(
        "invoice",
        {
            **_body(invoice),
            "Line": [
                {
                    **_body(invoice)["Line"][0],
                    "SalesItemLineDetail": {"ItemRef": _body(invoice)["Line"][0]["SalesItemLineDetail"]["ItemRef"]},
                }
            ],
        },
    )
    assert refused.status_code == 400 and "VAT rate" in refused.json()["Fault"]["Error"][0]["Detail"]


def test_sparse_update_needs_the_current_sync_token_then_void_and_delete(qbo):
    invoice = qbo.invoice()
    sparse = {"Id": invoice["Id"], "SyncToken": invoice["SyncToken"], "sparse": True, "PrivateNote": "Changed"}
    updated = qbo.post("invoice", sparse).json()["Invoice"]
    assert updated["SyncToken"] == "1" and updated["PrivateNote"] == "Changed"
    assert updated["DocNumber"] == invoice["DocNumber"] and updated["TotalAmt"] == invoice["TotalAmt"]
    stale = qbo.post("invoice", sparse)
    assert stale.status_code == 400
    assert stale.json()["Fault"]["Error"][0]["code"] == "5010"
    assert stale.json()["Fault"]["Error"][0]["Message"] == "Stale Object Error"
    voided = qbo.post("invoice", {"Id": invoice["Id"], "SyncToken": "1"}, operation="void").json()["Invoice"]
    assert voided["TotalAmt"] == 0 and voided["Balance"] == 0 and voided["SyncToken"] == "2"
    other = qbo.invoice()
    deleted = qbo.post("invoice", {"Id": other["Id"], "SyncToken": "0"}, operation="delete").json()
    assert deleted["Invoice"] == {"status": "Deleted", "domain": "QBO", "Id": other["Id"]}
    assert qbo.get(f"invoice/{other['Id']}").json()["Fault"]["Error"][0]["code"] == "610"


def test_invoice_pdf(qbo):
    invoice = qbo.invoice()
    pdf = qbo.get(f"invoice/{invoice['Id']}/pdf", accept="application/pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_upload_attaches_a_file_to_an_invoice(qbo, client):
    invoice = qbo.invoice()
    meta = {
        "AttachableRef": [{"EntityRef": {"type": "Invoice", "value": invoice["Id"]}}],
        "FileName": "inv.pdf",
        "ContentType": "application/pdf",
    }
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        qbo.url("upload"),
        {"file_metadata_01": json.dumps(meta), "file_content_01": SimpleUploadedFile("inv.pdf", b"%PDF-1.4 x")},
        **qbo.headers(),
    )
    assert response.status_code == 200, response.content
    assert_response(response.json())
    attachable = response.json()["AttachableResponse"][0]["Attachable"]
    assert attachable["Size"] == 10 and attachable["AttachableRef"][0]["EntityRef"]["value"] == invoice["Id"]
    read = qbo.get(f"attachable/{attachable['Id']}").json()["Attachable"]
    assert read["FileName"] == "inv.pdf"
    assert bytes(QboEntity.objects.get(entity="Attachable").content) == b"%PDF-1.4 x"


def test_requestid_replays_the_first_answer_and_writes_nothing(qbo):
    body = _body(qbo.invoice())
    first = qbo.post("invoice", body, requestid="req-1")
    again = qbo.post("invoice", body, requestid="req-1")
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert QboEntity.objects.filter(entity="Invoice").count() == 2
    assert qbo.post("invoice", body, requestid="r" * 51).status_code == 400


def test_money_is_exact(qbo):
    invoice = qbo.invoice(amount="0.10")
    assert Decimal(str(invoice["TotalAmt"])) == Decimal("0.11")  # 0.10 + 8.25% → 0.0083 rounds to 0.01


def test_json_only_and_minorversion_checked(qbo):
    assert qbo.get("preferences", accept="application/xml").status_code == 406
    assert qbo.get("preferences", minorversion="abc").status_code == 400
    assert qbo.get("preferences", minorversion="40").status_code == 200  # below 75 is ignored, as Intuit does
