"""Xero Accounting API 2.0 for one connection (one Xero organisation).

Every request carries the bearer token (refreshed through integrations.tokens), `xero-tenant-id` and
`Accept: application/json`. Writes send `summarizeErrors=false` (so one bad element can't hide what was created)
and an `Idempotency-Key`. Error bodies in Xero's documented shapes become exceptions carrying its
ValidationErrors / Message / Detail verbatim; any other body is left to the base's summary with the status.
Endpoints: https://developer.xero.com/documentation/api/accounting/overview (spec: XeroAPI/Xero-OpenAPI).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime

from django.conf import settings

from integrations import registry
from integrations.connection_state import connection_mark_needs_reconnect
from integrations.exceptions import ProviderValidationError, TerminalError, TransientError
from integrations.http import ApiClient
from integrations.http_wire import IdempotencyStyle
from integrations.providers.base import (
    BILL,
    INVOICE,
    PURCHASE_ORDER,
    AccountingApi,
    PaymentsPage,
    RemoteInvoice,
)
from integrations.tokens import connection_access_token, connection_reauthorize

from .batch import XeroBatchWrites
from .contacts import XeroContacts, where_string
from .documents import DOCUMENTS, PURCHASE_ORDER_STATES
from .lists import XeroLists
from .purchase_api import XeroPurchaseReads
from .states import XeroDocumentStates

logger = logging.getLogger("integrations.xero")

PAGE_SIZE = 100  # Xero's page size for /Payments, /Invoices and /Contacts
# Payments cursor: {"modified_since": "YYYY-MM-DDTHH:MM:SSZ"}, the newest UpdatedDateUTC applied (cursors stored
# before the zone was added are naive UTC and read as such).
CURSOR_KEY = "modified_since"
GONE_STATUSES = {"DELETED", "VOIDED"}
# Our unit prices carry 4 decimals; without unitdp=4 Xero keeps 2 (99.9950 → 100.00) and its totals drift from ours.
INVOICE_WRITE_PARAMS = {"unitdp": "4"}
# Xero's deep links (documents.py): through the organisation login when its short code is known (it opens the
# right organisation), else the document's page in whichever organisation the user has open.
# Xero's invoice statuses read as our RemoteState (integrations.models): a draft can still be deleted, an approved
# (or paid) invoice is open and changeable until it has payments, a voided or deleted one is gone.
REMOTE_STATES = {
    "DRAFT": "draft",
    "SUBMITTED": "draft",
    "AUTHORISED": "open",
    "PAID": "open",
    "VOIDED": "voided",
    "DELETED": "voided",
}


def format_cursor(moment: datetime) -> str:
    """If-Modified-Since as Xero's spec (`format: date-time`, RFC 3339: with a zone) and its documentation (a UTC
    timestamp, accurate to the second) agree on: "2026-11-10T10:02:29Z"."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def cursor_moment(cursor: dict | None) -> datetime | None:
    """The aware UTC instant a stored payments cursor stands for (None: no cursor, or one we cannot read)."""
    text = str((cursor or {}).get(CURSOR_KEY) or "").strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        logger.warning("unreadable payments cursor %r: reading all payments again", text)
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def xero_messages(body) -> list[str]:
    """The human messages in Xero's documented error shapes: every element's ValidationErrors of an `Error`
    (ValidationException), else its Message, else a problem body's Detail/Title. Anything else has none."""
    if not isinstance(body, dict):
        return []
    messages: list[str] = []
    for element in body.get("Elements") or []:
        for error in element.get("ValidationErrors") or []:
            if error.get("Message"):
                messages.append(str(error["Message"]))
    if not messages:
        for key in ("Message", "Detail", "Title"):
            if body.get(key):
                messages.append(str(body[key]))
                break
    return messages


class XeroApi(
    XeroContacts, XeroDocumentStates, XeroLists, XeroPurchaseReads, XeroBatchWrites, ApiClient, AccountingApi
):
    service_name = "Xero"
    # developer.xero.com/documentation/guides/idempotent-requests: on every PUT/POST, 128 characters at most.
    idempotency = IdempotencyStyle.header("Idempotency-Key", 128)
    concurrent_calls_per_tenant = 5  # Xero: at most 5 calls in flight per organisation
    # Sales invoices (ACCREC on /Invoices), bills (ACCPAY, the same endpoint), purchase orders (/PurchaseOrders).
    export_kinds = frozenset({INVOICE, BILL, PURCHASE_ORDER})

    def __init__(self, connection, **kwargs):
        super().__init__(connection=connection, **kwargs)
        self._token = ""

    @property
    def base_url(self) -> str:
        return settings.XERO_API_URL

    # --- ApiClient hooks -------------------------------------------------------------------------------------

    def auth_headers(self) -> dict:
        self._token = connection_access_token(self.connection)
        return {
            "Authorization": f"Bearer {self._token}",
            "xero-tenant-id": self.connection.remote_tenant_id,
            "Accept": "application/json",
        }

    def reauthorize(self) -> bool:
        return connection_reauthorize(self.connection, self._token)

    def request(self, method, path, **kwargs):
        try:
            return super().request(method, path, **kwargs)
        except TerminalError as exc:
            connection_mark_needs_reconnect(self.connection, exc)
            raise

    def throttle_from(self, response) -> tuple[int | None, str]:
        """Retry-After, and X-Rate-Limit-Problem naming the limit hit ("minute", "day")."""
        retry_after, _ = super().throttle_from(response)
        return retry_after, response.headers.get("X-Rate-Limit-Problem", "")

    def error_messages(self, response) -> list[str]:
        try:
            body = response.json()
        except ValueError:
            return []  # not Xero's JSON (an HTML error page, a proxy): the base summarises with the status
        return xero_messages(body)

    def validate_response(self, data) -> None:
        # With summarizeErrors=false Xero answers 200 and flags the failed elements instead of a 400 (a batch reads
        # them element by element: XeroBatchWrites).
        if not isinstance(data, dict) or self._per_element:
            return
        for key in ("Invoices", "Contacts", "PurchaseOrders"):
            for element in data.get(key) or []:
                if element.get("HasErrors") or element.get("StatusAttributeString") == "ERROR":
                    messages = [
                        str(e.get("Message")) for e in element.get("ValidationErrors") or [] if e.get("Message")
                    ]
                    raise ProviderValidationError("Xero refused the data.", messages=messages or ["(no message)"])

    def remote_id_from(self, data) -> str:
        if isinstance(data, dict):
            for key, id_key in (
                ("Invoices", "InvoiceID"),
                ("PurchaseOrders", "PurchaseOrderID"),
                ("Contacts", "ContactID"),
                ("Payments", "PaymentID"),
                ("Attachments", "AttachmentID"),
            ):
                if data.get(key):
                    return str(data[key][0].get(id_key, ""))
        return ""

    # --- helpers ---------------------------------------------------------------------------------------------

    def _write(
        self, method: str, path: str, body: dict, *, idempotency_key: str, action: str, params: dict | None = None
    ) -> dict:
        response = self.request(
            method,
            path,
            params={"summarizeErrors": "false", **(params or {})},
            json=body,
            headers={"Content-Type": "application/json"},
            idempotency_key=idempotency_key,
            action=action,
        )
        return response.data if isinstance(response.data, dict) else {}

    def _get(self, path: str, *, params=None, headers=None) -> dict:
        data = self.request("GET", path, params=params, headers=headers).data
        if not isinstance(data, dict):
            raise TransientError(f"Xero sent an unexpected answer for {path}.")
        return data

    def _first(self, data: dict, key: str) -> dict:
        elements = data.get(key) or []
        if not elements:
            raise TransientError(f"Xero's answer has no {key}.")
        return elements[0]

    def invoice_url(self, invoice_id: str, kind: str = INVOICE) -> str:
        anchor = "purchase-order" if kind == PURCHASE_ORDER else "invoice"
        if self.connection.is_sandbox:
            from integrations.sandbox.links import sandbox_page_url

            page = sandbox_page_url(self.connection)
            if page:
                return f"{settings.SITE_URL}{page}#{anchor}-{invoice_id}"
        short_code = ((self.connection.settings or {}).get("tenant") or {}).get("short_code", "")
        where = DOCUMENTS[kind]
        if short_code:
            return f"https://go.xero.com/organisationlogin/default.aspx?shortcode={short_code}&redirecturl={where.app_path.format(id=invoice_id)}"
        return where.link.format(id=invoice_id)

    def remote_document(self, kind: str, element: dict) -> RemoteInvoice:
        """A Xero invoice, bill or purchase order as the engine reads an answer."""
        from .payments import parse_amount

        where = DOCUMENTS[kind]
        amount_due, total = element.get("AmountDue"), element.get("Total")
        status = str(element.get("Status") or "")
        states = PURCHASE_ORDER_STATES if kind == PURCHASE_ORDER else REMOTE_STATES
        remote_id = str(element[where.id_key])
        return RemoteInvoice(
            id=remote_id,
            number=str(element.get(where.number_key) or ""),
            url=self.invoice_url(remote_id, kind),
            status=status,
            state=states.get(status, ""),
            amount_due=parse_amount(amount_due) if amount_due is not None else None,
            total=parse_amount(total) if total is not None else None,
        )

    def _remote_invoice(self, element: dict) -> RemoteInvoice:
        return self.remote_document(BILL if element.get("Type") == "ACCPAY" else INVOICE, element)

    # --- the organisation ------------------------------------------------------------------------------------

    def organisation(self) -> dict:
        """GET /Organisation: name, short code (for deep links), base currency, country."""
        data = self._get("Organisation")
        organisations = data.get("Organisations") or [{}]
        return organisations[0]

    # --- documents: invoices, bills (ACCPAY invoices) and purchase orders -----------------------------------

    def create_document(self, kind: str, payload: dict, idempotency_key: str) -> RemoteInvoice:
        self.check_export_kind(kind)
        where = DOCUMENTS[kind]
        data = self._write(
            "PUT",
            where.collection,
            {where.collection: [payload]},
            idempotency_key=idempotency_key,
            action=f"{kind}.create",
            params=INVOICE_WRITE_PARAMS,
        )
        return self.remote_document(kind, self._first(data, where.collection))

    def update_document(
        self, kind: str, remote_id: str, payload: dict, idempotency_key: str, *, version: str = ""
    ) -> RemoteInvoice:
        """POST /Invoices/{InvoiceID} or /PurchaseOrders/{PurchaseOrderID}: Xero has no version to name."""
        self.check_export_kind(kind)
        where = DOCUMENTS[kind]
        data = self._write(
            "POST",
            f"{where.collection}/{remote_id}",
            {where.collection: [{**payload, where.id_key: remote_id}]},
            idempotency_key=idempotency_key,
            action=f"{kind}.update",
            params=INVOICE_WRITE_PARAMS,
        )
        return self.remote_document(kind, self._first(data, where.collection))

    def find_document(self, kind: str, *, number: str = "", reference: str = "") -> RemoteInvoice | None:
        self.check_export_kind(kind)
        if kind == PURCHASE_ORDER:
            return self.find_purchase_order(number=number, reference=reference)
        doc_type = DOCUMENTS[kind].type
        if number:
            params = {"InvoiceNumbers": number}
        elif reference:
            params = {"where": f'Type=="{doc_type}" AND Reference=={where_string(reference)}'}
        else:
            return None
        params["createdByMyApp"] = "true"
        data = self._get("Invoices", params={**params, "summaryOnly": "true"})
        for element in data.get("Invoices") or []:
            if element.get("Status") not in GONE_STATUSES and element.get("Type", doc_type) == doc_type:
                return self.remote_document(kind, element)
        return None

    def void_document(self, kind: str, remote_id: str, idempotency_key: str) -> RemoteInvoice:
        """POST the document with Status VOIDED (an approved invoice or bill; a draft is DELETED instead; a purchase
        order is DELETED). Xero refuses while the invoice has payments; on a refusal the document is read back (the
        remote truth): already voided or deleted is success, otherwise Xero's words go up as
        ProviderValidationError. https://developer.xero.com/documentation/api/accounting/invoices#deleting-and-voiding-invoices"""

        self.check_export_kind(kind)
        where = DOCUMENTS[kind]

        def post(status: str, key: str) -> RemoteInvoice:
            body = {where.collection: [{where.id_key: remote_id, "Status": status}]}
            path = f"{where.collection}/{remote_id}"
            data = self._write("POST", path, body, idempotency_key=key, action=f"{kind}.void")
            return self.remote_document(kind, self._first(data, where.collection))

        try:
            return post(where.void_status, idempotency_key)
        except ProviderValidationError as refusal:
            current = self.remote_document(
                kind, self._first(self._get(f"{where.collection}/{remote_id}"), where.collection)
            )
            if current.status in GONE_STATUSES:
                return current
            if current.status in ("DRAFT", "SUBMITTED") and where.void_status != "DELETED":
                return post("DELETED", f"{idempotency_key}-delete")
            raise ProviderValidationError(
                f"Xero did not void {current.number or remote_id} ({current.status.lower()} there).",
                messages=refusal.messages,
            ) from None

    # --- payments --------------------------------------------------------------------------------------------

    def fetch_payments(self, cursor: dict) -> Iterator[PaymentsPage]:
        """GET /Payments changed since the cursor, oldest change first, 100 per page, until a short page.

        Every page of a run asks with the run's If-Modified-Since (the pages are one query); the cursor each page
        hands back only moves forward, to the newest change applied so far, so a page without payments (the last
        one when the changes are an exact multiple of the page size) keeps the cursor the page before reached."""
        from .payments import payments_from_json

        since = cursor_moment(cursor)
        headers = {"If-Modified-Since": format_cursor(since)} if since else {}
        reached, next_cursor = since, dict(cursor or {})
        page = 1
        while True:
            data = self._get("Payments", params={"page": page, "order": "UpdatedDateUTC ASC"}, headers=headers)
            raw = data.get("Payments") or []
            records = payments_from_json(data)
            stamps = [r.updated_at for r in records if r.updated_at]
            # Floored to the second (the header's precision): a change later in that second is read again, not lost.
            newest = max(stamps).replace(microsecond=0) if stamps else None
            if newest is not None and (reached is None or newest > reached):
                reached = newest
                next_cursor = {**next_cursor, CURSOR_KEY: format_cursor(newest)}
            has_more = len(raw) >= PAGE_SIZE
            yield PaymentsPage(payments=records, next_cursor=dict(next_cursor), has_more=has_more)
            if not has_more:
                return
            page += 1

    # --- disconnect ------------------------------------------------------------------------------------------

    def revoke(self) -> None:
        from .auth import XeroIdentity

        provider = registry.get(self.connection.provider)
        identity = XeroIdentity(provider, connection=self.connection, session=self.session, sleep=self.sleep)
        identity.delete_connection(connection_access_token(self.connection), self.connection.remote_connection_id)
