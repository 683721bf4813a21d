"""Settings page forms: the organization, its subsidiaries, companies, service types, tax rates and members.
Like billing.forms they check shape only; billing.services holds the rules.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator

from .choices import Role
from .models import Company, Organization, ServiceType, Subsidiary, TaxRate


class OrganizationForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = ["name"]


class SubsidiaryForm(forms.ModelForm):
    class Meta:
        model = Subsidiary
        fields = [
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
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"next_invoice_number": "The number the next finalized invoice gets."}

    def clean_next_invoice_number(self):
        number = self.cleaned_data["next_invoice_number"]
        current = self.instance.next_invoice_number if self.instance.pk else None
        if current is not None and number < current and self.instance.invoices.exclude(number="").exists():
            raise ValidationError(
                f"Invoices are already numbered up to {current - 1}; the next number cannot go back "
                "(two invoices would share a number)."
            )
        return number


class CompanyForm(forms.ModelForm):
    class Meta:
        model = Company
        fields = [
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
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}


class UniqueNameMixin:
    """The (organization, name) constraint, checked on the form (organization is not one of its fields)."""

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        clash = type(self.instance).objects.filter(organization=self.instance.organization, name__iexact=name)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise ValidationError(f"{name} already exists.")
        return name


class ServiceTypeForm(UniqueNameMixin, forms.ModelForm):
    class Meta:
        model = ServiceType
        fields = ["name"]


class TaxRateForm(forms.ModelForm):
    percentage = forms.DecimalField(
        max_digits=6, decimal_places=3, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )

    class Meta:
        model = TaxRate
        fields = ["name", "percentage"]


class MemberAddForm(forms.Form):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
