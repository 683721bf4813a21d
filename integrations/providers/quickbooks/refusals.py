"""What a user can do about QuickBooks' refusals whose words we recognise (Provider.refusal_action).

Intuit's Message and Detail are shown verbatim beside these (faults.FaultError.words); here only the next step,
matched on Intuit's own words (the stored error of a failed copy keeps the words, not the codes). Where nothing of
ours needs correcting (a number QuickBooks already holds, a voided or paid invoice) the step never says "correct it".
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Refusal:
    words: tuple[str, ...]  # any of these, lower-cased, in Intuit's text
    action: str
    void_action: str = ""  # when voiding (else `action`)
    update_action: str = ""  # when updating an earlier copy (else `action`)

    def for_operation(self, operation: str) -> str:
        if operation == "void" and self.void_action:
            return self.void_action
        if operation == "update" and self.update_action:
            return self.update_action
        return self.action


REFUSALS = (
    Refusal(
        ("duplicate document number",),  # 6140
        "QuickBooks already has an invoice with this number that is not this copy (made in QuickBooks, or by an "
        "earlier copy). Open it in QuickBooks: if it is this sale, keep it; otherwise void or renumber it there, "
        "then copy again.",
    ),
    Refusal(
        ("invalid reference id",),  # 2500: an item, tax code, term or customer that no longer exists or is inactive
        "Something the setup or the prompt names (an item, tax code, payment term or customer) no longer exists in "
        "QuickBooks or is inactive: press “Refresh lists” on the setup page, pick again, then copy again.",
    ),
    Refusal(
        ("vat rate", "tax code", "taxcode", "sales tax"),  # 6000 business validation on tax
        "This QuickBooks company needs a tax code on the invoice: choose one as “QuickBooks tax code” on the copy "
        "prompt (bulk copies use the setup's “Default tax code”), then copy again.",
    ),
    Refusal(
        ("multicurrency",),
        "Multicurrency is off in this QuickBooks company, which takes invoices only in its own currency: turn "
        "multicurrency on in QuickBooks (Settings → Account and settings → Advanced → Currency), or connect this "
        "subsidiary to a company in the invoice's currency.",
    ),
    Refusal(
        ("made inactive", "object not found"),  # 610
        "Something this invoice uses was deleted or made inactive in QuickBooks (its customer, an item, the tax "
        "code or the terms): make it active again in QuickBooks, or press “Refresh lists” on the setup page and "
        "pick another, then copy again.",
        void_action="QuickBooks no longer has this invoice (deleted there): there is nothing left to void in "
        "QuickBooks.",
        update_action="QuickBooks no longer has the invoice or something it uses (deleted or made inactive there): "
        "make it active again in QuickBooks, or use “Create new” to copy the invoice again.",
    ),
    Refusal(
        ("stale object",),  # 5010 twice: re-read and retried once already
        "The invoice kept changing in QuickBooks while we updated it: wait until nobody edits it there, then use "
        "“Update existing” again (it reads QuickBooks' current version first and overwrites nothing blindly).",
    ),
    Refusal(
        ("voided transaction cannot be changed",),
        "QuickBooks changes a voided invoice no more: use “Create new” to make another copy.",
    ),
    Refusal(
        ("linked to a payment", "has payments applied", "payment applied"),
        "QuickBooks does not change an invoice that has payments: remove or unlink the payment in QuickBooks "
        "first, or use “Create new” to make another copy.",
        void_action="Remove or unlink the payment in QuickBooks first, then void again; until then the QuickBooks "
        "invoice stays as it is.",
    ),
    Refusal(
        ("string length",),  # 2050, e.g. DocNumber over 21 characters
        "QuickBooks takes at most 21 characters in an invoice number (and shorter texts in some fields): let "
        "QuickBooks number invoices in the setup, or use a shorter number prefix for this subsidiary; an issued "
        "number never changes, so copy this invoice by hand in QuickBooks.",
    ),
    Refusal(
        ("duplicate name exists",),  # 6240 that could not be resolved to one customer
        "A customer, vendor or employee in QuickBooks already uses this name: pick that customer in the copy "
        "prompt's search, or rename one of them in QuickBooks, then copy again.",
    ),
    Refusal(
        ("closing date", "closed period", "account period closed"),
        "The invoice's date is before the company's closing date in QuickBooks: ask its accountant to move the "
        "closing date (Settings → Account and settings → Advanced), then copy again.",
    ),
)


def refusal_action(messages: list[str], operation: str) -> str:
    text = " ".join(messages).lower()
    for refusal in REFUSALS:
        if any(word in text for word in refusal.words):
            return refusal.for_operation(operation)
    return ""
