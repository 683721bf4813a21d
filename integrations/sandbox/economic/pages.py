"""e-conomic's sandbox page beside the kit's: an agreement's drafts (book one, with or without a number) and
booked invoices with their remainders, where a person registers a customer payment (full or partial) or reverses
one."""

from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from ..guard import sandbox_enabled
from . import booking, payments
from .errors import Invalid
from .models import EcoAgreement, EcoPayment
from .store import cents, documents, paid_totals


def _agreement(agreement_number: str, *, lock: bool = False) -> EcoAgreement:
    rows = EcoAgreement.objects.select_for_update() if lock else EcoAgreement.objects
    agreement = rows.filter(agreement_number=int(agreement_number) if agreement_number.isdigit() else 0).first()
    if agreement is None:
        raise Http404("No such agreement.")
    return agreement


def panel_context(agreement_number: str) -> dict:
    agreement = _agreement(agreement_number)
    customers = {row.number: row.body["name"] for row in documents(agreement, "customers")}
    paid = paid_totals(agreement)
    booked = []
    for row in sorted(documents(agreement, "invoices/booked"), key=lambda r: int(r.number), reverse=True):
        gross = cents(row.body["grossAmount"])
        booked.append(
            {
                "number": row.number,
                "body": row.body,
                "customer": customers.get(str(row.body["customer"]["customerNumber"]), "?"),
                "remainder": gross - paid.get(int(row.number), 0),
            }
        )
    drafts = [
        {
            "number": row.number,
            "body": row.body,
            "customer": customers.get(str(row.body["customer"]["customerNumber"]), "?"),
        }
        for row in sorted(documents(agreement, "invoices/drafts"), key=lambda r: int(r.number), reverse=True)
    ]
    return {
        "agreement": agreement,
        "drafts": drafts,
        "booked": booked,
        "payments": list(EcoPayment.objects.filter(agreement=agreement).order_by("-created_at", "-id")),
    }


def payment_record(agreement_number: str, booked_number: str, form) -> str:
    with transaction.atomic():
        agreement = _agreement(agreement_number, lock=True)
        payment = payments.payment_register(agreement, booked_number, form.get("amount", ""), form.get("date", ""))
        left = payments.remainder_of(agreement, payment.booked_invoice_number)
    return f"Payment of {payment.amount} registered on invoice {booked_number}; remainder {left}."


def payment_delete(agreement_number: str, payment_id: str, form) -> str:
    """The kit's "delete a payment" is a reversal here: the entry stays, the remainder goes back up."""
    with transaction.atomic():
        agreement = _agreement(agreement_number, lock=True)
        payment = payments.payment_reverse(agreement, payment_id)
        left = payments.remainder_of(agreement, payment.booked_invoice_number)
    return f"Payment of {payment.amount} on invoice {payment.booked_invoice_number} reversed; remainder {left}."


@sandbox_enabled
@require_POST
def draft_book(request, tenant_id, draft_number):
    """Book a draft as a bookkeeper would in e-conomic: the next number of the series, or the one typed in."""
    number = request.POST.get("book_with_number", "").strip()
    payload = {"draftInvoice": {"draftInvoiceNumber": int(draft_number) if draft_number.isdigit() else 0}}
    if number:
        payload["bookWithNumber"] = int(number) if number.isdigit() else number
    try:
        with transaction.atomic():
            agreement = _agreement(tenant_id, lock=True)
            booked = booking.book(agreement, payload)
        messages.success(request, f"Draft {draft_number} booked as invoice {booked.number}.")
    except Invalid as exc:
        problems = [
            error["message"]
            for entry in exc.errors.values()
            if isinstance(entry, dict)
            for error in entry.get("errors", [])
        ]
        messages.error(request, " ".join(problems) or "The draft cannot be booked.")
    return redirect("sandbox:economic-agreement", tenant_id=tenant_id)
