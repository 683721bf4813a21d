"""The pick lists a provider offers for its setup (Provider.pick_lists: accounts, tax types, items, journals…),
fetched by "Refresh lists" (and right after connecting) and cached in the connection's settings, so the setup
page never calls the provider on GET."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from .. import registry
from ..models import Connection

PICK_LISTS_SETTING = "lists"  # {"<pick list key>": [{"code", "name", "extra"}], "refreshed_at": iso}
TENANT_SETTING = "tenant"  # provider.tenant_details(): e.g. base currency, deep-link short code


def connection_refresh_lists(*, connection: Connection) -> dict:
    """Fetch every pick list the provider declares (and the tenant's details) and cache them on the connection."""
    provider = registry.get(connection.provider)
    api = provider.api(connection)
    lists = {pick_list.key: [_choice(c) for c in getattr(api, pick_list.method)()] for pick_list in provider.pick_lists}
    lists["refreshed_at"] = timezone.now().isoformat()
    tenant = provider.tenant_details(connection)
    with transaction.atomic():
        locked = Connection.objects.select_for_update().get(pk=connection.pk)
        locked.settings = {**(locked.settings or {}), PICK_LISTS_SETTING: lists, TENANT_SETTING: tenant}
        locked.save(update_fields=["settings", "updated_at"])
    connection.settings = locked.settings
    return lists


def _choice(choice) -> dict:
    return {"code": choice.code, "name": choice.name, "extra": dict(choice.extra)}


def cached_lists(connection: Connection) -> dict:
    """The cached lists, one key per list the provider declares ([] until loaded), plus `refreshed_at`."""
    lists = (connection.settings or {}).get(PICK_LISTS_SETTING) or {}
    keys = [pick_list.key for pick_list in registry.get(connection.provider).pick_lists]
    return {key: lists.get(key) or [] for key in keys} | {"refreshed_at": lists.get("refreshed_at", "")}
