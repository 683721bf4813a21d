"""The Django admin's login asks for the email address: users log in by email everywhere (allauth)."""

from django import forms
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm


class EmailAdminAuthenticationForm(AdminAuthenticationForm):
    """The credential is still posted as `username`; allauth's backend matches it against the email address."""

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = "Email"
        self.fields["username"].widget = forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": "Please enter the correct email and password for a staff account.",
    }


admin.site.login_form = EmailAdminAuthenticationForm
