"""Support staff's view of the integrations: connections and everything sent or received, read-mostly.

Credentials (access/refresh tokens, PKCE verifiers, pending tokens) are never fields of any admin form or
page: they are excluded, not just hidden. Connections are created by the OAuth flow, never by hand.
"""

from django.contrib import admin

from .models import (
    AuthorizationState,
    Connection,
    ContactLink,
    Grant,
    PendingPaymentChange,
    ReconciliationMismatch,
    RemoteDocument,
    RemotePayment,
    ServiceTypeMapping,
    SyncLogEntry,
    SyncRun,
    TaxRateMapping,
    WebhookEvent,
)

GRANT_SECRETS = ("access_token", "refresh_token")


class ReadOnlyAdmin(admin.ModelAdmin):
    """View only; deleting is allowed where it says so."""

    allow_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return self.allow_delete and super().has_delete_permission(request, obj)


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "organization",
        "subsidiary",
        "provider",
        "remote_tenant_name",
        "status",
        "has_credentials",
        "last_synced_at",
    )
    list_filter = ("provider", "status", "is_sandbox")
    search_fields = ("name", "remote_tenant_name", "remote_tenant_id", "organization__name", "subsidiary__name")
    list_select_related = ("organization", "subsidiary", "grant")
    readonly_fields = (
        "organization",
        "subsidiary",
        "provider",
        "remote_tenant_id",
        "remote_tenant_name",
        "remote_connection_id",
        "region",
        "is_sandbox",
        "grant",
        "has_credentials",
        "last_error",
        "last_error_at",
        "settings",
        "payment_sync_enabled_at",
        "sync_cursors",
        "last_synced_at",
        "sync_requested_at",
        "sync_queued_at",
        "created_by",
        "created_at",
        "updated_at",
    )
    # Editable by support: the display name, the status (e.g. to stop a misbehaving connection) and the pause.

    def has_add_permission(self, request):
        return False

    @admin.display(boolean=True, description="Credentials stored")
    def has_credentials(self, obj):
        return bool(obj.grant_id and obj.grant.has_credentials)


@admin.register(Grant)
class GrantAdmin(ReadOnlyAdmin):
    """A consent's credentials and the connections (tenants) sharing them: the tokens themselves are excluded."""

    list_display = ("__str__", "organization", "provider", "granted_by", "has_credentials", "token_calls", "updated_at")
    list_filter = ("provider",)
    search_fields = ("organization__name", "connections__name")
    list_select_related = ("organization", "granted_by")
    exclude = GRANT_SECRETS
    readonly_fields = (
        "organization",
        "provider",
        "granted_by",
        "has_credentials",
        "token_expires_at",
        "access_token_obtained_at",
        "token_calls_day",
        "token_calls",
        "connection_names",
        "created_at",
        "updated_at",
    )

    @admin.display(boolean=True, description="Credentials stored")
    def has_credentials(self, obj):
        return obj.has_credentials

    @admin.display(description="Connections")
    def connection_names(self, obj):
        return ", ".join(str(connection) for connection in obj.connections.order_by("pk")) or "–"


@admin.register(AuthorizationState)
class AuthorizationStateAdmin(ReadOnlyAdmin):
    list_display = ("provider", "organization", "subsidiary", "user", "created_at", "used_at", "completed_at")
    list_filter = ("provider",)
    exclude = ("state", "code_verifier", "pending_token", "session_key_hash")
    readonly_fields = (
        "provider",
        "organization",
        "subsidiary",
        "user",
        "connection_name",
        "reconnect",
        "pending_tenants",
        "created_at",
        "used_at",
        "completed_at",
    )
    allow_delete = True


@admin.register(RemoteDocument)
class RemoteDocumentAdmin(ReadOnlyAdmin):
    list_display = (
        "document",
        "kind",
        "connection",
        "status",
        "remote_number",
        "remote_state",
        "is_latest",
        "created_at",
    )
    list_filter = ("kind", "status", "error_kind", "remote_state", "is_latest", "connection__provider")
    search_fields = (
        "invoice__number",
        "purchase_order__number",
        "remote_number",
        "remote_id",
        "idempotency_key",
    )
    list_select_related = ("invoice", "expense", "purchase_order", "connection")

    @admin.display(description="document")
    def document(self, obj):
        return obj.document


@admin.register(ContactLink)
class ContactLinkAdmin(ReadOnlyAdmin):
    list_display = ("company", "role", "connection", "remote_name", "remote_id", "updated_at")
    list_filter = ("role",)
    search_fields = ("company__name", "remote_name", "remote_id")
    list_select_related = ("company", "connection")
    allow_delete = True  # forget a wrong link; the next copy asks again


@admin.register(ServiceTypeMapping)
class ServiceTypeMappingAdmin(ReadOnlyAdmin):
    list_display = ("service_type", "purpose", "connection", "remote_code", "remote_name")
    list_filter = ("purpose",)
    list_select_related = ("service_type", "connection")


@admin.register(TaxRateMapping)
class TaxRateMappingAdmin(ReadOnlyAdmin):
    list_display = ("tax_rate", "purpose", "connection", "remote_code", "remote_name")
    list_filter = ("purpose",)
    list_select_related = ("tax_rate", "connection")


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyAdmin):
    list_display = ("connection", "kind", "outcome", "started_at", "finished_at", "api_calls")
    list_filter = ("kind", "outcome")
    list_select_related = ("connection",)


@admin.register(ReconciliationMismatch)
class ReconciliationMismatchAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "connection", "field", "ours", "theirs", "suggested_action", "resolution")
    list_filter = ("field", "resolution", "suggested_action")
    search_fields = ("remote_document__remote_id", "remote_document__invoice__number")
    list_select_related = ("connection",)
    raw_id_fields = ("run", "remote_document", "resolved_by")


@admin.register(SyncLogEntry)
class SyncLogEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "connection", "level", "action", "short_message", "document", "http_status")
    list_filter = ("level", "is_http_call", "action")
    search_fields = ("message", "remote_id", "invoice__number", "purchase_order__number")
    list_select_related = ("connection", "invoice", "expense", "purchase_order")

    @admin.display(description="document")
    def document(self, obj):
        return obj.invoice or obj.expense or obj.purchase_order

    @admin.display(description="message")
    def short_message(self, obj):
        return obj.message[:120]


@admin.register(RemotePayment)
class RemotePaymentAdmin(ReadOnlyAdmin):
    list_display = ("remote_id", "allocation_key", "connection", "payment", "remote_updated_at", "created_at")
    search_fields = ("remote_id", "allocation_key", "remote_invoice_id")
    list_select_related = ("connection", "payment")


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "provider", "resource_kind", "event_type", "resource_id", "connection", "result")
    list_filter = ("provider", "result", "resource_kind")
    search_fields = ("resource_id", "remote_tenant_id", "dedupe_key")
    list_select_related = ("connection",)


@admin.register(PendingPaymentChange)
class PendingPaymentChangeAdmin(ReadOnlyAdmin):
    """Changes the payment sync could not apply and retries first on every run. Deleting one gives up on it
    (a newer change of the same payment in the provider is still applied)."""

    allow_delete = True
    list_display = ("remote_id", "connection", "attempts", "last_tried_at", "short_error", "created_at")
    search_fields = ("remote_id", "error")
    list_select_related = ("connection",)

    @admin.display(description="error")
    def short_error(self, obj):
        return obj.error[:120]
