"""What a user can do about Xero's refusals whose words we recognise (Provider.refusal_action).

Xero's own messages are shown verbatim beside these; here only the next step. A refusal where there is nothing
of ours to correct (a number Xero already holds, an invoice with payments) must never read "correct it".
"""

from __future__ import annotations

DUPLICATE_NUMBER = "invoice # must be unique"
HAS_PAYMENTS = "has a payment or credit note allocated"
NOT_MODIFIABLE = "not of valid status for modification"


def refusal_action(messages: list[str], operation: str) -> str:
    text = " ".join(messages).lower()
    if DUPLICATE_NUMBER in text:
        return (
            "Xero already has an invoice with this number that is not this copy (made in Xero, or by an earlier "
            "copy). Open it in Xero: if it is this sale, keep it; otherwise void or renumber it there, then copy again."
        )
    if HAS_PAYMENTS in text or NOT_MODIFIABLE in text:
        if operation == "void":
            return "Remove the payment in Xero first, then void it again; until then the Xero invoice stays as it is."
        return (
            "Xero does not change an invoice that has payments (or is paid or voided): remove the payment in Xero "
            "first, or use “Create new” to make another copy."
        )
    return ""
