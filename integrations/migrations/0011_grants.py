"""Credentials move from each connection to a Grant the connections share.

Every connection that holds credentials gets a grant with exactly its tokens and expiry; connections of one
organization and provider whose tokens are identical (one token set reaching several tenants) share one grant.
Connections without credentials (disconnected) get none. Reversible: the grant's credentials go back onto
each of its connections.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import integrations.fields


def credentials_to_grants(apps, schema_editor):
    Connection = apps.get_model("integrations", "Connection")
    Grant = apps.get_model("integrations", "Grant")
    grants = {}
    for connection in Connection.objects.order_by("pk").iterator():
        if not (connection.access_token or connection.refresh_token):
            continue
        key = (connection.organization_id, connection.provider, connection.access_token, connection.refresh_token)
        grant = grants.get(key)
        if grant is None:
            grant = grants[key] = Grant.objects.create(
                organization_id=connection.organization_id,
                provider=connection.provider,
                granted_by_id=connection.created_by_id,
                access_token=connection.access_token,
                refresh_token=connection.refresh_token,
                token_expires_at=connection.token_expires_at,
            )
        Connection.objects.filter(pk=connection.pk).update(grant=grant)


def grants_to_credentials(apps, schema_editor):
    Connection = apps.get_model("integrations", "Connection")
    for connection in Connection.objects.exclude(grant=None).select_related("grant").iterator():
        grant = connection.grant
        connection.access_token = grant.access_token
        connection.refresh_token = grant.refresh_token
        connection.token_expires_at = grant.token_expires_at
        connection.save(update_fields=["access_token", "refresh_token", "token_expires_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0001_initial"),
        ("integrations", "0010_payment_feed"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Grant",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("provider", models.CharField(help_text="Registry key, e.g. xero.", max_length=30)),
                ("access_token", integrations.fields.EncryptedTextField(blank=True)),
                ("refresh_token", integrations.fields.EncryptedTextField(blank=True)),
                ("token_expires_at", integrations.fields.EncryptedDateTimeField(blank=True, null=True)),
                ("access_token_obtained_at", models.DateTimeField(blank=True, null=True)),
                ("token_calls_day", models.DateField(blank=True, null=True)),
                ("token_calls", models.PositiveIntegerField(default=0)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "granted_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "organization",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="grants", to="billing.organization"
                    ),
                ),
            ],
            options={"ordering": ["provider", "pk"]},
        ),
        migrations.AddField(
            model_name="connection",
            name="grant",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="connections",
                to="integrations.grant",
            ),
        ),
        migrations.RunPython(credentials_to_grants, grants_to_credentials),
        migrations.RemoveField(model_name="connection", name="access_token"),
        migrations.RemoveField(model_name="connection", name="refresh_token"),
        migrations.RemoveField(model_name="connection", name="token_expires_at"),
    ]
