"""The sandbox kit: consents, token sets, limits, faults, replays and the call log move from Xero's tables
(keyed by organisation) to the kit's (keyed by provider and tenant key), rows carried over both ways."""

import django.db.models.deletion
import uuid
from django.db import migrations, models

COMMON = {
    "AuthCode": ("code_hash", "client_id", "redirect_uri", "scope", "code_challenge", "code_challenge_method",
                 "expires_at", "used_at", "created_at"),
    "Grant": ("auth_event_id", "client_id", "scope", "revoked_at", "created_at"),
    "Token": ("kind", "token_hash", "expires_at", "rotated_at", "created_at"),
    "Connection": ("connection_id", "client_id", "auth_event_id", "is_active", "created_at", "updated_at"),
    "RateCounter": ("window_started_at", "window_count", "day", "day_count"),
    "InFlight": ("started_at",),
    "Fault": ("kind", "created_at", "consumed_at"),
    "IdempotentResponse": ("key", "method", "path", "status_code", "content_type", "body", "created_at"),
    "ApiCall": ("at", "method", "path", "status_code", "note"),
}
TENANT_KEYED = ("Connection", "RateCounter", "InFlight", "Fault", "IdempotentResponse")


def _values(row, name):
    return {field: getattr(row, field) for field in COMMON[name]}


def rows_to_kit(apps, schema_editor):
    """Every Xero row becomes a kit row with provider "xero" and the organisation's tenant id as tenant key."""
    new = {name: apps.get_model("sandbox", name) for name in COMMON}
    old = {name: apps.get_model("sandbox", f"Xero{name}") for name in COMMON}
    for row in old["AuthCode"].objects.prefetch_related("orgs"):
        tenant_keys = [str(org.tenant_id) for org in row.orgs.all()]
        new["AuthCode"].objects.create(provider="xero", tenant_keys=tenant_keys, **_values(row, "AuthCode"))
    grants = {}
    for row in old["Grant"].objects.prefetch_related("orgs"):
        tenant_keys = [str(org.tenant_id) for org in row.orgs.all()]
        grants[row.pk] = new["Grant"].objects.create(provider="xero", tenant_keys=tenant_keys, **_values(row, "Grant"))
    for row in old["Token"].objects.all():
        new["Token"].objects.create(grant=grants[row.grant_id], **_values(row, "Token"))
    for name in TENANT_KEYED:
        for row in old[name].objects.select_related("org"):
            new[name].objects.create(provider="xero", tenant_key=str(row.org.tenant_id), **_values(row, name))
    for row in old["ApiCall"].objects.select_related("org"):
        tenant_key = str(row.org.tenant_id) if row.org_id else ""
        new["ApiCall"].objects.create(provider="xero", tenant_key=tenant_key, **_values(row, "ApiCall"))


def rows_to_xero_tables(apps, schema_editor):
    """Back: the kit's Xero rows return to the organisation-keyed tables (rows of unknown tenants are dropped)."""
    new = {name: apps.get_model("sandbox", name) for name in COMMON}
    old = {name: apps.get_model("sandbox", f"Xero{name}") for name in COMMON}
    orgs = {str(org.tenant_id): org for org in apps.get_model("sandbox", "XeroOrg").objects.all()}
    for row in new["AuthCode"].objects.filter(provider="xero"):
        code = old["AuthCode"].objects.create(**_values(row, "AuthCode"))
        code.orgs.set([orgs[key] for key in row.tenant_keys if key in orgs])
    grants = {}
    for row in new["Grant"].objects.filter(provider="xero"):
        grants[row.pk] = old["Grant"].objects.create(**_values(row, "Grant"))
        grants[row.pk].orgs.set([orgs[key] for key in row.tenant_keys if key in orgs])
    for row in new["Token"].objects.filter(grant__provider="xero"):
        old["Token"].objects.create(grant=grants[row.grant_id], **_values(row, "Token"))
    for name in TENANT_KEYED:
        for row in new[name].objects.filter(provider="xero", tenant_key__in=list(orgs)):
            old[name].objects.create(org=orgs[row.tenant_key], **_values(row, name))
    for row in new["ApiCall"].objects.filter(provider="xero", direction="in"):
        old["ApiCall"].objects.create(org=orgs.get(row.tenant_key), **_values(row, "ApiCall"))



class Migration(migrations.Migration):

    dependencies = [
        ('sandbox', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='AuthCode',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('provider', models.CharField(max_length=30)),
                ('code_hash', models.CharField(max_length=64, unique=True)),
                ('client_id', models.CharField(max_length=100)),
                ('redirect_uri', models.CharField(max_length=2000)),
                ('scope', models.CharField(max_length=2000)),
                ('code_challenge', models.CharField(blank=True, max_length=200)),
                ('code_challenge_method', models.CharField(blank=True, max_length=10)),
                ('tenant_keys', models.JSONField(default=list)),
                ('expires_at', models.DateTimeField()),
                ('used_at', models.DateTimeField(blank=True, null=True)),
                ('created_at', models.DateTimeField()),
            ],
        ),
        migrations.CreateModel(
            name='Fault',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('provider', models.CharField(max_length=30)),
                ('tenant_key', models.CharField(max_length=100)),
                ('kind', models.CharField(choices=[('timeout', 'Next call times out'), ('server_error', 'Next call returns 500'), ('throttle', 'Next call returns 429')], max_length=20)),
                ('created_at', models.DateTimeField()),
                ('consumed_at', models.DateTimeField(blank=True, null=True)),
            ],
            options={
                'ordering': ['created_at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='Grant',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('provider', models.CharField(max_length=30)),
                ('auth_event_id', models.UUIDField(default=uuid.uuid4, unique=True)),
                ('client_id', models.CharField(max_length=100)),
                ('scope', models.CharField(max_length=2000)),
                ('tenant_keys', models.JSONField(default=list)),
                ('revoked_at', models.DateTimeField(blank=True, null=True)),
                ('created_at', models.DateTimeField()),
            ],
        ),
        migrations.CreateModel(
            name='Sequence',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=100, unique=True)),
                ('value', models.PositiveBigIntegerField(default=0)),
            ],
        ),
        migrations.CreateModel(
            name='ApiCall',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('provider', models.CharField(max_length=30)),
                ('tenant_key', models.CharField(blank=True, max_length=100)),
                ('direction', models.CharField(choices=[('in', 'API call to the sandbox'), ('out', 'Webhook sent by the sandbox')], default='in', max_length=3)),
                ('at', models.DateTimeField()),
                ('method', models.CharField(max_length=10)),
                ('path', models.CharField(max_length=2000)),
                ('status_code', models.PositiveSmallIntegerField()),
                ('note', models.CharField(blank=True, max_length=255)),
            ],
            options={
                'ordering': ['-at', '-id'],
                'indexes': [models.Index(fields=['provider', 'tenant_key'], name='sandbox_apicall_tenant')],
            },
        ),
        migrations.CreateModel(
            name='Connection',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('provider', models.CharField(max_length=30)),
                ('connection_id', models.UUIDField(default=uuid.uuid4, unique=True)),
                ('client_id', models.CharField(max_length=100)),
                ('tenant_key', models.CharField(max_length=100)),
                ('auth_event_id', models.UUIDField()),
                ('is_active', models.BooleanField(default=True)),
                ('created_at', models.DateTimeField()),
                ('updated_at', models.DateTimeField()),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('provider', 'client_id', 'tenant_key'), name='sandbox_connection_unique')],
            },
        ),
        migrations.CreateModel(
            name='IdempotentResponse',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('provider', models.CharField(max_length=30)),
                ('tenant_key', models.CharField(max_length=100)),
                ('key', models.CharField(max_length=128)),
                ('method', models.CharField(max_length=10)),
                ('path', models.CharField(max_length=500)),
                ('status_code', models.PositiveSmallIntegerField()),
                ('content_type', models.CharField(max_length=100)),
                ('body', models.TextField()),
                ('created_at', models.DateTimeField()),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('provider', 'tenant_key', 'key'), name='sandbox_idempotency_unique')],
            },
        ),
        migrations.CreateModel(
            name='InFlight',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('provider', models.CharField(max_length=30)),
                ('tenant_key', models.CharField(max_length=100)),
                ('started_at', models.DateTimeField()),
            ],
            options={
                'indexes': [models.Index(fields=['provider', 'tenant_key'], name='sandbox_inflight_tenant')],
            },
        ),
        migrations.CreateModel(
            name='RateCounter',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('provider', models.CharField(max_length=30)),
                ('tenant_key', models.CharField(max_length=130)),
                ('window_started_at', models.DateTimeField(blank=True, null=True)),
                ('window_count', models.PositiveIntegerField(default=0)),
                ('day', models.DateField(blank=True, null=True)),
                ('day_count', models.PositiveIntegerField(default=0)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('provider', 'tenant_key'), name='sandbox_rate_counter_unique')],
            },
        ),
        migrations.CreateModel(
            name='Token',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('access', 'Access'), ('refresh', 'Refresh')], max_length=10)),
                ('token_hash', models.CharField(max_length=64, unique=True)),
                ('expires_at', models.DateTimeField()),
                ('rotated_at', models.DateTimeField(blank=True, null=True)),
                ('created_at', models.DateTimeField()),
                ('grant', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='tokens', to='sandbox.grant')),
            ],
        ),
        migrations.RunPython(rows_to_kit, rows_to_xero_tables),
        migrations.DeleteModel(
            name='XeroToken',
        ),
        migrations.DeleteModel(
            name='XeroApiCall',
        ),
        migrations.DeleteModel(
            name='XeroAuthCode',
        ),
        migrations.DeleteModel(
            name='XeroConnection',
        ),
        migrations.DeleteModel(
            name='XeroFault',
        ),
        migrations.DeleteModel(
            name='XeroGrant',
        ),
        migrations.DeleteModel(
            name='XeroIdempotentResponse',
        ),
        migrations.DeleteModel(
            name='XeroInFlight',
        ),
        migrations.DeleteModel(
            name='XeroRateCounter',
        ),
    ]
