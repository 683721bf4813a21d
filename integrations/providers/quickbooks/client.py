"""QuickBooks Online Accounting API v3 for one connection (one company, its realmId).

Every call goes to `<QUICKBOOKS_API_URL>/company/<realmId>/<entity>` with `minorversion`; every write carries the
attempt's key as the `requestid` query parameter (Intuit answers a repeated requestid with the first answer
instead of writing again; 50 characters at most). Reference: developer.intuit.com → QuickBooks Online → API
reference (entities Customer, Invoice, Item, TaxCode, Term, Preferences, CompanyInfo, Attachable; operations
query, cdc, batch, upload). Faults become the error hierarchy in faults.py; batches and the payment feed live
in batch.py and feed.py.
"""

from __future__ import annotations

import json
import uuid

from django.conf import settings
from urllib3 import encode_multipart_formdata

from integrations.connection_state import connection_mark_needs_reconnect
from integrations.exceptions import (
    IntegrationError,
    ProviderValidationError,
    TerminalError,
    ThrottledError,
    TransientError,
)
from integrations.http import ApiClient
from integrations.http_wire import BYTES, IdempotencyStyle
from integrations.providers.base import (
    INVOICE,
    AccountingApi,
    BatchLimits,
    RemoteChoice,
    RemoteContact,
    RemoteInvoice,
)
from integrations.tokens import connection_access_token, connection_reauthorize

from . import faults
from .batch import BatchMixin
from .feed import PaymentFeedMixin
from .payments import parse_amount
from .queries import QueryMixin, quote
from .states import QuickBooksDocumentStates

MAX_NAME_SUFFIX = 5
VOIDED_NOTE = "Voided"  # QuickBooks zeroes a voided invoice and prefixes its PrivateNote with this word


def parse_money(value):
    return None if value is None else parse_amount(value)


class QuickBooksApi(QuickBooksDocumentStates, QueryMixin, BatchMixin, PaymentFeedMixin, ApiClient, AccountingApi):
    service_name = "QuickBooks"
    idempotency = IdempotencyStyle.query("requestid", 50)
    concurrent_calls_per_tenant = 10  # Intuit: at most 10 requests in flight per realm
    export_kinds = frozenset({INVOICE})
    batch_limits = BatchLimits(documents=30, contacts=30)

    def __init__(self, connection, **kwargs):
        super().__init__(connection=connection, **kwargs)
        self._token = ""

    @property
    def base_url(self) -> str:
        return f"{settings.QUICKBOOKS_API_URL.rstrip('/')}/company/{self.connection.remote_tenant_id}"

    # --- ApiClient hooks -------------------------------------------------------------------------------------

    def auth_headers(self) -> dict:
        self._token = connection_access_token(self.connection)
        return {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}

    def reauthorize(self) -> bool:
        return connection_reauthorize(self.connection, self._token)

    def request(self, method, path, *, params=None, **kwargs):
        params = {**(params or {}), "minorversion": str(settings.QUICKBOOKS_MINOR_VERSION)}
        try:
            return super().request(method, path, params=params, **kwargs)
        except TerminalError as exc:
            connection_mark_needs_reconnect(self.connection, exc)
            raise

    def error_messages(self, response) -> list[str]:
        fault = faults.fault_of(response)
        return fault.messages if fault else []

    def throttle_from(self, response) -> tuple[int | None, str]:
        retry_after, _ = super().throttle_from(response)
        return retry_after or faults.THROTTLE_DEFAULT_SECONDS, ""

    def error_for(self, response) -> IntegrationError:
        fault = faults.fault_of(response)
        words = "; ".join(fault.messages) if fault else ""
        if faults.is_throttle(fault):  # Intuit has answered throttles with 403 (and 400) too
            retry_after, _ = self.throttle_from(response)
            return ThrottledError(
                "QuickBooks is rate limiting this connection.", words, response.status_code, retry_after=retry_after
            )
        if response.status_code == 401 or faults.is_authentication(fault):
            return TerminalError(
                "QuickBooks no longer accepts this connection's authorisation: reconnect it.",
                words,
                401 if response.status_code == 401 else response.status_code,
            )
        if response.status_code == 400 and fault:
            error = ProviderValidationError("QuickBooks refused the data.", messages=fault.messages or [fault.type])
            error.codes = fault.codes
            return error
        error = super().error_for(response)
        error.codes = fault.codes if fault else set()
        return error

    def remote_id_from(self, data) -> str:
        if isinstance(data, dict):
            for entity in ("Invoice", "Customer", "Attachable"):
                if isinstance(data.get(entity), dict):
                    return str(data[entity].get("Id", ""))
        return ""

    # --- helpers ---------------------------------------------------------------------------------------------

    def _write(self, path: str, body: dict, *, idempotency_key: str, action: str, params: dict | None = None):
        response = self.request("POST", path, params=params, json=body, idempotency_key=idempotency_key, action=action)
        return response.data if isinstance(response.data, dict) else {}

    def _entity(self, data: dict, name: str) -> dict:
        element = data.get(name)
        if not isinstance(element, dict) or not element.get("Id"):
            raise TransientError(f"QuickBooks' answer has no {name}.")
        return element

    def invoice_url(self, invoice_id: str) -> str:
        return f"{settings.QUICKBOOKS_APP_URL.rstrip('/')}/app/invoice?txnId={invoice_id}"

    def remote_invoice(self, element: dict) -> RemoteInvoice:
        voided = str(element.get("PrivateNote") or "").startswith(VOIDED_NOTE) and not parse_money(
            element.get("TotalAmt", 0)
        )
        return RemoteInvoice(
            id=str(element["Id"]),
            number=str(element.get("DocNumber") or ""),
            url=self.invoice_url(str(element["Id"])),
            status="Voided" if voided else "Open",
            state="voided" if voided else "open",
            amount_due=parse_money(element.get("Balance")),
            total=parse_money(element.get("TotalAmt")),
            version=str(element.get("SyncToken") or ""),
        )

    @staticmethod
    def _contact(element: dict) -> RemoteContact:
        return RemoteContact(
            id=str(element["Id"]),
            name=str(element.get("DisplayName") or ""),
            email=str((element.get("PrimaryEmailAddr") or {}).get("Address") or ""),
        )

    # --- customers -------------------------------------------------------------------------------------------

    def search_contacts(self, term: str) -> list[RemoteContact]:
        term = (term or "").strip()
        if not term:
            return []
        pattern = quote(f"%{term.replace('%', '')}%")
        rows = self.query("Customer", f"select * from Customer where DisplayName like {pattern} maxresults 50")
        return [self._contact(row) for row in rows if row.get("Active", True)]

    def customer_by_name(self, name: str) -> dict | None:
        rows = self.query("Customer", f"select * from Customer where DisplayName = {quote(name)}")
        return next((row for row in rows if str(row.get("DisplayName", "")).lower() == name.lower()), None)

    def create_contact(self, company) -> RemoteContact:
        """POST /customer. DisplayName is unique across customers, vendors and employees (6240): the customer of
        that name is the one we want (created earlier or by hand); a vendor or employee of that name makes us try
        "Name (2)", "Name (3)"…"""
        from .mapping import customer_payload

        name = company.name
        for attempt in range(1, MAX_NAME_SUFFIX + 1):
            try:
                data = self._write(
                    "customer",
                    customer_payload(company, name=name),
                    idempotency_key=f"customer-{company.pk}-{uuid.uuid4()}",
                    action="contact.create",
                )
                return self._contact(self._entity(data, "Customer"))
            except ProviderValidationError as exc:
                if faults.DUPLICATE_NAME not in getattr(exc, "codes", set()):
                    raise
            existing = self.customer_by_name(name)
            if existing is not None:
                return self._contact(existing)
            name = f"{company.name} ({attempt + 1})"
        raise ProviderValidationError(
            "QuickBooks already has several customers, vendors or employees with this company's name: pick the "
            "customer in the contact search.",
            messages=[f"Duplicate Name Exists Error: {company.name}"],
        )

    # --- the company and its lists ---------------------------------------------------------------------------

    def company_info(self) -> dict:
        data = self.request("GET", f"companyinfo/{self.connection.remote_tenant_id}").data or {}
        return data.get("CompanyInfo") or {}

    def preferences(self) -> dict:
        data = self.request("GET", "preferences").data or {}
        return data.get("Preferences") or {}

    def list_items(self) -> list[RemoteChoice]:
        rows = self.query_all("Item", "select * from Item where Active = true")
        return [
            RemoteChoice(
                code=str(row["Id"]),
                name=str(row.get("FullyQualifiedName") or row.get("Name") or row["Id"]),
                extra={
                    "type": row.get("Type", ""),
                    "income_account": (row.get("IncomeAccountRef") or {}).get("value", ""),
                },
            )
            for row in rows
            if row.get("Id") and row.get("Type") != "Category"
        ]

    def list_accounts(self) -> list[RemoteChoice]:
        """Income accounts (an item books to its IncomeAccountRef: shown for reference)."""
        rows = self.query_all("Account", "select * from Account where AccountType = 'Income' and Active = true")
        return [
            RemoteChoice(code=str(row["Id"]), name=str(row.get("FullyQualifiedName") or row.get("Name") or row["Id"]))
            for row in rows
            if row.get("Id")
        ]

    def list_tax_types(self) -> list[RemoteChoice]:
        """Tax codes (TaxCode: not in CDC, read by query)."""
        rows = self.query_all("TaxCode", "select * from TaxCode where Active = true")
        return [
            RemoteChoice(
                code=str(row["Id"]), name=str(row.get("Name") or row["Id"]), extra={"taxable": row.get("Taxable")}
            )
            for row in rows
            if row.get("Id")
        ]

    list_tax_codes = list_tax_types

    def list_terms(self) -> list[RemoteChoice]:
        rows = self.query_all("Term", "select * from Term where Active = true")
        return [
            RemoteChoice(
                code=str(row["Id"]), name=str(row.get("Name") or row["Id"]), extra={"days": row.get("DueDays")}
            )
            for row in rows
            if row.get("Id")
        ]

    # --- invoices --------------------------------------------------------------------------------------------

    def create_document(self, kind: str, payload: dict, idempotency_key: str) -> RemoteInvoice:
        self.check_export_kind(kind)
        data = self._write("invoice", payload, idempotency_key=idempotency_key, action="invoice.create")
        return self.remote_invoice(self._entity(data, "Invoice"))

    def read_invoice(self, remote_id: str) -> dict:
        return self._entity(self.request("GET", f"invoice/{remote_id}").data or {}, "Invoice")

    def update_document(
        self, kind: str, remote_id: str, payload: dict, idempotency_key: str, *, version: str = ""
    ) -> RemoteInvoice:
        """A sparse update naming the SyncToken the last answer carried. A stale one (5010: changed in QuickBooks
        since) re-reads the invoice and tries once more with the current token; a second 5010 is refused, never
        overwritten blindly again."""
        self.check_export_kind(kind)
        if not version:
            version = str(self.read_invoice(remote_id).get("SyncToken") or "0")

        def post(sync_token: str, key: str) -> RemoteInvoice:
            body = {**payload, "Id": remote_id, "SyncToken": sync_token, "sparse": True}
            data = self._write("invoice", body, idempotency_key=key, action="invoice.update")
            return self.remote_invoice(self._entity(data, "Invoice"))

        try:
            return post(version, idempotency_key)
        except ProviderValidationError as exc:
            if faults.STALE_OBJECT not in getattr(exc, "codes", set()):
                raise
        current = str(self.read_invoice(remote_id).get("SyncToken") or "0")
        # A new requestid: Intuit would answer the first one's stale refusal again.
        return post(current, f"{idempotency_key}-sync{current}")

    def find_document(self, kind: str, *, number: str = "", reference: str = "") -> RemoteInvoice | None:
        self.check_export_kind(kind)
        if not number:
            return None  # QuickBooks cannot search PrivateNote; a retry relies on requestid (mapping.lookup_keys)
        rows = self.query("Invoice", f"select * from Invoice where DocNumber = {quote(number)}")
        for row in rows:
            found = self.remote_invoice(row)
            if found.state != "voided":
                return found
        return None

    def void_document(self, kind: str, remote_id: str, idempotency_key: str) -> RemoteInvoice:
        """POST /invoice?operation=void with the current SyncToken. Deleted (610) or already voided is success;
        a refusal (payments applied) keeps Intuit's words."""
        self.check_export_kind(kind)
        try:
            current = self.remote_invoice(self.read_invoice(remote_id))
        except IntegrationError as exc:
            if faults.OBJECT_NOT_FOUND in getattr(exc, "codes", set()):
                return RemoteInvoice(id=remote_id, status="Deleted", state="voided")
            raise
        if current.state == "voided":
            return current
        data = self._write(
            "invoice",
            {"Id": remote_id, "SyncToken": current.version, "sparse": True},
            idempotency_key=idempotency_key,
            action="invoice.void",
            params={"operation": "void"},
        )
        return self.remote_invoice(self._entity(data, "Invoice"))

    # --- files -----------------------------------------------------------------------------------------------

    def document_pdf(self, kind: str, remote_id: str) -> bytes:
        """GET /invoice/{id}/pdf: QuickBooks' rendering of the invoice."""
        self.check_export_kind(kind)
        response = self.request("GET", f"invoice/{remote_id}/pdf", headers={"Accept": "application/pdf"}, expect=BYTES)
        return bytes(response.data or b"")

    def attach_file(
        self, kind: str, remote_id: str, *, filename: str, content: bytes, content_type: str, idempotency_key: str
    ) -> None:
        """POST /upload (multipart: the Attachable's metadata, then the file), linked to the invoice."""
        self.check_export_kind(kind)
        metadata = {
            "AttachableRef": [{"EntityRef": {"type": "Invoice", "value": remote_id}, "IncludeOnSend": False}],
            "FileName": filename,
            "ContentType": content_type,
        }
        body, multipart_type = encode_multipart_formdata(
            [
                ("file_metadata_01", ("metadata.json", json.dumps(metadata), "application/json")),
                ("file_content_01", (filename, content, content_type)),
            ]
        )
        response = self.request(
            "POST",
            "upload",
            data=body,
            headers={"Content-Type": multipart_type},
            idempotency_key=idempotency_key,
            action="invoice.attach",
        )
        data = response.data if isinstance(response.data, dict) else {}
        for element in data.get("AttachableResponse") or []:
            fault = faults.fault_from_json(element)
            if fault:
                raise ProviderValidationError("QuickBooks refused the attachment.", messages=fault.messages)

    # --- disconnect ------------------------------------------------------------------------------------------

    def revoke(self) -> None:
        from integrations import registry

        registry.get(self.connection.provider).revoke_refresh_token(self.connection.grant.refresh_token)
