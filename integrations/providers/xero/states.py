"""What Xero holds now for the invoices we copied (AccountingApi.documents_state), for reconciliation.

GET /Invoices filters by `IDs`, but Xero's gateway refuses a query string much past 50 GUIDs (a 404: XeroAPI/
Xero-OpenAPI#534), so reading 10,000 copies by id would take 200 calls. Reading the list of the invoices this app
created instead (`createdByMyApp`, sales only, summaries, `pageSize` 1000) takes one call per 1000 of them: that
is what a run asks first when it has more than one id call's worth. The first page's `pagination.pageCount` says
what the list costs; when the organisation holds far more of our invoices than this run asks about (several
subsidiaries on one organisation), the rest are read by id instead. An id the list did not hold (a deleted
invoice, which Xero may leave out of lists) is asked for by id; one Xero does not return at all is gone.
https://developer.xero.com/documentation/api/accounting/invoices (GET: IDs, page, pageSize, summaryOnly,
createdByMyApp).
"""

from __future__ import annotations

import math

from integrations.exceptions import IntegrationError
from integrations.providers.base import RemoteDocumentState

IDS_PER_CALL = 50  # GUIDs per `IDs` filter that Xero's gateway still accepts
LIST_PAGE_SIZE = 1000
# Xero's invoice statuses read as our RemoteState (as the client's REMOTE_STATES), DELETED as a deletion.
STATES = {"DRAFT": "draft", "SUBMITTED": "draft", "AUTHORISED": "open", "PAID": "open", "VOIDED": "voided"}


class XeroDocumentStates:
    """Mixed into XeroApi (needs its _get, check_export_kind)."""

    # Ids per documents_state call: a run's worth, so the list of our invoices is paged through once per run.
    state_batch_size = 100_000

    def documents_state(self, kind: str, remote_ids: list[str]) -> list[RemoteDocumentState]:
        self.check_export_kind(kind)
        wanted = {str(remote_id).lower(): str(remote_id) for remote_id in remote_ids if remote_id}
        found: dict[str, RemoteDocumentState] = {}
        if len(wanted) > IDS_PER_CALL:
            self._read_listed(wanted, found)
        missing = [remote_id for key, remote_id in wanted.items() if key not in found]
        for start in range(0, len(missing), IDS_PER_CALL):
            data = self._get("Invoices", params={"IDs": ",".join(missing[start : start + IDS_PER_CALL])})
            self._keep(data, wanted, found)
        return list(found.values())

    def _read_listed(self, wanted: dict, found: dict) -> None:
        """Page through the sales invoices this app created while that stays cheaper than asking by id."""
        page = 1
        while True:
            data = self._get(
                "Invoices",
                params={
                    "where": 'Type=="ACCREC"',
                    "createdByMyApp": "true",
                    "summaryOnly": "true",
                    "page": page,
                    "pageSize": LIST_PAGE_SIZE,
                },
            )
            rows = self._keep(data, wanted, found)
            pagination = data.get("pagination") or {}
            page_count = pagination.get("pageCount")
            if page_count is None:  # an answer without pagination: a short page is the last
                page_count = page if rows < int(pagination.get("pageSize") or LIST_PAGE_SIZE) else page + 1
            pages_left = int(page_count) - page
            missing = len(wanted) - len(found)
            if pages_left <= 0 or not missing or pages_left >= math.ceil(missing / IDS_PER_CALL):
                return
            page += 1

    def _keep(self, data: dict, wanted: dict, found: dict) -> int:
        rows = data.get("Invoices") or []
        for element in rows:
            key = str(element.get("InvoiceID") or "").lower()
            if key in wanted:
                found[key] = self._state(element, wanted[key])
        return len(rows)

    def document_state(self, kind: str, remote_id: str) -> RemoteDocumentState | None:
        """GET /Invoices/{InvoiceID}: one call per invoice (the contract's one-by-one way; the benchmark's baseline)."""
        self.check_export_kind(kind)
        try:
            data = self._get(f"Invoices/{remote_id}")
        except IntegrationError as exc:
            if exc.http_status == 404:
                return None
            raise
        elements = data.get("Invoices") or []
        return self._state(elements[0], remote_id) if elements else None

    @staticmethod
    def _state(element: dict, remote_id: str) -> RemoteDocumentState:
        from .payments import parse_amount

        status = str(element.get("Status") or "")

        def money(key):
            value = element.get(key)
            return parse_amount(value) if value is not None else None

        return RemoteDocumentState(
            id=remote_id,
            number=str(element.get("InvoiceNumber") or ""),
            status=status,
            state=STATES.get(status, ""),
            total=money("Total"),
            currency=str(element.get("CurrencyCode") or ""),
            amount_paid=money("AmountPaid"),
            deleted=status == "DELETED",
        )
