"""Expense pages: list, detail (with payments), create and edit."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.views import View
from django.views.generic import DetailView, FormView, ListView

from billing import selectors, services
from billing.forms import ExpenseFilterForm, ExpenseForm, add_service_error
from billing.models import Expense
from billing.receipts import receipt_content_type, receipt_extension
from billing.tenancy import OrganizationMemberRequiredMixin

from .base import FilteredListMixin, OrganizationScopedMixin
from .payments import payment_form_for


class ExpenseMixin(OrganizationMemberRequiredMixin, OrganizationScopedMixin):
    model = Expense
    nav = "expenses"

    def get_queryset(self):
        return selectors.expense_list(organization=self.request.organization)


class ExpenseListView(FilteredListMixin, ExpenseMixin, ListView):
    template_name = "billing/expense_list.html"
    context_object_name = "expenses"
    paginate_by = 50
    filter_form_class = ExpenseFilterForm

    def list_rows(self, filters):
        return selectors.expense_list(organization=self.request.organization, filters=filters)


class ExpenseDetailView(ExpenseMixin, DetailView):
    template_name = "billing/expense_detail.html"

    def get_queryset(self):
        return selectors.expense_detail(organization=self.request.organization)

    def get_context_data(self, **kwargs):
        return super().get_context_data(payment_form=payment_form_for(self.object), **kwargs)


class ExpenseFormView(ExpenseMixin, FormView):
    """Create (no pk) or edit an expense through billing.services."""

    template_name = "billing/expense_form.html"
    form_class = ExpenseForm

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        return super().post(request, *args, **kwargs)

    def get_object(self):
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"]) if "pk" in self.kwargs else None

    def get_context_data(self, **kwargs):
        return super().get_context_data(object=self.object, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["organization"] = self.request.organization
        kwargs["instance"] = self.object
        return kwargs

    def form_valid(self, form):
        fields = form.service_fields()
        try:
            if self.object is None:
                expense = services.expense_create(organization=self.request.organization, **fields)
            else:
                expense = services.expense_update(expense=self.object, **fields)
        except ValidationError as error:
            add_service_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, "Expense saved.")
        return HttpResponseRedirect(expense.get_absolute_url())


class ExpenseReceiptView(ExpenseMixin, View):
    """The expense's receipt, as a download (members of its organization only; another organization's → 404)."""

    def get(self, request, pk):
        expense = get_object_or_404(self.get_queryset(), pk=pk)
        if not expense.receipt:
            raise Http404("This expense has no receipt.")
        name = f"receipt-{expense.pk}.{receipt_extension(expense.receipt.name) or 'bin'}"
        return FileResponse(
            expense.receipt.open("rb"), as_attachment=True, filename=name, content_type=receipt_content_type(name)
        )
