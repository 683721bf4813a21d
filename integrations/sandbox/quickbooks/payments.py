"""Payments as a person records them in QuickBooks: full, partial, one payment over several invoices (a Line
with a LinkedTxn per invoice), amount edits, void and delete. Each moves the invoices' Balance and sends Intuit's
signed webhook (CloudEvents array, see webhooks.py)."""

from decimal import Decimal, InvalidOperation

from django.utils import timezone

from ..kit.declaration import PageError
from .demo import currency_ref
from .invoices import balance_refresh
from .models import QboCompany, QboEntity
from .store import entity_create, entity_delete, entity_save, find, money
from .webhooks import events_send


def _amount(raw) -> Decimal:
    try:
        amount = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError) as exc:
        raise PageError("The amount must be a number, such as 120.50.") from exc
    if amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise PageError("The amount must be more than zero, with at most two decimals.")
    return amount


def _balance(invoice: QboEntity, leaving: QboEntity | None = None) -> Decimal:
    """The invoice's open amount, counting `leaving`'s own share as open again (an edit replaces it)."""
    balance = Decimal(str(invoice.body["Balance"]))
    if leaving is not None:
        for line in leaving.body.get("Line", []):
            if any(t["TxnId"] == invoice.entity_id for t in line["LinkedTxn"]):
                balance += Decimal(str(line["Amount"]))
    return balance


def _allocations(company: QboCompany, amounts: dict[str, str], leaving: QboEntity | None = None) -> list:
    chosen = {invoice_id: raw for invoice_id, raw in amounts.items() if str(raw).strip()}
    if not chosen:
        raise PageError("Enter an amount for at least one invoice.")
    allocations, customers = [], set()
    for invoice_id, raw in chosen.items():
        invoice = find(company, "Invoice", invoice_id)
        if invoice is None:
            raise PageError("No such invoice.")
        amount = _amount(raw)
        if amount > _balance(invoice, leaving):
            number = invoice.body.get("DocNumber", invoice.entity_id)
            raise PageError(f"The payment of {amount} is more than the open balance of invoice {number}.")
        customers.add(invoice.body["CustomerRef"]["value"])
        allocations.append((invoice, amount))
    if len(customers) > 1:
        raise PageError("One payment can only pay invoices of one customer.")
    return allocations


def _lines(allocations) -> list[dict]:
    return [
        {"Amount": money(amount), "LinkedTxn": [{"TxnId": invoice.entity_id, "TxnType": "Invoice"}]}
        for invoice, amount in allocations
    ]


def payment_record(company: QboCompany, amounts: dict[str, str], *, date: str = "", reference: str = "") -> QboEntity:
    allocations = _allocations(company, amounts)
    total = sum((amount for _, amount in allocations), Decimal(0))
    body = {
        "CustomerRef": allocations[0][0].body["CustomerRef"],
        "TxnDate": date or timezone.localdate().isoformat(),
        "TotalAmt": money(total),
        "UnappliedAmt": 0,
        "ProcessPayment": False,
        "CurrencyRef": currency_ref(company),
        "Line": _lines(allocations),
    }
    if reference:
        body["PaymentRefNum"] = reference[:21]
    payment = entity_create(company, "Payment", body)
    _after(company, payment, "created", {invoice.entity_id for invoice, _ in allocations})
    return payment


def payment_edit(company: QboCompany, payment: QboEntity, amounts: dict[str, str]) -> QboEntity:
    """A person changes the amounts applied (the same Id, a new SyncToken: Intuit edits payments in place)."""
    before = {t["TxnId"] for line in payment.body["Line"] for t in line["LinkedTxn"]}
    allocations = _allocations(company, amounts, leaving=payment)
    total = sum((amount for _, amount in allocations), Decimal(0))
    entity_save(payment, {**payment.body, "TotalAmt": money(total), "Line": _lines(allocations)})
    _after(company, payment, "updated", before | {invoice.entity_id for invoice, _ in allocations})
    return payment


def payment_void(company: QboCompany, payment: QboEntity) -> QboEntity:
    """Voided: the payment keeps its Id, its amounts become zero and the invoices are open again."""
    if payment.body.get("PrivateNote") == "Voided":
        raise PageError("This payment is already voided.")
    invoice_ids = {t["TxnId"] for line in payment.body["Line"] for t in line["LinkedTxn"]}
    lines = [{**line, "Amount": 0} for line in payment.body["Line"]]
    entity_save(payment, {**payment.body, "TotalAmt": 0, "UnappliedAmt": 0, "Line": lines, "PrivateNote": "Voided"})
    _after(company, payment, "voided", invoice_ids)
    return payment


def payment_delete(company: QboCompany, payment: QboEntity) -> QboEntity:
    invoice_ids = {t["TxnId"] for line in payment.body["Line"] for t in line["LinkedTxn"]}
    entity_delete(payment)
    _after(company, payment, "deleted", invoice_ids)
    return payment


def _after(company: QboCompany, payment: QboEntity, operation: str, invoice_ids: set[str]) -> None:
    invoices = balance_refresh(company, invoice_ids)
    events_send(company, [("payment", payment, operation)] + [("invoice", row, "updated") for row in invoices])
