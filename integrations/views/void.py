"""Voiding an invoice that has copies in an accounting tool: the prompt asks whether to void them there too.

The invoice page's "Void" leads here when the invoice has a live copy (templates/integrations/invoice_void_action
.html); without copies it posts to billing's own void as before. Members may void the invoice, as on billing's
page; voiding in the accounting tool is a write there, so only admins are offered it. A void invoice whose copy
is still open comes back here from the panel's "Void in …" to void it there later (after removing a payment).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from billing.choices import InvoiceStatus
from billing.models import Invoice
from billing.tenancy import OrganizationMemberRequiredMixin, current_membership

from .. import registry
from ..exceptions import IntegrationError
from ..services.remote_void import invoice_void_with_copies, void_options
from .copy import describe_error


class InvoiceVoidView(OrganizationMemberRequiredMixin, View):
    model = Invoice  # the pk in the URL
    template_name = "integrations/void_prompt.html"

    def load(self, pk) -> Invoice:
        queryset = Invoice.objects.filter(organization=self.request.organization).select_related("subsidiary")
        return get_object_or_404(queryset, pk=pk)

    @property
    def is_admin(self) -> bool:
        membership = current_membership(self.request)
        return bool(membership and membership.is_admin)

    def get(self, request, pk):
        invoice = self.load(pk)
        context = {"invoice": invoice, "options": void_options(invoice=invoice), "is_admin": self.is_admin}
        return render(request, self.template_name, {**context, "nav": "invoices"})

    def post(self, request, pk):
        invoice = self.load(pk)
        was_void = invoice.status == InvoiceStatus.VOID
        void_copies = self.is_admin and request.POST.get("void_copies") == "1"
        try:
            result = invoice_void_with_copies(invoice=invoice, void_copies=void_copies)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return redirect(invoice.get_absolute_url())
        if not was_void:
            messages.success(request, f"Invoice {result.invoice} voided.")
        for copy in result.voided:
            provider = registry.get(copy.connection.provider)
            messages.success(request, f"{copy.remote_number or 'Its copy'} was voided in {provider.name} too.")
        for copy, why in result.kept:
            messages.warning(request, self.kept_message(copy, why))
        return redirect(invoice.get_absolute_url())

    def kept_message(self, copy, why) -> str:
        provider = registry.get(copy.connection.provider)
        label = copy.remote_number or "Its copy"
        if isinstance(why, IntegrationError):
            problem = describe_error(why, provider, "void")
            said = " ".join(problem.messages)
            return f"{label} stays open in {provider.name}: {problem.summary} {said} {problem.action}".strip()
        if why:
            return f"{label} stays open in {provider.name}: {why}"
        if not self.is_admin:
            return f"{label} stays open in {provider.name}: an admin can void it there from the Accounting panel."
        return (
            f"{label} stays open in {provider.name} (not voided there): void it later with “Void in {provider.name}”."
        )
