"""Integration API representations. Connections never carry a credential field, not even write-only."""

from rest_framework import serializers

from ..models import Connection, RemoteDocument, SyncRun
from ..services.invoice_copy import COPY_MODES, MODE_UPDATE


class InvoiceCopySerializer(serializers.ModelSerializer):
    """An invoice's copy (a RemoteDocument of the invoice kind: its invoice is always set)."""

    invoice = serializers.PrimaryKeyRelatedField(read_only=True)
    connection_name = serializers.CharField(source="connection.name", read_only=True)
    provider = serializers.CharField(source="connection.provider", read_only=True)
    total_mismatch = serializers.BooleanField(
        read_only=True, help_text="The provider's total (remote_total) is not the invoice's total."
    )

    class Meta:
        model = RemoteDocument
        fields = [
            "id",
            "invoice",
            "connection",
            "connection_name",
            "provider",
            "status",
            "waiting_until",
            "remote_id",
            "remote_number",
            "remote_url",
            "is_latest",
            "superseded_at",
            "remote_voided_at",
            "remote_total",
            "total_mismatch",
            "error",
            "error_kind",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class InvoiceCopyCreateSerializer(serializers.Serializer):
    connection = serializers.PrimaryKeyRelatedField(queryset=Connection.objects.none())
    contact_id = serializers.CharField(required=False, allow_blank=True, max_length=100)
    mode = serializers.ChoiceField(choices=COPY_MODES, default=MODE_UPDATE)
    void_previous = serializers.BooleanField(
        default=False,
        help_text='Mode "new": void the latest copy in the accounting tool first (refused while it has payments).',
    )

    def __init__(self, *args, organization=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Only this organization's connections can be named; another's id reads as "does not exist".
        self.fields["connection"].queryset = Connection.objects.filter(organization=organization)


class ConnectionSerializer(serializers.ModelSerializer):
    subsidiary_name = serializers.CharField(source="subsidiary.name", read_only=True)

    class Meta:
        model = Connection
        fields = [
            "id",
            "provider",
            "name",
            "subsidiary",
            "subsidiary_name",
            "remote_tenant_id",
            "remote_tenant_name",
            "is_sandbox",
            "status",
            "last_error",
            "last_error_at",
            "payment_sync_enabled_at",
            "paused_until",
            "last_synced_at",
            "created_at",
        ]
        read_only_fields = fields


class SyncRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = SyncRun
        fields = ["id", "connection", "kind", "started_at", "finished_at", "outcome", "counts", "api_calls", "error"]
        read_only_fields = fields


class BulkCopyCreateSerializer(serializers.Serializer):
    invoice_ids = serializers.ListField(child=serializers.IntegerField(), allow_empty=False)


class BulkCopyCountsSerializer(serializers.Serializer):
    done = serializers.IntegerField()
    failed = serializers.IntegerField()
    waiting = serializers.IntegerField()
    queued = serializers.IntegerField()
    total = serializers.IntegerField()
    percent = serializers.IntegerField(help_text="The share finished (done or failed), 0-100.")


class BulkCopyRowSerializer(serializers.Serializer):
    invoice = serializers.IntegerField(source="invoice.pk")
    state = serializers.CharField(help_text="done, failed, waiting or queued")
    detail = serializers.CharField(help_text="done: the remote number; failed: the reason; waiting: until when")


class BulkCopyProgressSerializer(serializers.Serializer):
    """A bulk copy's progress: the same counts and rows as its result page."""

    since = serializers.IntegerField(help_text="Unix time the run was queued: GET takes it back.")
    counts = BulkCopyCountsSerializer()
    finished = serializers.BooleanField()
    rows = BulkCopyRowSerializer(many=True)


class DocumentCopySerializer(serializers.ModelSerializer):
    """A copy of an expense (as a bill) or a purchase order, with the provider's own status word."""

    document = serializers.SerializerMethodField(help_text="Our expense's or purchase order's id.")
    connection_name = serializers.CharField(source="connection.name", read_only=True)
    provider = serializers.CharField(source="connection.provider", read_only=True)

    class Meta:
        model = RemoteDocument
        fields = [
            "id",
            "kind",
            "document",
            "connection",
            "connection_name",
            "provider",
            "status",
            "waiting_until",
            "remote_id",
            "remote_number",
            "remote_url",
            "remote_status",
            "remote_state",
            "is_latest",
            "superseded_at",
            "remote_voided_at",
            "remote_total",
            "error",
            "error_kind",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_document(self, copy) -> int:
        return getattr(copy, f"{copy.document_field}_id")


class DocumentCopyCreateSerializer(serializers.Serializer):
    connection = serializers.PrimaryKeyRelatedField(queryset=Connection.objects.none())
    mode = serializers.ChoiceField(
        choices=COPY_MODES,
        default=MODE_UPDATE,
        help_text='"update": send it, or update the latest copy after edits; "new": another one beside it.',
    )

    def __init__(self, *args, organization=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["connection"].queryset = Connection.objects.filter(organization=organization)


class DocumentBulkCreateSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(), allow_empty=False)
