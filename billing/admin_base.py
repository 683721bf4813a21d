"""The admin's building blocks (billing/admin.py registers the models with them): forms that keep a row inside one
organization, read-only inlines, line inlines whose rows are saved through billing.services, and the mixin that
shows a service's refusal as a message and rolls the save back."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect

from . import services
from .models import (
    Subsidiary,
)

DERIVED_TOTALS = ("subtotal", "tax_total", "total")
DERIVED_PAID = ("amount_paid", "payment_status")


def copy_fields(target, source) -> None:
    """Make the admin's in-memory object the row a service saved (pk and derived values included)."""
    for field in type(source)._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))
    target._state.adding = False
    target._state.db = source._state.db


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


def run_each(modeladmin, request, queryset, service, done: str) -> None:
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
        copy_fields(obj, saved)
