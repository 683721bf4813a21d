"""Mixed into XeroApi: what the purchase side needs beyond create / update / void: files on a bill or purchase
order (Attachments), looking a purchase order up, and reading documents' statuses back.

- PUT /Invoices/{InvoiceID}/Attachments/{FileName} (a bill is an ACCPAY invoice) and
  PUT /PurchaseOrders/{PurchaseOrderID}/Attachments/{FileName}: the file's bytes as the body
  (developer.xero.com/documentation/api/accounting/attachments).
- GET /PurchaseOrders/{PurchaseOrderNumber}, GET /PurchaseOrders (If-Modified-Since, page, order): Xero's own
  status of our purchase orders (DRAFT, SUBMITTED, AUTHORISED, BILLED, DELETED).
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from integrations.exceptions import IntegrationError
from integrations.providers.base import PURCHASE_ORDER, RemoteInvoice

from .documents import DOCUMENTS

PURCHASE_ORDERS_PAGE = 100


class XeroPurchaseReads:
    def attach_file(
        self, kind: str, remote_id: str, *, filename: str, content: bytes, content_type: str, idempotency_key: str
    ) -> None:
        self.check_export_kind(kind)
        collection = DOCUMENTS[kind].collection
        self.request(
            "PUT",
            f"{collection}/{remote_id}/Attachments/{quote(filename, safe='')}",
            data=content,
            headers={"Content-Type": content_type},
            idempotency_key=idempotency_key,
            action=f"{kind}.attach",
        )

    def find_purchase_order(self, *, number: str = "", reference: str = "") -> RemoteInvoice | None:
        """By its number (GET /PurchaseOrders/{PurchaseOrderNumber}), else our Reference among the latest changed
        purchase orders (the endpoint has no reference filter)."""
        if number:
            try:
                data = self._get(f"PurchaseOrders/{quote(number, safe='')}")
            except IntegrationError as exc:
                if exc.http_status != 404:
                    raise
                data = {}
            found = self._live_purchase_order(data.get("PurchaseOrders") or [], lambda e: True)
            if found is not None or not reference:
                return found
        if not reference:
            return None
        data = self._get("PurchaseOrders", params={"order": "UpdatedDateUTC DESC", "page": 1})
        return self._live_purchase_order(data.get("PurchaseOrders") or [], lambda e: e.get("Reference") == reference)

    def _live_purchase_order(self, elements: list[dict], accept) -> RemoteInvoice | None:
        for element in elements:
            if element.get("Status") != "DELETED" and accept(element):
                return self.remote_document(PURCHASE_ORDER, element)
        return None

    def read_document(self, kind: str, remote_id: str) -> RemoteInvoice:
        """GET /Invoices/{id} or /PurchaseOrders/{id}: the document as Xero has it now (its status)."""
        self.check_export_kind(kind)
        collection = DOCUMENTS[kind].collection
        return self.remote_document(kind, self._first(self._get(f"{collection}/{remote_id}"), collection))

    def document_changes(self, kind: str, since: datetime | None) -> list[RemoteInvoice]:
        """Every purchase order changed since `since` (all of them without it), oldest change first: one call a page
        of 100, so an idle read is one call. (Invoices' and bills' changes come through GET /Payments.)"""
        from .client import format_cursor

        if kind != PURCHASE_ORDER:
            return super().document_changes(kind, since)
        headers = {"If-Modified-Since": format_cursor(since)} if since else {}
        found, page = [], 1
        while True:
            data = self._get("PurchaseOrders", params={"page": page, "order": "UpdatedDateUTC ASC"}, headers=headers)
            elements = data.get("PurchaseOrders") or []
            found += [self.remote_document(PURCHASE_ORDER, element) for element in elements]
            if len(elements) < PURCHASE_ORDERS_PAGE:
                return found
            page += 1
