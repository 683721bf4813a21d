"""The registry: the explicit provider list in settings, in order; mistakes in it fail loudly."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404
from django.test import override_settings

from integrations import registry
from integrations.providers.base import Provider

XERO = "integrations.providers.xero.provider.XeroProvider"


class Nameless(Provider):
    key = ""


class Greedy(Provider):
    key = "greedy"
    capabilities = frozenset({"copy_invoice", "mind_reading"})


def test_providers_come_from_settings_in_order():
    assert [p.key for p in registry.all()] == ["xero", "quickbooks", "exact", "economic"]
    assert registry.get("xero") is registry.all()[0]
    with pytest.raises(registry.ProviderNotFound):
        registry.get("nope")


@pytest.mark.parametrize(
    ("paths", "error"),
    [
        ([XERO, XERO], "listed twice"),
        (["tests.integrations.test_registry.Nameless"], "empty or listed twice"),
        (["tests.integrations.test_registry.Greedy"], "unknown capabilities"),
    ],
)
def test_a_wrong_provider_list_fails_loudly(paths, error):
    with override_settings(INTEGRATION_PROVIDERS=paths), pytest.raises(ImproperlyConfigured, match=error):
        registry.all()


def test_an_empty_list_offers_nothing():
    with override_settings(INTEGRATION_PROVIDERS=[]):
        assert registry.all() == [] and registry.configured() == []


def test_get_configured_or_404():
    assert registry.get_configured_or_404("xero").key == "xero"
    with pytest.raises(Http404):
        registry.get_configured_or_404("nope")
    with override_settings(XERO_CLIENT_SECRET=""), pytest.raises(Http404):
        registry.get_configured_or_404("xero")
