"""What a person does to an invoice in Xero behind the app's back (the drift reconciliation must find): change an
approved invoice's amount (its first line's unit price, as Xero's edit screen allows while no payment is
allocated) or void it. Both go through the sandbox's own invoice rules, like an API write, and send the INVOICE
UPDATE webhook Xero sends for any change."""

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path
from django.views.decorators.http import require_POST

from ..guard import sandbox_enabled
from ..kit.declaration import PageError
from ..models import XeroInvoice, XeroOrg
from . import services
from .webhooks import invoice_events_send


def _invoice(tenant_key: str, invoice_id: str) -> tuple[XeroOrg, XeroInvoice]:
    org = XeroOrg.objects.select_for_update().filter(tenant_id=tenant_key).first()
    if org is None:
        raise Http404("No such organisation.")
    invoice = XeroInvoice.objects.filter(org=org, invoice_id=invoice_id).first()
    if invoice is None:
        raise PageError("No such invoice.")
    return org, invoice


def invoice_unit_price_change(tenant_key: str, invoice_id: str, form) -> str:
    try:
        unit_amount = Decimal(str(form.get("unit_amount", "")).strip())
    except InvalidOperation:
        raise PageError("The unit price must be a number.") from None
    with transaction.atomic():
        org, invoice = _invoice(tenant_key, invoice_id)
        if not invoice.line_items:
            raise PageError("The invoice has no lines to edit.")
        lines = [dict(line) for line in invoice.line_items]
        lines[0]["UnitAmount"] = str(unit_amount)
        try:
            services.invoice_save(org=org, data={"LineItems": lines}, create_only=False, invoice_id=invoice_id)
        except services.ElementInvalid as exc:
            raise PageError(" ".join(exc.messages)) from exc
        invoice.refresh_from_db()
        invoice_events_send(tenant_key, [(invoice, "UPDATE")])
    return f"{invoice.number} now totals {invoice.currency_code} {invoice.total}."


def invoice_void(tenant_key: str, invoice_id: str, form) -> str:
    with transaction.atomic():
        org, invoice = _invoice(tenant_key, invoice_id)
        status = "DELETED" if invoice.status in ("DRAFT", "SUBMITTED") else "VOIDED"
        try:
            services.invoice_save(org=org, data={"Status": status}, create_only=False, invoice_id=invoice_id)
        except services.ElementInvalid as exc:
            raise PageError(" ".join(exc.messages)) from exc
        invoice.refresh_from_db()
        invoice_events_send(tenant_key, [(invoice, "UPDATE")])
    return f"{invoice.number} is {invoice.status.lower()}."


def _person_edit(edit):
    @sandbox_enabled
    @require_POST
    def view(request, tenant_id, invoice_id):
        try:
            messages.success(request, edit(str(tenant_id), str(invoice_id), request.POST))
        except PageError as exc:
            messages.error(request, str(exc))
        return redirect("sandbox:xero-org", tenant_id=tenant_id)

    return view


def person_edit_urls() -> list:
    return [
        path(
            "xero/orgs/<uuid:tenant_id>/invoices/<uuid:invoice_id>/unit-price/",
            _person_edit(invoice_unit_price_change),
            name="xero-invoice-unit-price",
        ),
        path(
            "xero/orgs/<uuid:tenant_id>/invoices/<uuid:invoice_id>/void/",
            _person_edit(invoice_void),
            name="xero-invoice-void",
        ),
    ]
