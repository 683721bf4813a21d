"""Recording (and removing) manual payments of invoices and expenses. The form works as a page and as an
HTMX partial swapped into the document's detail page."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.generic import View
from django.views.generic.base import TemplateResponseMixin
from django.views.generic.detail import SingleObjectMixin

from billing import selectors, services
from billing.choices import PaymentSource
from billing.forms import PaymentForm
from billing.models import Expense, Invoice, Payment
from billing.tenancy import OrganizationMemberRequiredMixin

from .base import ObjectActionView, OrganizationScopedMixin, redirect_to, run_service


def payment_form_for(document) -> PaymentForm:
    """An empty payment form proposing the amount still due, paid today."""
    due = document.total - document.amount_paid
    return PaymentForm(initial={"amount": due if due > 0 else None, "date": timezone.localdate()})


class PaymentCreateView(
    OrganizationMemberRequiredMixin, OrganizationScopedMixin, SingleObjectMixin, TemplateResponseMixin, View
):
    """GET: the form (a partial for HTMX); POST: record through `record`, then back to the document."""

    template_name = "billing/payment_form.html"
    partial_template_name = "billing/_payment_form.html"

    def record(self, document, data: dict):
        raise NotImplementedError

    def get_template_names(self):
        return [self.partial_template_name if self.request.htmx else self.template_name]

    def render(self, document, form):
        return self.render_to_response(
            {
                "object": document,
                "document": document,
                "amount_due": document.total - document.amount_paid,
                "form": form,
                "nav": self.nav,
                "action": self.request.path,
            }
        )

    def get(self, request, *args, **kwargs):
        document = self.get_object()
        return self.render(document, payment_form_for(document))

    def post(self, request, *args, **kwargs):
        document = self.get_object()
        form = PaymentForm(request.POST)
        if form.is_valid() and run_service(form, lambda: self.record(document, form.cleaned_data)) is not None:
            messages.success(request, "Payment recorded.")
            return redirect_to(request, document.get_absolute_url())
        return self.render(document, form)


class InvoicePaymentCreateView(PaymentCreateView):
    model = Invoice
    nav = "invoices"

    def record(self, invoice, data):
        return services.payment_record(invoice=invoice, user=self.request.user, **data)


class ExpensePaymentCreateView(PaymentCreateView):
    model = Expense
    nav = "expenses"

    def get_queryset(self):
        return selectors.expense_list(organization=self.request.organization)

    def record(self, expense, data):
        return services.expense_payment_record(expense=expense, user=self.request.user, **data)


class InvoicePaymentDeleteView(ObjectActionView):
    """Remove a manual payment (kept, struck through). Payments from an accounting tool are removed there."""

    model = Invoice
    child_models = {"payment_pk": Payment}  # read by the route security matrix test
    success_message = "Payment removed."

    def perform(self, invoice):
        payment = get_object_or_404(
            Payment, pk=self.kwargs["payment_pk"], invoice=invoice, organization=self.request.organization
        )
        if payment.source != PaymentSource.MANUAL:
            source = payment.get_source_display()
            raise ValidationError(f"This payment came from {source}; remove it in {source}.")
        services.payment_delete(payment=payment)
        return invoice
