"""Purchase order pages: list, detail, create and edit (header + lines)."""

from __future__ import annotations

from django.views.generic import DetailView, ListView

from billing import selectors, services
from billing.forms import LineForm, LineFormSet, PurchaseOrderFilterForm, PurchaseOrderForm
from billing.models import PurchaseOrder
from billing.tenancy import OrganizationMemberRequiredMixin

from .base import FilteredListMixin, LinesFormView, OrganizationScopedMixin


class PurchaseOrderMixin(OrganizationMemberRequiredMixin, OrganizationScopedMixin):
    model = PurchaseOrder
    nav = "purchase_orders"

    def get_queryset(self):
        return selectors.purchase_order_list(organization=self.request.organization)


class PurchaseOrderListView(FilteredListMixin, PurchaseOrderMixin, ListView):
    template_name = "billing/purchaseorder_list.html"
    context_object_name = "purchase_orders"
    paginate_by = 50
    filter_form_class = PurchaseOrderFilterForm

    def list_rows(self, filters):
        return selectors.purchase_order_list(organization=self.request.organization, filters=filters)


class PurchaseOrderDetailView(PurchaseOrderMixin, DetailView):
    template_name = "billing/purchaseorder_detail.html"

    def get_queryset(self):
        return selectors.purchase_order_detail(organization=self.request.organization)


class PurchaseOrderFormView(PurchaseOrderMixin, LinesFormView):
    template_name = "billing/purchaseorder_form.html"
    form_class = PurchaseOrderForm
    formset_class = LineFormSet
    success_message = "Purchase order {obj.number} saved."

    def get_form_kwargs(self, order):
        if order is None:
            return {"initial": {"status": "draft"}}
        return {"instance": order}

    def get_line_initial(self, order):
        return [LineForm.initial_for(line) for line in order.lines.all()] if order else []

    def save(self, order, form, formset):
        fields = {name: form.cleaned_data[name] for name in PurchaseOrderForm.Meta.fields}
        if order is None:
            return services.purchase_order_create(
                organization=self.request.organization, lines=formset.lines(), **fields
            )
        return services.purchase_order_update(purchase_order=order, lines=formset.lines(), **fields)
