"""Saving a Xero connection's setup: payment sync, numbering, default revenue account, service type → account,
tax rate → tax type. All of it or nothing; what Xero would refuse is refused here, at save time.

Numbering: "Xero numbers invoices" gives Xero the subsidiary's numbering (integrations.services.numbering):
invoices already numbered keep their numbers and are sent with them; invoices finalized from then on have no
number until their first copy, which takes Xero's. Switching back numbers those still waiting with ours."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from billing.models import ServiceType, TaxRate
from integrations.models import Connection, MappingPurpose, ServiceTypeMapping, TaxRateMapping
from integrations.services.connections import SYNC_PAYMENTS_SETTING, cached_lists
from integrations.services.numbering import numbering_check, subsidiary_numbering_refresh

from .mapping import DEFAULT_ACCOUNT_SETTING, NUMBERING_APP, NUMBERING_PROVIDER, NUMBERING_SETTING


@dataclass(frozen=True)
class XeroSetup:
    sync_payments: bool
    numbering: str
    default_account: str
    service_type_accounts: dict[int, str]  # service type id → account code ("" = use the default account)
    tax_types: dict[int, str]  # tax rate id → Xero tax type ("" = not mapped yet)


def setup_problems(connection: Connection, data: XeroSetup) -> dict[str, str]:
    """What Xero would refuse, per form field name; {} when the setup can be saved."""
    lists = cached_lists(connection)
    accounts = {a["code"]: a for a in lists["accounts"]}
    taxes = {t["code"]: t for t in lists["tax_types"]}
    problems: dict[str, str] = {}
    if data.numbering not in (NUMBERING_APP, NUMBERING_PROVIDER):
        problems["numbering"] = "Choose who numbers the invoices."
    else:
        try:
            numbering_check(connection=connection, numbers_invoices=data.numbering == NUMBERING_PROVIDER)
        except ValidationError as exc:
            problems.update({field: " ".join(messages) for field, messages in exc.message_dict.items()})
    if data.default_account and data.default_account not in accounts:
        problems["default_account"] = "Not an active revenue account in Xero: refresh the lists."
    for service_type_id, code in data.service_type_accounts.items():
        if code and code not in accounts:
            problems[f"service_type_{service_type_id}"] = "Not an active revenue account in Xero: refresh the lists."
    for tax_rate_id, code in data.tax_types.items():
        if not code:
            continue
        tax = taxes.get(code)
        if tax is None:
            problems[f"tax_rate_{tax_rate_id}"] = "Not an active tax rate in Xero: refresh the lists."
        elif not tax["extra"].get("can_apply_to_revenue", True):
            # TaxRates.CanApplyToRevenue: Xero refuses this tax type on revenue accounts, i.e. on every line we send.
            problems[f"tax_rate_{tax_rate_id}"] = (
                f"Xero does not allow “{tax['name']}” ({code}) on revenue accounts: choose a sales tax rate."
            )
    return problems


def xero_setup_save(*, connection: Connection, data: XeroSetup) -> Connection:
    problems = setup_problems(connection, data)
    if problems:
        raise ValidationError(problems)
    lists = cached_lists(connection)
    account_names = {a["code"]: a["name"] for a in lists["accounts"]}
    tax_names = {t["code"]: t["name"] for t in lists["tax_types"]}
    organization_id = connection.organization_id
    own_service_types = set(
        ServiceType.objects.filter(
            organization_id=organization_id, pk__in=list(data.service_type_accounts)
        ).values_list("pk", flat=True)
    )
    own_tax_rates = set(
        TaxRate.objects.filter(organization_id=organization_id, pk__in=list(data.tax_types)).values_list(
            "pk", flat=True
        )
    )
    with transaction.atomic():
        locked = Connection.objects.select_for_update().get(pk=connection.pk)
        locked.settings = {
            **(locked.settings or {}),
            SYNC_PAYMENTS_SETTING: data.sync_payments,
            NUMBERING_SETTING: data.numbering,
            DEFAULT_ACCOUNT_SETTING: data.default_account,
        }
        if data.sync_payments and locked.payment_sync_enabled_at is None:
            locked.payment_sync_enabled_at = timezone.now()
        locked.save(update_fields=["settings", "payment_sync_enabled_at", "updated_at"])
        _save_mappings(
            ServiceTypeMapping, "service_type_id", locked, data.service_type_accounts, own_service_types, account_names
        )
        _save_mappings(TaxRateMapping, "tax_rate_id", locked, data.tax_types, own_tax_rates, tax_names)
        subsidiary_numbering_refresh(subsidiary_id=locked.subsidiary_id)
    connection.refresh_from_db(fields=["settings", "payment_sync_enabled_at", "updated_at"])
    return connection


def _save_mappings(model, key: str, connection: Connection, wanted: dict, allowed: set, names: dict) -> None:
    for object_id, code in wanted.items():
        if object_id not in allowed:  # another organization's id: ignored, never mapped
            continue
        # The setup maps what invoices (sales) use; a purchase mapping of the same row is another row.
        if code:
            model.objects.update_or_create(
                connection=connection,
                purpose=MappingPurpose.SALES,
                **{key: object_id},
                defaults={"remote_code": code, "remote_name": names.get(code, "")},
            )
        else:
            model.objects.filter(connection=connection, purpose=MappingPurpose.SALES, **{key: object_id}).delete()
