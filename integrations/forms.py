"""Forms of the connect flow (each provider's setup form lives in its own package)."""

from django import forms

from billing.models import Subsidiary


class ConnectForm(forms.Form):
    subsidiary = forms.ModelChoiceField(queryset=Subsidiary.objects.none(), empty_label=None)
    name = forms.CharField(max_length=100, label="Connection name", help_text="How this connection is shown here.")

    def __init__(self, organization, provider, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subsidiary"].queryset = Subsidiary.objects.filter(organization=organization)
        self.fields["name"].initial = provider.name
        self.option_names = list(provider.connect_fields())
        self.fields.update(provider.connect_fields())

    @property
    def options(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.option_names}


class ChooseTenantForm(forms.Form):
    tenant = forms.ChoiceField(widget=forms.RadioSelect, label="Organisation")

    def __init__(self, tenants, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tenant"].choices = [(t["id"], t["name"]) for t in tenants]
