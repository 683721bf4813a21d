"""API shapes. Serializers check types and resolve ids inside the organization; billing.services does the rest.

Derived values (numbers, totals, amounts paid, payment status) are read-only. Money is a string ("123.45")
next to a currency code.
"""

import decimal

from django.db import models
from django.urls import reverse
from rest_framework import serializers

from billing.models import (
    Company,
    Expense,
    ExpensePayment,
    Invoice,
    InvoiceLine,
    Payment,
    PurchaseOrder,
    PurchaseOrderLine,
    ServiceType,
    Subsidiary,
    TaxRate,
)

from .fields import OrganizationPrimaryKeyRelatedField


class ColumnDecimalField(serializers.DecimalField):
    """A DecimalField that shows a stored value wider than max_digits (a row written before the services
    checked; see billing.amount_limits) as its plain digits instead of failing the whole response."""

    def to_representation(self, value):
        try:
            return super().to_representation(value)
        except decimal.InvalidOperation:
            return f"{value:f}"


def money_field(**kwargs):
    return ColumnDecimalField(max_digits=14, decimal_places=2, read_only=True, **kwargs)


class OrganizationModelSerializer(serializers.ModelSerializer):
    """Every foreign key it builds accepts only ids of the request's organization."""

    serializer_related_field = OrganizationPrimaryKeyRelatedField
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DecimalField: ColumnDecimalField,
    }


# --- Settings ---------------------------------------------------------------------------------------------


class SubsidiarySerializer(OrganizationModelSerializer):
    class Meta:
        model = Subsidiary
        fields = [
            "id",
            "name",
            "legal_name",
            "address",
            "country",
            "vat_number",
            "default_currency",
            "payment_terms_days",
            "invoice_number_prefix",
            "next_invoice_number",
        ]
        read_only_fields = ["next_invoice_number"]


class CompanySerializer(OrganizationModelSerializer):
    class Meta:
        model = Company
        fields = [
            "id",
            "name",
            "billing_email",
            "address",
            "country",
            "vat_number",
            "default_currency",
            "is_client",
            "is_supplier",
            "payment_terms_days",
        ]


class ServiceTypeSerializer(OrganizationModelSerializer):
    class Meta:
        model = ServiceType
        fields = ["id", "name"]


class TaxRateSerializer(OrganizationModelSerializer):
    class Meta:
        model = TaxRate
        fields = ["id", "name", "percentage"]


# --- Lines and payments -----------------------------------------------------------------------------------


class PricedLineSerializer(OrganizationModelSerializer):
    """A line as sent (description, quantity, unit price, service type, tax rate) with its derived amounts."""

    class Meta:
        model = InvoiceLine
        fields = ["id", "description", "quantity", "unit_price", "service_type", "tax_rate", "amount", "tax_amount"]
        read_only_fields = ["amount", "tax_amount"]
        extra_kwargs = {"quantity": {"required": True}}


class InvoiceLineSerializer(PricedLineSerializer):
    class Meta(PricedLineSerializer.Meta):
        model = InvoiceLine


class PurchaseOrderLineSerializer(PricedLineSerializer):
    class Meta(PricedLineSerializer.Meta):
        model = PurchaseOrderLine


class PaymentSerializer(OrganizationModelSerializer):
    confirm_overpayment = serializers.BooleanField(
        write_only=True,
        required=False,
        default=False,
        help_text="Send true to record a payment larger than the amount due (otherwise a 400 on this field).",
    )

    class Meta:
        model = Payment
        fields = [
            "id",
            "invoice",
            "amount",
            "currency",
            "date",
            "reference",
            "source",
            "external_id",
            "is_deleted",
            "deleted_at",
            "created_at",
            "confirm_overpayment",
        ]
        read_only_fields = ["source", "external_id", "is_deleted", "deleted_at"]
        extra_kwargs = {"currency": {"required": False, "help_text": "Defaults to the invoice's currency."}}


class ExpensePaymentSerializer(OrganizationModelSerializer):
    confirm_overpayment = serializers.BooleanField(
        write_only=True,
        required=False,
        default=False,
        help_text="Send true to record a payment larger than the amount due (otherwise a 400 on this field).",
    )

    class Meta:
        model = ExpensePayment
        fields = [
            "id",
            "expense",
            "amount",
            "currency",
            "date",
            "reference",
            "source",
            "external_id",
            "is_deleted",
            "deleted_at",
            "created_at",
            "confirm_overpayment",
        ]
        read_only_fields = ["source", "external_id", "is_deleted", "deleted_at"]
        extra_kwargs = {"currency": {"required": False, "help_text": "Defaults to the expense's currency."}}


# --- Invoices ---------------------------------------------------------------------------------------------


class InvoiceListSerializer(OrganizationModelSerializer):
    subsidiary_name = serializers.CharField(source="subsidiary.name", read_only=True)
    company_name = serializers.CharField(source="company.name", read_only=True)
    amount_due = money_field()

    class Meta:
        model = Invoice
        fields = [
            "id",
            "number",
            "status",
            "payment_status",
            "subsidiary",
            "subsidiary_name",
            "company",
            "company_name",
            "budget",
            "issue_date",
            "due_date",
            "currency",
            "subject",
            "po_number",
            "subtotal",
            "tax_total",
            "total",
            "amount_paid",
            "amount_due",
            "finalized_at",
            "voided_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["number", "status", "finalized_at", "voided_at"]
        extra_kwargs = {
            "currency": {"required": False, "help_text": "Defaults to the company's currency."},
            "due_date": {
                "required": False,
                "help_text": "Defaults to issue_date plus the company's payment terms, else the subsidiary's.",
            },
        }


class InvoiceSerializer(InvoiceListSerializer):
    """One invoice with its lines and payments. Writing `lines` replaces all of a draft's lines."""

    lines = InvoiceLineSerializer(many=True, required=False)
    payments = PaymentSerializer(many=True, read_only=True)

    class Meta(InvoiceListSerializer.Meta):
        fields = [*InvoiceListSerializer.Meta.fields, "note", "custom_fields", "lines", "payments"]


# --- Expenses and purchase orders -------------------------------------------------------------------------


class ReceiptField(serializers.FileField):
    """Written as a multipart upload; read as the receipt's download URL in the app (never a storage path)."""

    def to_representation(self, value):
        if not value:
            return None
        url = reverse("billing:expense-receipt", args=[value.instance.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class ExpenseSerializer(OrganizationModelSerializer):
    total = money_field()
    receipt = ReceiptField(
        required=False,
        allow_null=True,
        help_text="The supplier's receipt (PDF, PNG, JPEG or GIF, at most 10 MB), as a multipart upload; "
        "read back as its download URL.",
    )

    class Meta:
        model = Expense
        fields = [
            "id",
            "budget",
            "service_type",
            "vendor",
            "description",
            "amount",
            "currency",
            "tax_rate",
            "date",
            "due_date",
            "approval_status",
            "receipt",
            "tax_amount",
            "total",
            "amount_paid",
            "payment_status",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {
            "currency": {"required": False, "help_text": "Defaults to the vendor's currency, else the budget's."}
        }


class PurchaseOrderSerializer(OrganizationModelSerializer):
    """A purchase order with its lines. Writing `lines` replaces all of them."""

    lines = PurchaseOrderLineSerializer(many=True, required=False)

    class Meta:
        model = PurchaseOrder
        fields = [
            "id",
            "number",
            "status",
            "subsidiary",
            "vendor",
            "budget",
            "issue_date",
            "delivery_date",
            "currency",
            "note",
            "subtotal",
            "tax_total",
            "total",
            "lines",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {
            "number": {"required": False, "help_text": "Given the next free PO-nnnn when left out."},
            "currency": {"required": False, "help_text": "Defaults to the subsidiary's currency."},
        }
