"""The providers offered, from the explicit dotted-path list in settings.INTEGRATION_PROVIDERS (in that order).

registry.all()          every listed provider (configured or not)
registry.configured()   those whose credentials are set: what the marketplace shows
registry.get(key)       one provider; raises ProviderNotFound (a LookupError)
registry.get_configured_or_404(key)   for views: unknown or unconfigured → Http404
"""

from __future__ import annotations

from functools import lru_cache

from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import Http404
from django.utils.module_loading import import_string

from .providers.base import CAPABILITIES, Provider


class ProviderNotFound(LookupError):
    pass


@lru_cache(maxsize=1)
def _providers() -> dict[str, Provider]:
    from django.conf import settings

    providers: dict[str, Provider] = {}
    for path in settings.INTEGRATION_PROVIDERS:
        provider_class = import_string(path)
        provider = provider_class()
        if not provider.key or provider.key in providers:
            raise ImproperlyConfigured(f"{path}: provider key {provider.key!r} is empty or listed twice.")
        unknown = set(provider.capabilities | provider.upcoming_capabilities) - CAPABILITIES
        if unknown:
            raise ImproperlyConfigured(f"{path}: unknown capabilities {sorted(unknown)}.")
        providers[provider.key] = provider
    return providers


@receiver(setting_changed)
def _reload_on_settings_change(*, setting, **kwargs):
    if setting == "INTEGRATION_PROVIDERS":
        _providers.cache_clear()


def all() -> list[Provider]:  # noqa: A001 - the registry's public vocabulary
    return list(_providers().values())


def configured() -> list[Provider]:
    return [provider for provider in _providers().values() if provider.is_configured()]


def get(key: str) -> Provider:
    try:
        return _providers()[key]
    except KeyError:
        raise ProviderNotFound(key) from None


def get_configured_or_404(key: str) -> Provider:
    try:
        provider = get(key)
    except ProviderNotFound:
        raise Http404("No such integration.") from None
    if not provider.is_configured():
        raise Http404("This integration is not configured.")
    return provider
