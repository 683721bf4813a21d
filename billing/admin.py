"""Django admin for support staff.

Support staff see every organization, so two things are enforced here rather than trusted:
- a row never points at another organization's rows (checked in the forms, and again by the services);
- derived data (totals, amount paid, payment status, numbers of finalized invoices) is never edited by hand:
  invoices, purchase orders, expenses and payments are saved through billing.services, which recompute it.
A service that refuses a change (ValidationError) rolls the whole save back and shows its message.
"""

from django import forms
from django.contrib import admin
from django.db.models import Count

from . import services
from .admin_base import (
    DERIVED_PAID,
    DERIVED_TOTALS,
    InvoiceLineForm,
    LinesInline,
    LinesThroughServiceAdmin,
    OrganizationOwnedAdmin,
    PurchaseOrderLineForm,
    ReadOnlyInline,
    ServiceErrorsAsMessagesMixin,
    SubsidiaryForm,
    copy_fields,
    run_each,
)
from .amount_limits import out_of_range_fields
from .choices import InvoiceStatus
from .models import (
    Budget,
    Company,
    Expense,
    ExpensePayment,
    Invoice,
    InvoiceLine,
    Membership,
    Organization,
    Payment,
    PurchaseOrder,
    PurchaseOrderLine,
    ServiceType,
    Subsidiary,
    TaxRate,
)

# --- Organizations and people -----------------------------------------------------------------------------


class MembershipInline(admin.TabularInline):
    model = Membership
    fields = ("user", "role", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ("user",)
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "plan", "member_count", "created_at")
    list_filter = ("plan",)
    search_fields = ("name",)
    readonly_fields = ("created_at",)
    inlines = (MembershipInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("memberships"))

    @admin.display(description="Members", ordering="member_count")
    def member_count(self, obj):
        return obj.member_count

    def has_delete_permission(self, request, obj=None):
        # One click would cascade through a whole tenant's billing history; not a support-desk operation.
        return False


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "organization", "role", "created_at")
    list_filter = ("role", "organization__plan")
    search_fields = ("user__email", "user__username", "organization__name")
    list_select_related = ("user", "organization")
    autocomplete_fields = ("user", "organization")
    readonly_fields = ("created_at",)


# --- Master data ------------------------------------------------------------------------------------------


@admin.register(Subsidiary)
class SubsidiaryAdmin(OrganizationOwnedAdmin):
    form = SubsidiaryForm
    list_display = (
        "name",
        "organization",
        "legal_name",
        "country",
        "default_currency",
        "invoice_number_prefix",
        "next_invoice_number",
    )
    list_filter = ("default_currency", "country")
    search_fields = ("name", "legal_name", "vat_number", "organization__name")
    list_select_related = ("organization",)
    autocomplete_fields = ("organization",)

    def save_model(self, request, obj, form, change):
        if change and "next_invoice_number" not in form.changed_data:
            # Finalizing bumps the number concurrently; never write back the value the form was loaded with.
            names = [f.name for f in obj._meta.concrete_fields if not f.primary_key and f.name != "next_invoice_number"]
            obj.save(update_fields=names)
        else:
            super().save_model(request, obj, form, change)


@admin.register(Company)
class CompanyAdmin(OrganizationOwnedAdmin):
    list_display = ("name", "organization", "is_client", "is_supplier", "default_currency", "country", "billing_email")
    list_filter = ("is_client", "is_supplier", "default_currency", "country")
    search_fields = ("name", "billing_email", "vat_number", "organization__name")
    list_select_related = ("organization",)
    autocomplete_fields = ("organization",)


@admin.register(ServiceType)
class ServiceTypeAdmin(OrganizationOwnedAdmin):
    list_display = ("name", "organization")
    search_fields = ("name", "organization__name")
    list_select_related = ("organization",)
    autocomplete_fields = ("organization",)


@admin.register(TaxRate)
class TaxRateAdmin(OrganizationOwnedAdmin):
    list_display = ("name", "percentage", "organization")
    list_filter = ("percentage",)
    search_fields = ("name", "organization__name")
    list_select_related = ("organization",)
    autocomplete_fields = ("organization",)


@admin.register(Budget)
class BudgetAdmin(OrganizationOwnedAdmin):
    list_display = ("name", "company", "subsidiary", "currency", "organization")
    list_filter = ("currency",)
    search_fields = ("name", "company__name", "organization__name")
    list_select_related = ("organization", "company", "subsidiary")
    autocomplete_fields = ("organization", "company", "subsidiary")


# --- Invoices and payments --------------------------------------------------------------------------------


class InvoiceLineInline(LinesInline):
    model = InvoiceLine
    form = InvoiceLineForm


class InvoicePaymentInline(ReadOnlyInline):
    model = Payment
    fields = ("date", "amount", "currency", "source", "reference", "external_id", "is_deleted", "created_by")
    readonly_fields = fields
    verbose_name_plural = "payments (record or remove them from the Payments list)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("created_by")


@admin.register(Invoice)
class InvoiceAdmin(LinesThroughServiceAdmin):
    lines_inline = InvoiceLineInline
    header_fields = services.INVOICE_HEADER_FIELDS
    inlines = (InvoiceLineInline, InvoicePaymentInline)
    list_display = (
        "__str__",
        "organization",
        "subsidiary",
        "company",
        "issue_date",
        "due_date",
        "currency",
        "total",
        "amount_paid",
        "status",
        "payment_status",
    )
    list_filter = ("status", "payment_status", "currency")
    search_fields = ("number", "subject", "po_number", "company__name", "organization__name")
    list_select_related = ("organization", "subsidiary", "company")
    autocomplete_fields = ("organization", "subsidiary", "company", "budget")
    date_hierarchy = "issue_date"
    fieldsets = (
        (None, {"fields": ("organization", "subsidiary", "company", "budget", "number", "status")}),
        (
            "Details",
            {"fields": ("issue_date", "due_date", "currency", "subject", "note", "po_number", "custom_fields")},
        ),
        ("Amounts (derived from the lines and the active payments)", {"fields": DERIVED_TOTALS + DERIVED_PAID}),
        ("History", {"fields": ("finalized_at", "voided_at", "content_changed_at", "created_at", "updated_at")}),
    )
    # Numbers come from finalizing (or from the accounting tool); status changes only through the actions.
    readonly_fields = (
        "number",
        "status",
        *DERIVED_TOTALS,
        *DERIVED_PAID,
        "finalized_at",
        "voided_at",
        "content_changed_at",
        "created_at",
        "updated_at",
    )
    actions = ("finalize_selected", "void_selected", "refresh_payment_status")

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and not self.is_editable(obj):
            return [name for _, options in self.fieldsets for name in options["fields"]]
        return super().get_readonly_fields(request, obj)

    def get_actions(self, request):
        # Deleting finalized invoices would leave gaps in the numbering: only a draft's own page deletes.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_change_permission(self, request, obj=None):
        # A finalized or void invoice's page is view-only ("Close", no "Save"); the actions still apply.
        return (obj is None or self.is_editable(obj)) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        # A draft; or a row holding an amount its column cannot hold (written before the services checked):
        # support removes it, even finalized.
        removable = obj is None or self.is_editable(obj) or bool(out_of_range_fields(obj))
        return removable and super().has_delete_permission(request, obj)

    def is_editable(self, obj) -> bool:
        return obj.status == InvoiceStatus.DRAFT

    def create(self, organization, fields, lines):
        return services.invoice_create(organization=organization, lines=lines, **fields)

    def update(self, obj, fields, lines):
        return services.invoice_update(invoice=obj, lines=lines, **fields)

    @admin.action(description="Finalize selected drafts (assigns their numbers)")
    def finalize_selected(self, request, queryset):
        run_each(self, request, queryset, lambda i: services.invoice_finalize(invoice=i), "invoice(s) finalized")

    @admin.action(description="Void selected finalized invoices")
    def void_selected(self, request, queryset):
        run_each(self, request, queryset, lambda i: services.invoice_void(invoice=i), "invoice(s) voided")

    @admin.action(description="Recompute amount paid and payment status")
    def refresh_payment_status(self, request, queryset):
        run_each(
            self, request, queryset, lambda i: services.invoice_refresh_payments(invoice=i), "invoice(s) refreshed"
        )


class PaymentRecordForm(forms.ModelForm):
    confirm_overpayment = forms.BooleanField(
        required=False, help_text="Tick to record a manual payment larger than the amount due."
    )


class PaymentRecordAdmin(ServiceErrorsAsMessagesMixin, admin.ModelAdmin):
    """Payments are recorded and (soft-)deleted through services, which keep the parent's paid status right."""

    parent_field: str
    form = PaymentRecordForm
    show_full_result_count = False
    list_filter = ("is_deleted", "source", "currency")
    search_fields = ("reference", "external_id")
    readonly_fields = ("organization", "currency", "is_deleted", "deleted_at", "created_by", "created_at")
    editable_after_recording = ("reference",)

    def record(self, parent, **fields):
        raise NotImplementedError

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        fields = [f.name for f in self.model._meta.fields if not f.primary_key]
        return [name for name in fields if name not in self.editable_after_recording]

    def get_form(self, request, obj=None, **kwargs):
        # The overpayment confirmation belongs to recording; a recorded payment only has its reference edited.
        if obj is not None:
            kwargs["form"] = forms.ModelForm
        return super().get_form(request, obj, **kwargs)

    def has_delete_permission(self, request, obj=None):
        return False  # soft delete only (the action), so the record stays

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=[name for name in self.editable_after_recording if name in form.changed_data])
            return
        data = form.cleaned_data
        saved = self.record(
            data[self.parent_field],
            amount=data["amount"],
            date=data["date"],
            reference=data.get("reference", ""),
            source=data["source"],
            external_id=data.get("external_id", ""),
            user=request.user,
            confirm_overpayment=data.get("confirm_overpayment", False),
        )
        copy_fields(obj, saved)


@admin.register(Payment)
class PaymentAdmin(PaymentRecordAdmin):
    parent_field = "invoice"
    list_display = ("__str__", "invoice", "organization", "amount", "currency", "date", "source", "is_deleted")
    list_select_related = ("invoice", "organization")
    search_fields = ("invoice__number", "reference", "external_id", "organization__name")
    autocomplete_fields = ("invoice",)
    date_hierarchy = "date"
    actions = ("soft_delete_selected", "restore_selected")

    def record(self, parent, **fields):
        return services.payment_record(invoice=parent, **fields)

    @admin.action(description="Mark selected payments deleted (kept, no longer counted)")
    def soft_delete_selected(self, request, queryset):
        run_each(self, request, queryset, lambda p: services.payment_delete(payment=p), "payment(s) deleted")

    @admin.action(description="Restore selected deleted payments")
    def restore_selected(self, request, queryset):
        run_each(self, request, queryset, lambda p: services.payment_restore(payment=p), "payment(s) restored")


@admin.register(ExpensePayment)
class ExpensePaymentAdmin(PaymentRecordAdmin):
    parent_field = "expense"
    list_display = ("__str__", "expense", "organization", "amount", "currency", "date", "source", "is_deleted")
    list_select_related = ("expense", "organization")
    search_fields = ("expense__description", "reference", "external_id", "organization__name")
    autocomplete_fields = ("expense",)
    date_hierarchy = "date"
    actions = ("soft_delete_selected",)

    def record(self, parent, **fields):
        return services.expense_payment_record(expense=parent, **fields)

    @admin.action(description="Mark selected payments deleted (kept, no longer counted)")
    def soft_delete_selected(self, request, queryset):
        run_each(self, request, queryset, lambda p: services.expense_payment_delete(payment=p), "payment(s) deleted")


# --- Expenses and purchase orders -------------------------------------------------------------------------


class ExpensePaymentInline(ReadOnlyInline):
    model = ExpensePayment
    fields = ("date", "amount", "currency", "source", "reference", "external_id", "is_deleted")
    readonly_fields = fields


@admin.register(Expense)
class ExpenseAdmin(ServiceErrorsAsMessagesMixin, OrganizationOwnedAdmin):
    list_display = (
        "description",
        "organization",
        "vendor",
        "budget",
        "date",
        "amount",
        "currency",
        "approval_status",
        "payment_status",
    )
    list_filter = ("approval_status", "payment_status", "currency")
    search_fields = ("description", "vendor__name", "budget__name", "organization__name")
    list_select_related = ("organization", "vendor", "budget")
    autocomplete_fields = ("organization", "budget", "vendor", "service_type", "tax_rate")
    date_hierarchy = "date"
    readonly_fields = ("tax_amount", *DERIVED_PAID, "created_at", "updated_at")
    inlines = (ExpensePaymentInline,)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            changes = {name: data[name] for name in form.changed_data if name in services.EXPENSE_FIELDS}
            saved = services.expense_update(expense=obj, **changes)
        else:
            fields = {name: data[name] for name in services.EXPENSE_FIELDS if name in data}
            saved = services.expense_create(organization=data["organization"], **fields)
        copy_fields(obj, saved)


class PurchaseOrderLineInline(LinesInline):
    model = PurchaseOrderLine
    form = PurchaseOrderLineForm


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(LinesThroughServiceAdmin):
    lines_inline = PurchaseOrderLineInline
    header_fields = services.PURCHASE_ORDER_FIELDS
    inlines = (PurchaseOrderLineInline,)
    list_display = ("number", "organization", "vendor", "subsidiary", "issue_date", "currency", "total", "status")
    list_filter = ("status", "currency")
    search_fields = ("number", "vendor__name", "organization__name")
    list_select_related = ("organization", "vendor", "subsidiary")
    autocomplete_fields = ("organization", "subsidiary", "vendor", "budget")
    date_hierarchy = "issue_date"
    readonly_fields = (*DERIVED_TOTALS, "created_at", "updated_at")

    def create(self, organization, fields, lines):
        return services.purchase_order_create(organization=organization, lines=lines, **fields)

    def update(self, obj, fields, lines):
        return services.purchase_order_update(purchase_order=obj, lines=lines, **fields)


from . import admin_login  # noqa: E402,F401,I001  (the login form asks for the email address)
from . import admin_tokens  # noqa: E402,F401  (replaces DRF's token admin, which lists keys)
