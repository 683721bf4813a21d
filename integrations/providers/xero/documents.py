"""Where each kind of our documents lives in Xero's Accounting API, and how its answers read.

Invoices and bills are both `/Invoices` (Type ACCREC / ACCPAY: one id space, one GET /Payments feed); purchase
orders are `/PurchaseOrders`. The client's create / update / find / void and the batch writes ask this table
instead of naming an endpoint per kind.
"""

from __future__ import annotations

from dataclasses import dataclass

from integrations.providers.base import BILL, INVOICE, PURCHASE_ORDER


@dataclass(frozen=True)
class XeroDocument:
    collection: str  # the endpoint and the answer's array: "Invoices"
    id_key: str  # "InvoiceID"
    number_key: str  # "InvoiceNumber"
    type: str = ""  # Invoices' Type: "ACCREC" / "ACCPAY"
    link: str = ""  # the document's page in Xero, by id
    app_path: str = ""  # the same page behind organisationlogin (redirecturl)
    void_status: str = "VOIDED"  # what voids an approved one


DOCUMENTS = {
    INVOICE: XeroDocument(
        "Invoices",
        "InvoiceID",
        "InvoiceNumber",
        "ACCREC",
        "https://go.xero.com/AccountsReceivable/View.aspx?InvoiceID={id}",
        "/AccountsReceivable/View.aspx?InvoiceID={id}",
    ),
    BILL: XeroDocument(
        "Invoices",
        "InvoiceID",
        "InvoiceNumber",
        "ACCPAY",
        "https://go.xero.com/AccountsPayable/View.aspx?InvoiceID={id}",
        "/AccountsPayable/View.aspx?InvoiceID={id}",
    ),
    PURCHASE_ORDER: XeroDocument(
        "PurchaseOrders",
        "PurchaseOrderID",
        "PurchaseOrderNumber",
        "",
        "https://go.xero.com/Accounts/Payable/PurchaseOrders/View/{id}",
        "/Accounts/Payable/PurchaseOrders/View/{id}",
        void_status="DELETED",
    ),
}

# Xero's purchase order statuses as our RemoteState: a draft or submitted one can still change, an authorised one
# is open (still editable), a billed one is done (it became a bill), a deleted one is gone.
PURCHASE_ORDER_STATES = {
    "DRAFT": "draft",
    "SUBMITTED": "draft",
    "AUTHORISED": "open",
    "BILLED": "booked",
    "DELETED": "voided",
}
PURCHASE_ORDER_FINAL = {"BILLED", "DELETED"}
