"""Key rotation for the credentials encrypted at rest (integrations.fields.EncryptedTextField).

Put the new key first in INTEGRATIONS_ENCRYPTION_KEYS (keeping the old ones after it), deploy, run
`manage.py rotate_encryption_keys`, then drop the old keys. Every encrypted value is rewritten under the first
key, one row at a time under the row's lock, so a token refresh running meanwhile is never overwritten.
"""

from __future__ import annotations

import logging

from django.apps import apps
from django.db import transaction

from ..fields import EncryptedTextField

logger = logging.getLogger("integrations.credentials")


def _encrypted_fields() -> list[tuple[type, list[str]]]:
    found = []
    for model in apps.get_models():
        names = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if names:
            found.append((model, names))
    return found


def encryption_keys_rotate() -> dict[str, int]:
    """Re-encrypt every stored credential under the first key. Returns rows rewritten per model."""
    counts: dict[str, int] = {}
    for model, names in _encrypted_fields():
        label = model._meta.label
        counts[label] = 0
        for pk in model.objects.values_list("pk", flat=True).iterator():
            with transaction.atomic():
                row = model.objects.select_for_update().filter(pk=pk).first()
                if row is None:
                    continue
                values = {name: getattr(row, name) for name in names if getattr(row, name)}
                if values:
                    model.objects.filter(pk=pk).update(**values)  # get_prep_value encrypts with the first key
                    counts[label] += 1
    logger.info("re-encrypted credentials: %s", counts)
    return counts
