"""Tokens issued before keys were hashed keep working: each DRF Token's key becomes an ApiToken's SHA-256 digest
(the same digest billing.api_tokens computes), and the plain-text row is deleted. They expire API_TOKEN_TTL_DAYS
after this migration runs, with a 401 that says so; their name tells support staff which ones to replace."""

import datetime
import hashlib

from django.conf import settings
from django.db import migrations
from django.utils import timezone

LEGACY_NAME = "Issued before keys were hashed"


def hash_plain_text_tokens(apps, schema_editor):
    Token = apps.get_model("authtoken", "Token")
    ApiToken = apps.get_model("billing", "ApiToken")
    expires_at = timezone.now() + datetime.timedelta(days=getattr(settings, "API_TOKEN_TTL_DAYS", 90))
    for token in Token.objects.all().iterator():
        hashed = ApiToken.objects.create(
            user_id=token.user_id,
            name=LEGACY_NAME,
            prefix=token.key[:8],
            digest=hashlib.sha256(token.key.encode()).hexdigest(),
            expires_at=expires_at,
        )
        ApiToken.objects.filter(pk=hashed.pk).update(created_at=token.created)  # auto_now_add ignores a value
    Token.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0002_api_token"),
        ("authtoken", "0004_alter_tokenproxy_options"),
    ]

    # Not reversible in substance: the plain keys are gone for good (that is the point).
    operations = [migrations.RunPython(hash_plain_text_tokens, migrations.RunPython.noop)]
