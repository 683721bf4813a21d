"""Invoice pages: list, detail, create/edit draft, finalize, void and the PDF."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.generic import DetailView, ListView, View
from django.views.generic.detail import SingleObjectMixin

from billing import selectors, services
from billing.forms import InvoiceFilterForm, InvoiceForm, LineForm, LineFormSet
from billing.list_extensions import invoice_list_columns
from billing.models import Invoice, Subsidiary
from billing.pdf import invoice_pdf
from billing.pdf_sources import PdfSourceError, external_invoice_pdf
from billing.tenancy import OrganizationMemberRequiredMixin

from .base import FilteredListMixin, LinesFormView, ObjectActionView, OrganizationScopedMixin


class InvoiceMixin(OrganizationMemberRequiredMixin, OrganizationScopedMixin):
    model = Invoice
    nav = "invoices"


class InvoiceListView(FilteredListMixin, InvoiceMixin, ListView):
    template_name = "billing/invoice_list.html"
    context_object_name = "invoices"
    paginate_by = 50
    filter_form_class = InvoiceFilterForm

    def list_rows(self, filters):
        return selectors.invoice_list(organization=self.request.organization, filters=filters)

    def get_context_data(self, **kwargs):
        return super().get_context_data(extra_columns=invoice_list_columns(self.request.organization), **kwargs)


class InvoiceDetailView(InvoiceMixin, DetailView):
    template_name = "billing/invoice_detail.html"

    def get_queryset(self):
        return selectors.invoice_detail(organization=self.request.organization)


class InvoiceFormView(InvoiceMixin, LinesFormView):
    template_name = "billing/invoice_form.html"
    form_class = InvoiceForm
    formset_class = LineFormSet

    def get(self, request, *args, **kwargs):
        invoice = self.get_object()
        if invoice is not None and not invoice.is_draft:
            messages.error(request, f"Only draft invoices can be edited; this one is {invoice.get_status_display()}.")
            return redirect(invoice)
        return super().get(request, *args, **kwargs)

    def get_form_kwargs(self, invoice):
        if invoice is not None:
            return {"initial": InvoiceForm.initial_for(invoice)}
        today = timezone.localdate()
        subsidiaries = list(Subsidiary.objects.filter(organization=self.request.organization)[:2])
        only = subsidiaries[0] if len(subsidiaries) == 1 else None
        initial = {"issue_date": today, "due_date": selectors.invoice_due_date(issue_date=today, subsidiary=only)}
        if only is not None:
            initial.update(subsidiary=only.pk, currency=only.default_currency)
        return {"initial": initial}

    def get_line_initial(self, invoice):
        return [LineForm.initial_for(line) for line in invoice.lines.all()] if invoice else []

    def save(self, invoice, form, formset):
        fields = dict(form.cleaned_data)
        if invoice is None:
            return services.invoice_create(organization=self.request.organization, lines=formset.lines(), **fields)
        return services.invoice_update(invoice=invoice, lines=formset.lines(), **fields)

    @property
    def success_message(self):
        return "Invoice saved." if "pk" in self.kwargs else "Draft invoice created."


class InvoiceFinalizeView(InvoiceMixin, ObjectActionView):
    success_message = "Invoice finalized as {obj.number}."

    def perform(self, invoice):
        return services.invoice_finalize(invoice=invoice)


class InvoiceVoidView(InvoiceMixin, ObjectActionView):
    success_message = "Invoice {obj.number} voided."

    def perform(self, invoice):
        return services.invoice_void(invoice=invoice)


class InvoicePdfView(InvoiceMixin, SingleObjectMixin, View):
    def get_queryset(self):
        return selectors.invoice_detail(organization=self.request.organization)

    def get(self, request, *args, **kwargs):
        invoice = self.get_object()
        try:
            # An accounting tool may make the official PDF (its copy's PDF); otherwise ours.
            pdf = external_invoice_pdf(invoice) or invoice_pdf(invoice)
        except PdfSourceError as exc:
            messages.error(request, str(exc))
            return redirect("billing:invoice-detail", pk=invoice.pk)
        response = HttpResponse(pdf, content_type="application/pdf")
        filename = (invoice.number or f"draft-{invoice.pk}").replace('"', "")
        response["Content-Disposition"] = f'inline; filename="{filename}.pdf"'
        return response
