"""The division page beside the kit's: booked invoices with their receivables, payments registered on an invoice
(full, partial; edit, delete), one bulk payment matched to several invoices and its undo."""

import datetime as dt
from decimal import Decimal

from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from ..guard import sandbox_enabled
from ..kit.declaration import PageError
from . import payments
from .models import ExactDivision
from .store import find, live


def _division(code, *, lock: bool = False) -> ExactDivision:
    rows = ExactDivision.objects.select_for_update() if lock else ExactDivision.objects
    division = rows.filter(code=int(code)).first() if str(code).isdigit() else None
    if division is None:
        raise Http404("No such division.")
    return division


def _money(value) -> str:
    return f"{Decimal(str(value)):.2f}"


def panel_context(code: str) -> dict:
    division = _division(code)
    receivables = {row.body["TransactionEntryID"]: row for row in live(division, "Receivable")}
    invoices = []
    for entity in ("SalesEntry", "SalesInvoice"):
        for row in live(division, entity).order_by("-created_at", "-id"):
            receivable = receivables.get(row.key)
            paid = payments.paid_on(division, receivable)[0] if receivable else Decimal(0)
            invoices.append(
                {
                    "key": row.key,
                    "kind": "Sales entry" if entity == "SalesEntry" else "Sales invoice",
                    "number": row.body.get("InvoiceNumber") or row.body.get("EntryNumber"),
                    "your_ref": row.body.get("YourRef") or "",
                    "customer": row.body.get("CustomerName") or row.body.get("InvoiceToName"),
                    "total": _money(row.body["AmountDC"]),
                    "receivable": receivable.body if receivable else None,
                    "paid": _money(paid),
                    "open": _money(Decimal(row.body["AmountDC"]) - paid) if receivable else "",
                    "matched": bool(receivable and receivable.body.get(payments.MATCHED_BY)),
                }
            )
    return {
        "division": division,
        "invoices": invoices,
        "payments": _payments(division),
        "no_vat_codes": not live(division, "VATCode").exists(),
    }


def _payments(division: ExactDivision) -> list[dict]:
    lines = [row for row in live(division, "TransactionLine").order_by("-created_at", "-id") if row.body["Type"] == 40]
    out = []
    for row in lines:
        body = row.body
        if body["LineNumber"] != 1:
            continue
        matched = [
            r.body["InvoiceNumber"]
            for r in live(division, "Receivable")
            if r.body.get(payments.MATCHED_BY) == body["EntryID"]
        ]
        out.append(
            {
                "entry_id": body["EntryID"],
                "number": body["EntryNumber"],
                "customer": body.get("AccountName"),
                "amount": _money(-Decimal(body["AmountDC"])),
                "date": dt.datetime.fromtimestamp(body["Date"] / 1000, tz=dt.UTC).date().isoformat(),
                "invoice_number": body.get("InvoiceNumber"),
                "matched": matched,
            }
        )
    return out


def payment_record(code: str, invoice_key: str, form) -> str:
    """The kit's "record a payment" on one invoice: full or partial."""
    with transaction.atomic():
        division = _division(code, lock=True)
        payments.payment_register(division, invoice_key, form.get("amount", ""), form.get("date", ""))
    return f"Payment of {form.get('amount', '')} registered on the invoice."


def payment_delete(code: str, entry_id: str, form) -> str:
    with transaction.atomic():
        payments.payment_delete(_division(code, lock=True), entry_id)
    return "Payment deleted."


def _act(request, code: str, action):
    try:
        messages.success(request, action())
    except PageError as exc:
        messages.error(request, str(exc))
    return redirect("sandbox:exact-division", tenant_id=code)


@sandbox_enabled
@require_POST
def payment_edit(request, tenant_id, entry_id):
    _division(tenant_id)

    def edit() -> str:
        with transaction.atomic():
            division = _division(tenant_id, lock=True)
            payments.payment_edit(division, entry_id, request.POST.get("amount", ""), request.POST.get("date", ""))
        return f"Payment changed to {request.POST.get('amount', '')}."

    return _act(request, tenant_id, edit)


@sandbox_enabled
@require_POST
def bulk_payment(request, tenant_id):
    _division(tenant_id)

    def book() -> str:
        with transaction.atomic():
            division = _division(tenant_id, lock=True)
            payments.bulk_payment(division, request.POST.getlist("invoice"), request.POST.get("date", ""))
        return "Bulk payment booked and matched to the invoices."

    return _act(request, tenant_id, book)


@sandbox_enabled
@require_POST
def match_undo(request, tenant_id, entry_id):
    _division(tenant_id)

    def undo() -> str:
        with transaction.atomic():
            count = payments.match_undo(_division(tenant_id, lock=True), entry_id)
        return f"Match undone: {count} invoice(s) open again."

    return _act(request, tenant_id, undo)


@sandbox_enabled
@require_GET
def entry_card(request, locale, page):
    """A "View in Exact" link (/docs/<page>.aspx?_Division_=…[&EntryID=… or InvoiceID=…]): the division's page,
    at that invoice when one is named (Exact's real pages need a login the sandbox does not have)."""
    division = _division(request.GET.get("_Division_", ""))
    if division.locale != locale:
        raise Http404("No such division on this site.")
    page_url = reverse("sandbox:exact-division", kwargs={"tenant_id": division.code})
    key = (request.GET.get("EntryID") or request.GET.get("InvoiceID") or "").strip("{}").lower()
    if not key:  # a portal page of the division (MenuPortal.aspx)
        return redirect(page_url)
    if not any(find(division, entity, key) for entity in ("SalesEntry", "SalesInvoice")):
        raise Http404("No such entry in this division.")
    return redirect(f"{page_url}#invoice-{key}")
