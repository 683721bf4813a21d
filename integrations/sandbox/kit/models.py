"""The kit's state, shared by every provider sandbox: consents, token sets, limits, faults, replays, the call log.

Rows are keyed by the provider's key ("xero", …) and the tenant's key as the provider spells it (Xero's tenant
id, a QuickBooks realmId, an Exact division), so the kit needs no table of its own per provider. Only SHA-256
hashes of codes and tokens are stored.
"""

import uuid

from django.db import models


class AuthCode(models.Model):
    """A consent: single use, short-lived, bound to the client, redirect URI and PKCE challenge."""

    provider = models.CharField(max_length=30)
    code_hash = models.CharField(max_length=64, unique=True)
    client_id = models.CharField(max_length=100)
    redirect_uri = models.CharField(max_length=2000)
    scope = models.CharField(max_length=2000)
    code_challenge = models.CharField(max_length=200, blank=True)
    code_challenge_method = models.CharField(max_length=10, blank=True)
    tenant_keys = models.JSONField(default=list)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    def __str__(self):
        return f"{self.provider} code for {self.client_id} ({self.created_at:%Y-%m-%d %H:%M})"


class Grant(models.Model):
    """One token set (one consent): the refresh-token chain and the tenants it covers."""

    provider = models.CharField(max_length=30)
    auth_event_id = models.UUIDField(default=uuid.uuid4, unique=True)
    client_id = models.CharField(max_length=100)
    scope = models.CharField(max_length=2000)
    tenant_keys = models.JSONField(default=list)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    def __str__(self):
        return f"{self.provider} grant {self.auth_event_id}"


class Connection(models.Model):
    """The app's access to one tenant (kept across re-consents); what Xero's GET /connections lists."""

    provider = models.CharField(max_length=30)
    connection_id = models.UUIDField(default=uuid.uuid4, unique=True)
    client_id = models.CharField(max_length=100)
    tenant_key = models.CharField(max_length=100)
    auth_event_id = models.UUIDField()
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "client_id", "tenant_key"], name="sandbox_connection_unique")
        ]

    def __str__(self):
        return f"{self.provider}: {self.client_id} → {self.tenant_key}"


class TokenKind(models.TextChoices):
    ACCESS = "access"
    REFRESH = "refresh"


class Token(models.Model):
    """Only a SHA-256 of each token is stored."""

    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="tokens")
    kind = models.CharField(max_length=10, choices=TokenKind.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    # Refresh tokens: when it was exchanged for a new one (usable for the policy's grace period after that).
    rotated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    def __str__(self):
        return f"{self.kind} token of grant {self.grant_id}"


class RateCounter(models.Model):
    """Fixed windows per tenant (or per client for token calls); also the row locked to serialise admission."""

    provider = models.CharField(max_length=30)
    tenant_key = models.CharField(max_length=130)
    window_started_at = models.DateTimeField(null=True, blank=True)
    window_count = models.PositiveIntegerField(default=0)
    day = models.DateField(null=True, blank=True)
    day_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["provider", "tenant_key"], name="sandbox_rate_counter_unique")]

    def __str__(self):
        return f"limits of {self.provider} {self.tenant_key}"


class InFlight(models.Model):
    provider = models.CharField(max_length=30)
    tenant_key = models.CharField(max_length=100)
    started_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["provider", "tenant_key"], name="sandbox_inflight_tenant")]

    def __str__(self):
        return f"call in flight for {self.provider} {self.tenant_key}"


class FaultKind(models.TextChoices):
    TIMEOUT = "timeout", "Next call times out"
    SERVER_ERROR = "server_error", "Next call returns 500"
    THROTTLE = "throttle", "Next call returns 429"
    INVALID_JSON = "invalid_json", "Next call returns invalid JSON"
    UNAUTHORIZED = "unauthorized", "Next call returns 401"


class Fault(models.Model):
    """A one-shot switch: the next API call for the tenant consumes it."""

    provider = models.CharField(max_length=30)
    tenant_key = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=FaultKind.choices)
    created_at = models.DateTimeField()
    consumed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.kind} for {self.provider} {self.tenant_key}"


class IdempotentResponse(models.Model):
    """The first answer to a write with an idempotency key (header or query parameter), replayed for repeats."""

    provider = models.CharField(max_length=30)
    tenant_key = models.CharField(max_length=100)
    key = models.CharField(max_length=128)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    status_code = models.PositiveSmallIntegerField()
    content_type = models.CharField(max_length=100)
    body = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "tenant_key", "key"], name="sandbox_idempotency_unique")
        ]

    def __str__(self):
        return f"{self.method} {self.path} [{self.key}]"


class CallDirection(models.TextChoices):
    IN = "in", "API call to the sandbox"
    OUT = "out", "Webhook sent by the sandbox"


class ApiCall(models.Model):
    """The call log: API calls the sandbox answered and webhooks it sent (the pages show the newest)."""

    provider = models.CharField(max_length=30)
    tenant_key = models.CharField(max_length=100, blank=True)
    direction = models.CharField(max_length=3, choices=CallDirection.choices, default=CallDirection.IN)
    at = models.DateTimeField()
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=2000)
    status_code = models.PositiveSmallIntegerField()
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["provider", "tenant_key"], name="sandbox_apicall_tenant")]

    def __str__(self):
        return f"{self.method} {self.path} → {self.status_code}"


class Sequence(models.Model):
    """Monotonic counters (e.g. a provider's webhook event sequence), one row per name."""

    name = models.CharField(max_length=100, unique=True)
    value = models.PositiveBigIntegerField(default=0)

    def __str__(self):
        return f"{self.name} = {self.value}"
