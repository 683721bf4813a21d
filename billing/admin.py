"""Django admin for support staff.

Support staff see every organization, so two things are enforced here rather than trusted:
- a row never points at another organization's rows (checked in the forms, and again by the services);
- derived data (totals, amount paid, payment status, numbers of finalized invoices) is never edited by hand:
  invoices, purchase orders, expenses and payments are saved through billing.services, which recompute it.
A service that refuses a change (ValidationError) rolls the whole save back and shows its message.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpResponseRedirect

from . import services
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

DERIVED_TOTALS = ("subtotal", "tax_total", "total")
DERIVED_PAID = ("amount_paid", "payment_status")


def _copy_fields(target, source) -> None:
    """Make the admin's in-memory object the row a service saved (pk and derived values included)."""
    for field in type(source)._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))
    target._state.adding = False
    target._state.db = source._state.db


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


def _run_each(modeladmin, request, queryset, service, done: str) -> None:
    """Apply a service to every selected row; report successes and each refusal."""
    succeeded = 0
    for obj in queryset:
        try:
            service(obj)
        except ValidationError as error:
            modeladmin.message_user(request, f"{obj}: {_error_text(error)}", messages.ERROR)
        else:
            succeeded += 1
    if succeeded:
        modeladmin.message_user(request, f"{succeeded} {done}.", messages.SUCCESS)


# --- Forms: rows stay inside one organization -------------------------------------------------------------


def _organization_id(form) -> int | None:
    organization = form.cleaned_data.get("organization")
    if organization is not None:
        return organization.pk
    return getattr(form.instance, "organization_id", None)


class SameOrganizationForm(forms.ModelForm):
    """Refuses a related row (company, budget, tax rate, ...) that belongs to another organization."""

    def organization_id(self) -> int | None:
        return _organization_id(self)

    def clean(self):
        cleaned_data = super().clean()
        organization_id = self.organization_id()
        if organization_id is None:
            return cleaned_data
        for name, value in list(cleaned_data.items()):
            related_organization = getattr(value, "organization_id", None)
            if name != "organization" and related_organization not in (None, organization_id):
                self.add_error(name, f"This {value._meta.verbose_name} belongs to another organization.")
        return cleaned_data


class LineForm(SameOrganizationForm):
    """A line's service type and tax rate must be of its parent's organization."""

    parent_field = ""

    def organization_id(self) -> int | None:
        parent = getattr(self.instance, self.parent_field, None)
        return parent.organization_id if parent is not None else None


class InvoiceLineForm(LineForm):
    parent_field = "invoice"


class PurchaseOrderLineForm(LineForm):
    parent_field = "purchase_order"


class SubsidiaryForm(SameOrganizationForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "next_invoice_number" in self.fields:
            # Compare with the value the page was loaded with, not with the row now: finalizing may have
            # moved it meanwhile, and an untouched field must not count as a change.
            self.fields["next_invoice_number"].show_hidden_initial = True

    def clean_next_invoice_number(self):
        value = self.cleaned_data["next_invoice_number"]
        if self.instance.pk and "next_invoice_number" in self.changed_data:
            current = Subsidiary.objects.values_list("next_invoice_number", flat=True).get(pk=self.instance.pk)
            if value < current:
                raise ValidationError(
                    f"Numbers up to {current - 1} may already be used; the next number cannot go back."
                )
        return value


# --- Base classes -----------------------------------------------------------------------------------------


class ServiceErrorsAsMessagesMixin:
    """A service's ValidationError aborts the save (the admin's transaction rolls back) with a clear message."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as error:
            self.message_user(request, f"Nothing was saved: {_error_text(error)}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class OrganizationOwnedAdmin(admin.ModelAdmin):
    """A tenant row: its organization is chosen once and never moved (its relations would break)."""

    form = SameOrganizationForm
    show_full_result_count = False  # no second COUNT(*) over big tables

    def get_readonly_fields(self, request, obj=None):
        fields = tuple(super().get_readonly_fields(request, obj))
        return (*fields, "organization") if obj is not None else fields


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class LinesInline(admin.TabularInline):
    """Lines of a parent saved through a service: editable only while the parent's admin says it is."""

    fields = ("description", "quantity", "unit_price", "service_type", "tax_rate", "amount", "tax_amount")
    readonly_fields = ("amount", "tax_amount")
    autocomplete_fields = ("service_type", "tax_rate")
    extra = 1

    def parent_is_editable(self, obj) -> bool:
        return self.admin_site._registry[self.parent_model].is_editable(obj)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("service_type", "tax_rate")

    def get_extra(self, request, obj=None, **kwargs):
        return self.extra if obj is None or self.parent_is_editable(obj) else 0

    def has_add_permission(self, request, obj=None):
        return (obj is None or self.parent_is_editable(obj)) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return (obj is None or self.parent_is_editable(obj)) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return (obj is None or self.parent_is_editable(obj)) and super().has_delete_permission(request, obj)


def lines_from(formset) -> list[services.LineInput] | None:
    """The lines as the formset now has them, in order; None when nothing about them changed."""
    if not formset.has_changed():
        return None
    deleted = set(map(id, formset.deleted_forms))
    lines = []
    for form in formset.forms:
        data = form.cleaned_data
        if id(form) in deleted or not data:  # removed, or an extra form left empty
            continue
        lines.append(
            services.LineInput(
                description=data["description"],
                quantity=data["quantity"],
                unit_price=data["unit_price"],
                service_type=data.get("service_type"),
                tax_rate=data.get("tax_rate"),
            )
        )
    return lines


class LinesThroughServiceAdmin(ServiceErrorsAsMessagesMixin, OrganizationOwnedAdmin):
    """Header and lines are written together by a service, once the inline lines are known."""

    lines_inline: type[LinesInline]
    header_fields: tuple[str, ...]

    def create(self, organization, fields: dict, lines: list):
        raise NotImplementedError

    def update(self, obj, fields: dict, lines: list | None):
        raise NotImplementedError

    def is_editable(self, obj) -> bool:
        return True

    def save_model(self, request, obj, form, change):
        # Deferred to save_related: the service needs the lines too.
        pass

    def save_related(self, request, form, formsets, change):
        obj = form.instance
        for formset in formsets:
            formset.save(commit=False)  # only for the admin's change message; the service writes the lines
        if change and not self.is_editable(obj):
            return
        lines_formset = next(f for f in formsets if f.model is self.lines_inline.model)
        lines = lines_from(lines_formset)
        if change:
            fields = {name: form.cleaned_data[name] for name in form.changed_data if name in self.header_fields}
            saved = self.update(obj, fields, lines)
        else:
            fields = {name: form.cleaned_data[name] for name in self.header_fields if name in form.cleaned_data}
            saved = self.create(form.cleaned_data["organization"], fields, lines or [])
        _copy_fields(obj, saved)


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
        _run_each(self, request, queryset, lambda i: services.invoice_finalize(invoice=i), "invoice(s) finalized")

    @admin.action(description="Void selected finalized invoices")
    def void_selected(self, request, queryset):
        _run_each(self, request, queryset, lambda i: services.invoice_void(invoice=i), "invoice(s) voided")

    @admin.action(description="Recompute amount paid and payment status")
    def refresh_payment_status(self, request, queryset):
        _run_each(
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
        _copy_fields(obj, saved)


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
        _run_each(self, request, queryset, lambda p: services.payment_delete(payment=p), "payment(s) deleted")

    @admin.action(description="Restore selected deleted payments")
    def restore_selected(self, request, queryset):
        _run_each(self, request, queryset, lambda p: services.payment_restore(payment=p), "payment(s) restored")


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
        _run_each(self, request, queryset, lambda p: services.expense_payment_delete(payment=p), "payment(s) deleted")


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
        _copy_fields(obj, saved)


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
