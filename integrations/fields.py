from datetime import UTC, datetime

from django.db import models
from django.utils import timezone

from . import crypto


class EncryptedTextField(models.TextField):
    """Text stored Fernet-encrypted; the database (and any dump of it) never holds the plaintext."""

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return crypto.encrypt(value)


class EncryptedDateTimeField(EncryptedTextField):
    """An aware datetime stored Fernet-encrypted (a token's expiry travels with the token it belongs to)."""

    def from_db_value(self, value, expression, connection):
        return self.to_python(super().from_db_value(value, expression, connection))

    def to_python(self, value):
        if value in (None, "") or isinstance(value, datetime):
            return value or None
        parsed = datetime.fromisoformat(value)
        return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, UTC)

    def get_prep_value(self, value):
        if value in (None, ""):
            return None
        if not isinstance(value, datetime):
            value = self.to_python(value)
        if timezone.is_naive(value):
            raise ValueError("EncryptedDateTimeField needs an aware datetime.")
        return crypto.encrypt(value.astimezone(UTC).isoformat())

    def value_to_string(self, obj):
        value = self.value_from_object(obj)
        return value.isoformat() if value else ""
