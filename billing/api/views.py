"""Thin, organization-scoped viewsets: validate with a serializer, write through billing.services."""

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.filters import SearchFilter
from rest_framework.response import Response

from billing import services
from billing.models import (
    Company,
    Expense,
    ExpensePayment,
    Invoice,
    Payment,
    PurchaseOrder,
    ServiceType,
    Subsidiary,
    TaxRate,
)
from billing.tenancy import current_membership

from . import filters, serializers
from .errors import call_service
from .permissions import IsOrganizationAdminOrReadOnly, IsOrganizationMember


def _service_kwargs(validated_data: dict) -> dict:
    """Validated data as service keyword arguments: nested line dicts become services.LineInput."""
    if "lines" not in validated_data:
        return dict(validated_data)
    return {**validated_data, "lines": [services.LineInput(**line) for line in validated_data["lines"]]}


class OrganizationScopedViewSet(viewsets.GenericViewSet):
    """Every query is filtered by the request's organization, so another organization's id is a 404."""

    lookup_value_converter = "int"

    @property
    def organization(self):
        return current_membership(self.request).organization

    def get_queryset(self):
        queryset = super().get_queryset()
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request organization
            return queryset.none()
        return queryset.filter(organization=self.organization)


class EditableViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    OrganizationScopedViewSet,
):
    """List, retrieve, create and update (PUT/PATCH); no delete."""


class SettingsViewSet(EditableViewSet):
    """Subsidiaries, companies, service types, tax rates: members read, admins create and change."""

    permission_classes = [IsOrganizationMember, IsOrganizationAdminOrReadOnly]

    def perform_create(self, serializer):
        serializer.instance = call_service(
            services.settings_object_create,
            organization=self.organization,
            model=self.queryset.model,
            **serializer.validated_data,
        )

    def perform_update(self, serializer):
        serializer.instance = call_service(
            services.settings_object_update, instance=serializer.instance, **serializer.validated_data
        )


class SubsidiaryViewSet(SettingsViewSet):
    queryset = Subsidiary.objects.all()
    serializer_class = serializers.SubsidiarySerializer


class CompanyViewSet(SettingsViewSet):
    queryset = Company.objects.all()
    serializer_class = serializers.CompanySerializer


class ServiceTypeViewSet(SettingsViewSet):
    queryset = ServiceType.objects.all()
    serializer_class = serializers.ServiceTypeSerializer


class TaxRateViewSet(SettingsViewSet):
    queryset = TaxRate.objects.all()
    serializer_class = serializers.TaxRateSerializer


class InvoiceViewSet(EditableViewSet):
    """Invoices: create and edit drafts (lines included), then finalize or void them."""

    queryset = Invoice.objects.select_related("subsidiary", "company")
    filter_backends = [DjangoFilterBackend, SearchFilter]
    filterset_class = filters.InvoiceFilter
    search_fields = ["number", "subject", "company__name"]

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "list":
            return queryset
        return queryset.prefetch_related("lines", "payments")

    def get_serializer_class(self):
        if self.action == "list":
            return serializers.InvoiceListSerializer
        return serializers.InvoiceSerializer

    def perform_create(self, serializer):
        serializer.instance = call_service(
            services.invoice_create, organization=self.organization, **_service_kwargs(serializer.validated_data)
        )

    def perform_update(self, serializer):
        serializer.instance = call_service(
            services.invoice_update, invoice=serializer.instance, **_service_kwargs(serializer.validated_data)
        )

    def _transition(self, service):
        invoice = call_service(service, invoice=self.get_object())
        return Response(serializers.InvoiceSerializer(invoice, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses=serializers.InvoiceSerializer)
    @action(detail=True, methods=["post"])
    def finalize(self, request, pk=None):
        """Give a draft the subsidiary's next number and lock it."""
        return self._transition(services.invoice_finalize)

    @extend_schema(request=None, responses=serializers.InvoiceSerializer)
    @action(detail=True, methods=["post"])
    def void(self, request, pk=None):
        """Void a finalized invoice without active payments."""
        return self._transition(services.invoice_void)


class PaymentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    OrganizationScopedViewSet,
):
    """Payments received on invoices. DELETE removes a manual payment: it is kept, marked deleted."""

    queryset = Payment.objects.all()
    serializer_class = serializers.PaymentSerializer
    filterset_class = filters.PaymentFilter

    def perform_create(self, serializer):
        serializer.instance = call_service(services.payment_record, user=self.request.user, **serializer.validated_data)

    def perform_destroy(self, instance):
        call_service(services.payment_delete_manual, payment=instance)


class ExpenseViewSet(EditableViewSet):
    queryset = Expense.objects.all()
    serializer_class = serializers.ExpenseSerializer
    filterset_class = filters.ExpenseFilter

    def perform_create(self, serializer):
        serializer.instance = call_service(
            services.expense_create, organization=self.organization, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = call_service(
            services.expense_update, expense=serializer.instance, **serializer.validated_data
        )


class ExpensePaymentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    OrganizationScopedViewSet,
):
    """Payments made on expenses: recorded here (manual) or synced from the accounting tool the bill was sent to
    (`source`, e.g. "xero"; their deletions there come back as is_deleted). DELETE removes a manual payment."""

    queryset = ExpensePayment.objects.order_by("date", "id")
    serializer_class = serializers.ExpensePaymentSerializer
    filterset_class = filters.ExpensePaymentFilter

    def perform_create(self, serializer):
        serializer.instance = call_service(
            services.expense_payment_record, user=self.request.user, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        call_service(services.expense_payment_delete_manual, payment=instance)


class PurchaseOrderViewSet(EditableViewSet):
    queryset = PurchaseOrder.objects.prefetch_related("lines")
    serializer_class = serializers.PurchaseOrderSerializer
    filterset_class = filters.PurchaseOrderFilter

    def perform_create(self, serializer):
        serializer.instance = call_service(
            services.purchase_order_create,
            organization=self.organization,
            **_service_kwargs(serializer.validated_data),
        )

    def perform_update(self, serializer):
        serializer.instance = call_service(
            services.purchase_order_update,
            purchase_order=serializer.instance,
            **_service_kwargs(serializer.validated_data),
        )
