"""e-conomic's invoices for one connection (mixed into EconomicApi): a copy is a draft (`POST /invoices/drafts`,
remote id `draft-<draftInvoiceNumber>`), booked when asked (`POST /invoices/booked`, remote id = its
bookedInvoiceNumber). Reference: restdocs.e-conomic.com "Invoices" (drafts, booked, PDF)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from integrations.exceptions import IntegrationError, ProviderValidationError, TransientError
from integrations.http_wire import BYTES
from integrations.providers.base import RemoteInvoice

from .filters import equals

DRAFT_PREFIX = "draft-"  # the remote id of a copy still a draft; a booked copy's is its bookedInvoiceNumber
BOOKED, DRAFT = "booked", "draft"


def parse_money(value) -> Decimal | None:
    """e-conomic writes amounts as JSON numbers (75.0, 10.00): read through their text, never a float."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None


def draft_id(number) -> str:
    return f"{DRAFT_PREFIX}{number}"


def is_draft_id(remote_id: str) -> bool:
    return remote_id.startswith(DRAFT_PREFIX)


def draft_number(remote_id: str) -> str:
    return remote_id.removeprefix(DRAFT_PREFIX)


class InvoiceMixin:
    def remote_invoice(self, data: dict) -> RemoteInvoice:
        """A draft or booked invoice as e-conomic answered it."""
        booked = data.get("bookedInvoiceNumber")
        if not booked and not data.get("draftInvoiceNumber"):
            raise TransientError("e-conomic's answer names no invoice.")
        reference = str((data.get("references") or {}).get("other") or "")
        return RemoteInvoice(
            id=str(booked) if booked else draft_id(data["draftInvoiceNumber"]),
            number=reference or (str(booked) if booked else ""),
            status="Booked" if booked else "Draft",
            state=BOOKED if booked else DRAFT,
            amount_due=parse_money(data.get("remainder")) if booked else None,
            total=parse_money(data.get("grossAmount")),
        )

    # --- invoices --------------------------------------------------------------------------------------------

    def _book(self, number, book: dict, idempotency_key: str) -> RemoteInvoice:
        """POST /invoices/booked {"draftInvoice": {"draftInvoiceNumber": n}, "bookWithNumber"?}: the booked invoice."""
        body = {"draftInvoice": {"draftInvoiceNumber": int(number)}, **{k: v for k, v in book.items() if v}}
        data = self._write(
            "POST", "invoices/booked", body, idempotency_key=f"{idempotency_key}-book", action="invoice.book"
        )
        return self.remote_invoice(data)

    def _draft_then_book(self, draft: RemoteInvoice, book, idempotency_key: str) -> RemoteInvoice:
        """Book the draft when asked. A booking e-conomic refuses (its words are in the write log) leaves the copy a
        draft there, never a second one: "Update existing" sends the draft again and books it. Anything else (a
        throttle, a lost answer) goes up: the retry repeats both calls with the same keys, answered, not redone."""
        if book is None:
            return draft
        try:
            return self._book(draft_number(draft.id), book, idempotency_key)
        except ProviderValidationError:
            return draft

    def create_document(self, kind: str, payload: dict, idempotency_key: str) -> RemoteInvoice:
        """POST /invoices/drafts, then book it when the payload says so."""
        self.check_export_kind(kind)
        data = self._write(
            "POST", "invoices/drafts", payload["draft"], idempotency_key=idempotency_key, action="invoice.create"
        )
        return self._draft_then_book(self.remote_invoice(data), payload.get("book"), idempotency_key)

    def update_document(
        self, kind: str, remote_id: str, payload: dict, idempotency_key: str, *, version: str = ""
    ) -> RemoteInvoice:
        """PUT /invoices/drafts/:n with the whole draft (no PATCH), then book it when asked. A booked invoice cannot
        change in e-conomic: refused before any call (Create new makes another invoice)."""
        self.check_export_kind(kind)
        if not is_draft_id(remote_id):
            raise ProviderValidationError(
                "e-conomic does not allow changes to a booked invoice.",
                messages=[f"Invoice {remote_id} is booked in e-conomic and can no longer change."],
            )
        try:
            data = self._write(
                "PUT",
                f"invoices/drafts/{draft_number(remote_id)}",
                payload["draft"],
                idempotency_key=idempotency_key,
                action="invoice.update",
            )
        except IntegrationError as exc:
            if exc.http_status == 404:  # booked (or deleted) in e-conomic since it was copied
                raise ProviderValidationError(
                    "e-conomic no longer has this draft.",
                    messages=[f"Draft {draft_number(remote_id)} was booked or deleted in e-conomic meanwhile."],
                ) from None
            raise
        return self._draft_then_book(self.remote_invoice(data), payload.get("book"), idempotency_key)

    def find_document(self, kind: str, *, number: str = "", reference: str = "") -> RemoteInvoice | None:
        """The booked invoice, else the draft, whose references.other is our number."""
        self.check_export_kind(kind)
        key = reference or number
        if not key:
            return None
        for path in ("invoices/booked", "invoices/drafts"):
            items = self.collection(path, filter=equals("references.other", key), limit=5)
            for item in items:
                if str((item.get("references") or {}).get("other") or "") == key:
                    return self.remote_invoice(item)
        return None

    def read_booked(self, number: str) -> RemoteInvoice:
        """GET /invoices/booked/:bookedInvoiceNumber."""
        return self.remote_invoice(self.request("GET", f"invoices/booked/{number}").data or {})

    def void_document(self, kind: str, remote_id: str, idempotency_key: str) -> RemoteInvoice:
        """A draft is deleted (DELETE /invoices/drafts/:n; already gone is success). A booked invoice cannot be
        voided through the API: e-conomic wants a credit note for it."""
        self.check_export_kind(kind)
        if not is_draft_id(remote_id):
            raise ProviderValidationError(
                "e-conomic cannot void a booked invoice.",
                messages=[f"Invoice {remote_id} is booked in e-conomic: credit it there with a credit note."],
            )
        try:
            self.request(
                "DELETE",
                f"invoices/drafts/{draft_number(remote_id)}",
                idempotency_key=idempotency_key,
                action="invoice.void",
            )
        except IntegrationError as exc:
            if exc.http_status != 404:
                raise
        return RemoteInvoice(id=remote_id, status="Deleted", state="voided")

    def document_pdf(self, kind: str, remote_id: str) -> bytes:
        """GET /invoices/booked/:n/pdf (a draft's: /invoices/drafts/:n/pdf): e-conomic's rendering."""
        self.check_export_kind(kind)
        path = (
            f"invoices/drafts/{draft_number(remote_id)}/pdf"
            if is_draft_id(remote_id)
            else f"invoices/booked/{remote_id}/pdf"
        )
        response = self.request("GET", path, headers={"Accept": "application/pdf"}, expect=BYTES)
        return bytes(response.data or b"")
