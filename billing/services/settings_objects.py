"""Organization settings: subsidiaries, companies, service types, tax rates."""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction

from ..models import (
    Company,
    Organization,
    ServiceType,
    Subsidiary,
    TaxRate,
)

SETTINGS_FIELDS: dict[type, tuple[str, ...]] = {
    Subsidiary: (
        "name",
        "legal_name",
        "address",
        "country",
        "vat_number",
        "default_currency",
        "payment_terms_days",
        "invoice_number_prefix",
    ),
    Company: (
        "name",
        "billing_email",
        "address",
        "country",
        "vat_number",
        "default_currency",
        "is_client",
        "is_supplier",
        "payment_terms_days",
    ),
    ServiceType: ("name",),
    TaxRate: ("name", "percentage"),
}


def _check_settings_fields(model: type, fields: dict) -> None:
    if model not in SETTINGS_FIELDS:
        raise ValueError(f"{model.__name__} is not an organization settings model.")
    unknown = set(fields) - set(SETTINGS_FIELDS[model])
    if unknown:
        raise ValidationError({name: "This field cannot be changed here." for name in unknown})


def _full_clean_settings_object(obj) -> None:
    """Model validation (choices, lengths, validators, unique per organization) keyed by field."""
    try:
        obj.full_clean()
    except ValidationError as exc:
        errors = exc.message_dict
        remaining = []
        for error in exc.error_dict.get(NON_FIELD_ERRORS, []):
            # An (organization, name) clash is the name's fault, not the whole form's.
            fields = [name for name in (error.params or {}).get("unique_check", ()) if name != "organization"]
            if error.code == "unique_together" and len(fields) == 1:
                errors.setdefault(fields[0], []).append(
                    f"Your organization already has a {obj._meta.verbose_name} with this {fields[0]}."
                )
            else:
                remaining.extend(error.messages)
        errors.pop(NON_FIELD_ERRORS, None)
        if remaining:
            errors[NON_FIELD_ERRORS] = remaining
        raise ValidationError(errors) from None


@transaction.atomic
def settings_object_create(*, organization: Organization, model: type, **fields):
    _check_settings_fields(model, fields)
    obj = model(organization=organization, **fields)
    _full_clean_settings_object(obj)
    obj.save()
    return obj


@transaction.atomic
def settings_object_update(*, instance, **changes):
    _check_settings_fields(type(instance), changes)
    obj = type(instance).objects.select_for_update().get(pk=instance.pk)
    for name, value in changes.items():
        setattr(obj, name, value)
    _full_clean_settings_object(obj)
    obj.save()
    return obj
