"""Service errors as API errors: the one place django's ValidationError becomes a DRF 400."""

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.settings import api_settings


def call_service(service, /, **kwargs):
    """Run a billing service; its ValidationError becomes a 400 keyed by field (others: non_field_errors)."""
    try:
        return service(**kwargs)
    except DjangoValidationError as exc:
        detail = serializers.as_serializer_error(exc)
        if NON_FIELD_ERRORS in detail:
            detail.setdefault(api_settings.NON_FIELD_ERRORS_KEY, []).extend(detail.pop(NON_FIELD_ERRORS))
        raise serializers.ValidationError(detail) from exc
