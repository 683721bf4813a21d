"""QuickBooks' own sandbox pages beside the kit's: the company panel, payments a person records over several
invoices, edits and voids, the custom-transaction-numbers switch, and the "View in QuickBooks" deep link."""

from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from ..guard import sandbox_enabled
from ..kit.declaration import PageError
from . import payments
from .models import QboCompany
from .store import find, live


def _company(realm_id: str, *, lock: bool = False) -> QboCompany:
    rows = QboCompany.objects.select_for_update() if lock else QboCompany.objects
    company = rows.filter(realm_id=realm_id).first()
    if company is None:
        raise Http404("No such company.")
    return company


def _amounts(form) -> dict[str, str]:
    return {key.removeprefix("amount_"): value for key, value in form.items() if key.startswith("amount_")}


def panel_context(realm_id: str) -> dict:
    company = _company(realm_id)
    invoices = list(live(company, "Invoice").order_by("-created_at", "-id"))
    payment_rows = list(live(company, "Payment").order_by("-created_at", "-id"))
    customers = {row.entity_id: row.body["DisplayName"] for row in live(company, "Customer")}
    numbers = {row.entity_id: row.body.get("DocNumber", f"#{row.entity_id}") for row in invoices}
    return {
        "company": company,
        "invoices": [
            {"row": row, "body": row.body, "customer": customers.get(row.body["CustomerRef"]["value"], "?")}
            for row in invoices
        ],
        "payments": [
            {
                "row": row,
                "body": row.body,
                "customer": customers.get(row.body["CustomerRef"]["value"], "?"),
                "lines": [
                    (line["LinkedTxn"][0]["TxnId"], numbers.get(line["LinkedTxn"][0]["TxnId"], "?"), line["Amount"])
                    for line in row.body["Line"]
                ],
            }
            for row in payment_rows
        ],
        "customers": sorted(customers.values()),
    }


def payment_record(realm_id: str, invoice_id: str, form) -> str:
    """The kit's "record a payment" on one invoice (full or partial)."""
    return _split(realm_id, {invoice_id: form.get("amount", "")}, form)


def _split(realm_id: str, amounts: dict[str, str], form) -> str:
    with transaction.atomic():
        company = _company(realm_id, lock=True)
        payment = payments.payment_record(
            company, amounts, date=form.get("date", ""), reference=form.get("reference", "")
        )
    return f"Payment {payment.entity_id} of {payment.body['TotalAmt']} recorded."


def payment_delete(realm_id: str, payment_id: str, form) -> str:
    with transaction.atomic():
        company = _company(realm_id, lock=True)
        payment = find(company, "Payment", payment_id)
        if payment is None:
            raise PageError("No such payment.")
        payments.payment_delete(company, payment)
    return f"Payment {payment_id} deleted."


def _back(realm_id: str):
    return redirect("sandbox:quickbooks-company", tenant_id=realm_id)


def _act(request, realm_id: str, action) -> object:
    try:
        messages.success(request, action())
    except PageError as exc:
        messages.error(request, str(exc))
    return _back(realm_id)


@sandbox_enabled
@require_POST
def split_payment(request, tenant_id):
    """One payment over several invoices of a customer: an amount per invoice (`amount_<invoice id>`)."""
    _company(tenant_id)
    return _act(request, tenant_id, lambda: _split(tenant_id, _amounts(request.POST), request.POST))


@sandbox_enabled
@require_POST
def payment_edit(request, tenant_id, payment_id):
    def edit() -> str:
        with transaction.atomic():
            company = _company(tenant_id, lock=True)
            payment = find(company, "Payment", payment_id)
            if payment is None:
                raise PageError("No such payment.")
            payments.payment_edit(company, payment, _amounts(request.POST))
        return f"Payment {payment_id} changed to {payment.body['TotalAmt']}."

    _company(tenant_id)
    return _act(request, tenant_id, edit)


@sandbox_enabled
@require_POST
def payment_void(request, tenant_id, payment_id):
    def void() -> str:
        with transaction.atomic():
            company = _company(tenant_id, lock=True)
            payment = find(company, "Payment", payment_id)
            if payment is None:
                raise PageError("No such payment.")
            payments.payment_void(company, payment)
        return f"Payment {payment_id} voided."

    _company(tenant_id)
    return _act(request, tenant_id, void)


@sandbox_enabled
@require_POST
def custom_numbers(request, tenant_id):
    company = _company(tenant_id)
    company.custom_txn_numbers = request.POST.get("on") == "1"
    company.save(update_fields=["custom_txn_numbers"])
    state = "on" if company.custom_txn_numbers else "off"
    messages.success(request, f"Custom transaction numbers are {state}.")
    return _back(tenant_id)


@sandbox_enabled
@require_GET
def invoice_deep_link(request):
    """Intuit's "View in QuickBooks" URL (/app/invoice?txnId=…): the invoice in the signed-in company; the
    sandbox has no sign-in, so it shows the invoice with that id in each demo company that has one."""
    txn_id = request.GET.get("txnId", "")
    found = [(c, find(c, "Invoice", txn_id)) for c in QboCompany.objects.all()] if txn_id.isdigit() else []
    found = [(company, row) for company, row in found if row is not None]
    if not found:
        raise Http404("No invoice with this txnId.")
    return render(request, "sandbox/quickbooks/invoice.html", {"found": found, "txn_id": txn_id})
