"""What QuickBooks holds now for the invoices we copied (AccountingApi.documents_state), for reconciliation.

One query per 100 ids: `select * from Invoice where Id in ('1', '2', …)` (the query language's IN; ids are short
numbers, so 100 of them stay far below any URL limit, and the answer below MAXRESULTS' 1000). A deleted invoice is
not returned by queries at all (only CDC shows deletions): the service reads an id left out as gone. A voided one
keeps its Id with its amounts zeroed (the client's remote_invoice tells it by its note).
developer.intuit.com → QuickBooks Online → Data queries; Invoice entity (TotalAmt, Balance, CurrencyRef, DocNumber).
"""

from __future__ import annotations

from integrations.providers.base import RemoteDocumentState

from .queries import quote

IDS_PER_QUERY = 100


class QuickBooksDocumentStates:
    """Mixed into QuickBooksApi (needs its query, remote_invoice, check_export_kind)."""

    state_batch_size = IDS_PER_QUERY

    def documents_state(self, kind: str, remote_ids: list[str]) -> list[RemoteDocumentState]:
        self.check_export_kind(kind)
        ids = [str(remote_id) for remote_id in remote_ids if remote_id]
        if not ids:
            return []
        listed = ", ".join(quote(remote_id) for remote_id in ids)
        rows = self.query("Invoice", f"select * from Invoice where Id in ({listed}) maxresults {len(ids)}")
        asked = set(ids)
        return [self._state(row) for row in rows if str(row.get("Id")) in asked]

    def _state(self, row: dict) -> RemoteDocumentState:
        answer = self.remote_invoice(row)
        paid = None
        if answer.total is not None and answer.amount_due is not None:
            paid = answer.total - answer.amount_due
        return RemoteDocumentState(
            id=answer.id,
            number=answer.number,
            status=answer.status,
            state=answer.state,
            total=answer.total,
            currency=str((row.get("CurrencyRef") or {}).get("value") or ""),
            amount_paid=paid,
        )
