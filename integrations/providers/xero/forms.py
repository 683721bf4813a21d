"""The Xero setup form: choices come from the pick lists cached on the connection (refreshed from Xero)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from billing.choices import InvoiceStatus
from billing.models import Invoice, ServiceType, TaxRate
from billing.money import format_percentage
from integrations.models import MappingPurpose
from integrations.selectors import used_tax_rate_ids
from integrations.services.connections import SYNC_PAYMENTS_SETTING, cached_lists

from .mapping import DEFAULT_ACCOUNT_SETTING, NUMBERING_APP, NUMBERING_PROVIDER, NUMBERING_SETTING
from .setup import XeroSetup, xero_setup_save

NUMBERING_CHOICES = [
    (NUMBERING_APP, "This app numbers invoices (our number is sent to Xero)"),
    (NUMBERING_PROVIDER, "Xero numbers invoices (new invoices take Xero's number on their first copy)"),
]
NUMBERING_HELP = (
    "Invoices that already have a number keep their numbers, whichever you choose, and are sent to Xero with them. "
    "With “Xero numbers invoices”, invoices of {subsidiary} finalized from then on have no number here until "
    "their first copy to Xero, which gives them Xero's next number. Switching back to this app gives the invoices "
    "still waiting for Xero's number this app's next numbers at once. {counts}"
)


class XeroSetupForm(forms.Form):
    sync_payments = forms.BooleanField(
        required=False,
        label="Synchronize payments from Xero",
        help_text="Payments recorded in Xero on copied invoices are added here; payments dated before you turn "
        "this on are ignored.",
    )
    numbering = forms.ChoiceField(choices=NUMBERING_CHOICES, widget=forms.RadioSelect, label="Invoice numbers")
    default_account = forms.ChoiceField(
        required=False, label="Default revenue account", help_text="For lines whose service type is not mapped."
    )

    def __init__(self, connection, *args, **kwargs):
        self.connection = connection
        settings = connection.settings or {}
        kwargs["initial"] = {
            "sync_payments": bool(settings.get(SYNC_PAYMENTS_SETTING)),
            "numbering": settings.get(NUMBERING_SETTING) or NUMBERING_APP,
            "default_account": settings.get(DEFAULT_ACCOUNT_SETTING, ""),
            **(kwargs.get("initial") or {}),
        }
        super().__init__(*args, **kwargs)
        lists = cached_lists(connection)
        accounts = [("", "—")] + [(a["code"], f"{a['code']} · {a['name']}") for a in lists["accounts"]]
        taxes = [("", "— not mapped —")] + [(t["code"], _tax_type_label(t)) for t in lists["tax_types"]]
        self.fields["default_account"].choices = _keep_current(accounts, self.initial.get("default_account"))
        self.fields["numbering"].help_text = NUMBERING_HELP.format(
            subsidiary=connection.subsidiary, counts=_numbering_counts(connection)
        )

        organization_id = connection.organization_id
        sales = {"purpose": MappingPurpose.SALES}  # the setup maps what invoices use
        service_mapped = dict(
            connection.service_type_mappings.filter(**sales).values_list("service_type_id", "remote_code")
        )
        tax_mapped = dict(connection.tax_rate_mappings.filter(**sales).values_list("tax_rate_id", "remote_code"))
        self.service_types = list(ServiceType.objects.filter(organization_id=organization_id))
        self.used_tax_rate_ids = used_tax_rate_ids(connection)
        # Used rates first: those are what the setup asks for; the others are optional.
        self.tax_rates = sorted(
            TaxRate.objects.filter(organization_id=organization_id), key=lambda t: t.pk not in self.used_tax_rate_ids
        )
        self.rate_warnings = _rate_mismatches(self.tax_rates, tax_mapped, lists["tax_types"])
        for service_type in self.service_types:
            name = f"service_type_{service_type.pk}"
            current = service_mapped.get(service_type.pk, "")
            self.fields[name] = forms.ChoiceField(
                required=False,
                label=str(service_type),
                choices=_keep_current([("", "— default account —"), *accounts[1:]], current),
            )
            self.initial.setdefault(name, current)
        for tax_rate in self.tax_rates:
            name = f"tax_rate_{tax_rate.pk}"
            current = tax_mapped.get(tax_rate.pk, "")
            self.fields[name] = forms.ChoiceField(
                required=False,
                label=str(tax_rate),
                choices=_keep_current(taxes, current),
                help_text="Used on this subsidiary's invoices: needed."
                if tax_rate.pk in self.used_tax_rate_ids
                else "Not used on this subsidiary's invoices yet: optional.",
            )
            self.initial.setdefault(name, current)

    @property
    def service_type_fields(self):
        return [self[f"service_type_{s.pk}"] for s in self.service_types]

    @property
    def tax_rate_fields(self):
        return [self[f"tax_rate_{t.pk}"] for t in self.tax_rates]

    def setup_data(self) -> XeroSetup:
        data = self.cleaned_data
        return XeroSetup(
            sync_payments=data["sync_payments"],
            numbering=data["numbering"],
            default_account=data.get("default_account") or "",
            service_type_accounts={s.pk: data.get(f"service_type_{s.pk}") or "" for s in self.service_types},
            tax_types={t.pk: data.get(f"tax_rate_{t.pk}") or "" for t in self.tax_rates},
        )

    def save(self):
        """Apply through the service; its refusals become field errors (and nothing is saved)."""
        try:
            return xero_setup_save(connection=self.connection, data=self.setup_data())
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
            return None


def _numbering_counts(connection) -> str:
    issued = Invoice.objects.filter(subsidiary_id=connection.subsidiary_id).exclude(status=InvoiceStatus.DRAFT)
    numbered = issued.exclude(number="").count()
    waiting = issued.filter(number="").count()
    text = f"Now: {numbered} issued invoice{'s' if numbered != 1 else ''} with a number (they keep it)"
    return text + (f", {waiting} waiting for Xero's number." if waiting else ".")


def _rate_mismatches(tax_rates, mapped: dict, tax_types: list) -> list[str]:
    """Mapped Xero tax types whose rate differs from ours (9 % mapped to a 0 % tax type): a warning, not a refusal."""
    rates = {t["code"]: t["extra"].get("rate") for t in tax_types}
    warnings = []
    for tax_rate in tax_rates:
        code = mapped.get(tax_rate.pk)
        theirs = rates.get(code)
        if code and theirs not in ("", None) and Decimal(str(theirs)) != tax_rate.percentage:
            warnings.append(
                f"“{tax_rate}” is mapped to {code} at {format_percentage(theirs)} in Xero: invoices copied with it "
                "carry a different tax amount there."
            )
    return warnings


def _tax_type_label(tax_type: dict) -> str:
    rate, name = tax_type["extra"].get("rate", ""), tax_type["name"]
    if rate in ("", None) or f"({format_percentage(rate)})" in name:  # Xero often names the rate already
        return name
    return f"{name} ({format_percentage(rate)})"


def _keep_current(choices: list, current: str | None) -> list:
    """A stored code that is not in the cached list any more stays selectable (and is reported at save)."""
    if current and current not in {code for code, _label in choices}:
        return [*choices, (current, f"{current} (not in Xero's list any more)")]
    return choices
