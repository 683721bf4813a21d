"""Saving a connection's setup, whatever the provider declares (integrations.setup_schema): its settings, its
mapping tables, payment sync and who numbers the invoices. All of it or nothing; what the provider would refuse
is refused here, at save time, per field.

Shared by every provider: the `sync_payments` setting (its first switch-on is kept as payment_sync_enabled_at:
payments dated before it are ignored) and the numbering: `Provider.numbers_invoices` read with the new settings
decides whether this connection would number the subsidiary's invoices, which only one live connection may do
(services.numbering); the subsidiary's numbering follows once saved.
"""

from __future__ import annotations

import copy

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .. import registry
from ..models import Connection
from ..setup_checks import setup_problems
from ..setup_schema import MAPPING_TARGETS, SetupContext, SetupValues
from .connections import SYNC_PAYMENTS_SETTING
from .numbering import numbering_check, subsidiary_numbering_refresh
from .pick_lists import cached_lists


def connection_setup_save(*, connection: Connection, values: SetupValues) -> Connection:
    provider = registry.get(connection.provider)
    schema = provider.setup_schema()
    if schema is None:
        raise ValidationError(f"{provider.name} has nothing to set up.")
    context = SetupContext(connection, provider)
    problems = setup_problems(schema, values, context)
    new_settings = {
        **(connection.settings or {}),
        **{item.setting_key: values.fields.get(item.name, item.default()) for item in schema.fields},
    }
    if not problems:
        preview = copy.copy(connection)
        preview.settings = new_settings
        try:
            numbering_check(connection=connection, numbers_invoices=provider.numbers_invoices(preview))
        except ValidationError as exc:
            problems.update({field: " ".join(messages) for field, messages in exc.message_dict.items()})
    if problems:
        raise ValidationError(problems)
    names = {
        key: {o["code"]: o["name"] for o in options}
        for key, options in cached_lists(connection).items()
        if key != "refreshed_at"
    }
    with transaction.atomic():
        locked = Connection.objects.select_for_update().get(pk=connection.pk)
        written = {item.setting_key for item in schema.fields}
        locked.settings = {**(locked.settings or {}), **{key: new_settings[key] for key in written}}
        if locked.settings.get(SYNC_PAYMENTS_SETTING) and locked.payment_sync_enabled_at is None:
            locked.payment_sync_enabled_at = timezone.now()
        locked.save(update_fields=["settings", "payment_sync_enabled_at", "updated_at"])
        for table in schema.tables:
            own_ids = {row.pk for row in context.rows(table)}  # another organization's ids are never mapped
            wanted = {row_id: code for row_id, code in values.mappings.get(table.name, {}).items() if row_id in own_ids}
            _save_mappings(locked, table, wanted, names.get(table.pick_list, {}))
        subsidiary_numbering_refresh(subsidiary_id=locked.subsidiary_id)
    connection.refresh_from_db(fields=["settings", "payment_sync_enabled_at", "updated_at"])
    return connection


def _save_mappings(connection: Connection, table, wanted: dict[int, str], names: dict[str, str]) -> None:
    target = MAPPING_TARGETS[table.target]
    # One table maps one purpose (sales for invoices, purchase for bills): the other purpose's rows stay.
    rows = target.mapping_rows(connection).filter(purpose=table.purpose)
    for row_id, code in wanted.items():
        if code:
            rows.model.objects.update_or_create(
                connection=connection,
                purpose=table.purpose,
                **{target.key: row_id},
                defaults={"remote_code": code, "remote_name": names.get(code, "")},
            )
        else:
            rows.filter(**{target.key: row_id}).delete()
