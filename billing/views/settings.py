"""Settings pages (admins only): the organization, its subsidiaries, companies, service types and tax rates."""

from __future__ import annotations

from django.contrib import messages
from django.urls import reverse
from django.views.generic import CreateView, ListView, UpdateView

from billing.models import Company, Organization, ServiceType, Subsidiary, TaxRate
from billing.settings_forms import CompanyForm, OrganizationForm, ServiceTypeForm, SubsidiaryForm, TaxRateForm
from billing.tenancy import OrganizationAdminRequiredMixin

from .base import OrganizationScopedMixin


class SettingsMixin(OrganizationAdminRequiredMixin, OrganizationScopedMixin):
    nav = "settings"
    settings_nav = ""

    def get_context_data(self, **kwargs):
        return super().get_context_data(settings_nav=self.settings_nav, **kwargs)


class OrganizationSettingsView(SettingsMixin, UpdateView):
    """The organization's name; its plan is shown, never edited here."""

    model = Organization
    form_class = OrganizationForm
    template_name = "settings/organization.html"
    settings_nav = "organization"

    def get_object(self, queryset=None):
        return Organization.objects.get(pk=self.request.organization.pk)

    def form_valid(self, form):
        messages.success(self.request, "Organization saved.")
        return super().form_valid(form)

    def get_success_url(self):
        return reverse("billing:settings-organization")


class SettingsObjects:
    """Describes one settings list: its model, form, URL names and the columns of its table."""

    def __init__(self, *, model, form_class, key: str, settings_nav: str, columns: list[tuple[str, str]]):
        self.model, self.form_class, self.key = model, form_class, key
        self.settings_nav, self.columns = settings_nav, columns
        self.list_url_name = f"billing:settings-{key}-list"
        self.create_url_name = f"billing:settings-{key}-create"
        self.edit_url_name = f"billing:settings-{key}-edit"


class SettingsObjectMixin(SettingsMixin):
    objects_config: SettingsObjects

    def get_context_data(self, **kwargs):
        config = self.objects_config
        return super().get_context_data(
            config=config,
            verbose_name=config.model._meta.verbose_name,
            verbose_name_plural=config.model._meta.verbose_name_plural,
            **kwargs,
        )

    def get_success_url(self):
        return reverse(self.objects_config.list_url_name)

    def form_valid(self, form):
        messages.success(self.request, f"{form.instance} saved.")
        return super().form_valid(form)


class SettingsObjectListView(SettingsObjectMixin, ListView):
    template_name = "settings/object_list.html"
    paginate_by = 100

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        columns = self.objects_config.columns
        context["rows"] = [
            (obj, [display_value(obj, attribute) for _label, attribute in columns]) for obj in context["object_list"]
        ]
        return context


class SettingsObjectCreateView(SettingsObjectMixin, CreateView):
    template_name = "settings/object_form.html"

    def get_form_kwargs(self):
        # The organization is set before validation so per-organization uniqueness can be checked.
        return {**super().get_form_kwargs(), "instance": self.model(organization=self.request.organization)}


class SettingsObjectEditView(SettingsObjectMixin, UpdateView):
    template_name = "settings/object_form.html"


def display_value(obj, attribute: str):
    display = getattr(obj, f"get_{attribute}_display", None)
    value = display() if display else getattr(obj, attribute)
    if value is True:
        return "Yes"
    if value is False:
        return "No"
    return value


SUBSIDIARIES = SettingsObjects(
    model=Subsidiary,
    form_class=SubsidiaryForm,
    key="subsidiary",
    settings_nav="subsidiaries",
    columns=[
        ("Name", "name"),
        ("Legal name", "legal_name"),
        ("VAT number", "vat_number"),
        ("Currency", "default_currency"),
        ("Next number", "next_invoice_number"),
    ],
)
COMPANIES = SettingsObjects(
    model=Company,
    form_class=CompanyForm,
    key="company",
    settings_nav="companies",
    columns=[
        ("Name", "name"),
        ("Billing email", "billing_email"),
        ("VAT number", "vat_number"),
        ("Currency", "default_currency"),
        ("Client", "is_client"),
        ("Supplier", "is_supplier"),
    ],
)
SERVICE_TYPES = SettingsObjects(
    model=ServiceType,
    form_class=ServiceTypeForm,
    key="servicetype",
    settings_nav="service_types",
    columns=[("Name", "name")],
)
TAX_RATES = SettingsObjects(
    model=TaxRate,
    form_class=TaxRateForm,
    key="taxrate",
    settings_nav="tax_rates",
    columns=[("Name", "name"), ("Percentage", "percentage_display")],
)


def settings_views(config: SettingsObjects) -> tuple[type, type, type]:
    """Real subclasses (not as_view kwargs), so `view_class.model` names the model for the route matrix test."""
    attrs = {
        "objects_config": config,
        "model": config.model,
        "form_class": config.form_class,
        "settings_nav": config.settings_nav,
    }
    name = config.model.__name__
    return tuple(
        type(f"{name}{kind}View", (base,), attrs)
        for kind, base in (
            ("List", SettingsObjectListView),
            ("Create", SettingsObjectCreateView),
            ("Edit", SettingsObjectEditView),
        )
    )
