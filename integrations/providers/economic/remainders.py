"""What is still owed on our copies (the remainder payment feed: e-conomic has no list of payments per invoice).

Booked copies (remote id = bookedInvoiceNumber) are read `GET /invoices/booked?filter=bookedInvoiceNumber$in:[…]`,
at most 200 numbers a call (e-conomic's $in limit), so asking about N open copies costs ⌈N / 200⌉ calls; each
answer carries `grossAmount`, `remainder` and `currency` (restdocs "Booked invoices": remainder is "Remaining
amount to be paid", read-only). A copy left as a draft (remote id `draft-<n>`) has nothing owed until a bookkeeper
books it in e-conomic: `GET /invoices/drafts?filter=draftInvoiceNumber$in:[…]` says which are still drafts, and the
booked invoice of one that left the drafts is found by our number in `references.other` (booking keeps it).
"""

from __future__ import annotations

from integrations.providers.base import RemainderQuery, RemoteRemainder

from .filters import any_of, chunks, either, equals

REFERENCES_PER_CALL = 20  # $or:-joined references.other equalities in one filter (the URL stays short)


class RemainderMixin:
    def fetch_remainders(self, documents: list[RemainderQuery]) -> list[RemoteRemainder]:
        from .invoices import draft_number, is_draft_id

        booked = [query.document_id for query in documents if query.document_id.isdigit()]
        drafts = [query for query in documents if is_draft_id(query.document_id)]
        answers = []
        for numbers in chunks(booked):
            items = self.collection("invoices/booked", filter=any_of("bookedInvoiceNumber", [int(n) for n in numbers]))
            wanted = set(numbers)
            for item in items:
                number = str(item.get("bookedInvoiceNumber") or "")
                if number in wanted and (answer := self._remainder(number, item)):
                    answers.append(answer)
        if drafts:
            still_drafts: set[str] = set()
            for group in chunks(drafts):
                filter = any_of("draftInvoiceNumber", [int(draft_number(q.document_id)) for q in group])
                still_drafts |= {
                    str(item.get("draftInvoiceNumber")) for item in self.collection("invoices/drafts", filter=filter)
                }
            left = [q for q in drafts if draft_number(q.document_id) not in still_drafts and q.document_number]
            answers += self._booked_since(left)
        return answers

    def _booked_since(self, queries: list[RemainderQuery]) -> list[RemoteRemainder]:
        """Drafts a bookkeeper booked in e-conomic: their booked invoices, by our number in references.other."""
        answers = []
        for group in chunks(queries, REFERENCES_PER_CALL):
            by_reference = {query.document_number: query for query in group}
            filter = either([equals("references.other", reference) for reference in by_reference])
            for item in self.collection("invoices/booked", filter=filter):
                query = by_reference.pop(str((item.get("references") or {}).get("other") or ""), None)
                if query is not None and (answer := self._remainder(query.document_id, item)):
                    answers.append(answer)
        return answers

    @staticmethod
    def _remainder(document_id: str, item: dict) -> RemoteRemainder | None:
        """None when the answer lacks either amount (the document is then left out, asked again next run)."""
        from .invoices import parse_money

        total, remainder = parse_money(item.get("grossAmount")), parse_money(item.get("remainder"))
        if total is None or remainder is None:
            return None
        lookup = {
            "booked": str(item.get("bookedInvoiceNumber") or ""),
            "customer": str((item.get("customer") or {}).get("customerNumber") or ""),
        }
        currency = str(item.get("currency") or "")
        return RemoteRemainder(document_id, total=total, remainder=remainder, currency=currency, lookup=lookup)
