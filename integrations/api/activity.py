"""Sync health in the API (admins only, organization-scoped): a connection's activity (its sync log, or its runs
with ?kind=runs) and what needs attention, with retry / ignore / dismiss. Thin over integrations.activity,
integrations.attention and services.attention, as the pages are."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from billing.api.errors import call_service

from .. import activity, attention, registry, selectors
from ..exceptions import IntegrationError
from ..models import Connection, PendingPaymentChange, RemoteDocument, SyncLogEntry
from ..services import attention as services
from .serializers import InvoiceCopySerializer, SyncRunSerializer
from .views import AdminApiMixin, integration_error_response


class ActivityEntrySerializer(serializers.ModelSerializer):
    kind = serializers.SerializerMethodField()
    document = serializers.SerializerMethodField()
    remote_url = serializers.CharField(read_only=True, allow_null=True)
    what_to_do = serializers.SerializerMethodField()

    class Meta:
        model = SyncLogEntry
        fields = ["id", "created_at", "kind", "level", "action", "message", "document", "remote_id", "remote_url"]
        fields += ["run", "what_to_do"]
        read_only_fields = fields

    def get_kind(self, entry) -> str:
        return activity.entry_kind(entry.action)

    def get_document(self, entry) -> dict | None:
        document = activity.document_of(entry)
        if document is None:
            return None
        kind = "invoice" if entry.invoice_id else "bill" if entry.expense_id else "purchase_order"
        return {"kind": kind, "id": document.pk, "number": getattr(document, "number", "") or str(document)}

    def get_what_to_do(self, entry) -> str:
        return activity.what_to_do(entry, self.context.get("provider"))


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=services.REASON_MAX)


class PendingPaymentSerializer(serializers.ModelSerializer):
    class Meta:
        model = PendingPaymentChange
        fields = ["id", "remote_id", "record", "error", "attempts", "created_at", "last_tried_at"]
        read_only_fields = fields


class ConnectionHealthMixin(AdminApiMixin):
    model = Connection

    def get_connection(self) -> Connection:
        try:
            connection = selectors.connection_get(organization=self.organization, pk=self.kwargs["pk"])
        except Connection.DoesNotExist:
            raise Http404("No such connection.") from None
        try:
            self.provider = registry.get(connection.provider)
        except registry.ProviderNotFound:
            self.provider = None
        return connection


class ConnectionActivityView(ConnectionHealthMixin, generics.ListAPIView):
    """The connection's sync log, newest first; ?kind=copies|payments|connection|runs, ?outcome=info|warning|error,
    ?since= / ?until= (YYYY-MM-DD), ?document= (a number, in part). kind=runs lists its sync runs instead."""

    serializer_class = ActivityEntrySerializer

    def _filters(self) -> activity.ActivityFilters:
        return call_service(activity.ActivityFilters.from_query, query=self.request.query_params)

    def get_serializer_class(self):
        if getattr(self, "swagger_fake_view", False):
            return ActivityEntrySerializer
        return SyncRunSerializer if self._filters().kind == activity.KIND_RUNS else ActivityEntrySerializer

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "provider": getattr(self, "provider", None)}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return SyncLogEntry.objects.none()
        connection, filters = self.get_connection(), self._filters()
        if filters.kind == activity.KIND_RUNS:
            return activity.activity_runs(connection=connection, filters=filters)
        return activity.activity_entries(connection=connection, filters=filters)


class ConnectionAttentionView(ConnectionHealthMixin, APIView):
    """What needs attention on the connection: failed copies, unapplied payments, whether to reconnect."""

    @extend_schema(responses={200: None})
    def get(self, request, pk):
        item = attention.attention_for(connection=self.get_connection())
        return Response(
            {
                "count": item.count,
                "needs_reconnect": item.needs_reconnect,
                "failed_copies": InvoiceCopySerializer(item.copies, many=True).data,
                "unapplied_payments": PendingPaymentSerializer(item.payments, many=True).data,
            }
        )


class AttentionCopyActionView(ConnectionHealthMixin, APIView):
    """POST .../retry/ (copies it again through the copy engine) or .../ignore/ {"reason": ...}."""

    child_models = {"copy_pk": RemoteDocument}
    action = ""

    @extend_schema(request=ReasonSerializer, responses={200: InvoiceCopySerializer})
    def post(self, request, pk, copy_pk):
        connection = self.get_connection()
        try:
            copy = attention.failed_copy_get(connection=connection, pk=copy_pk)
        except RemoteDocument.DoesNotExist:
            raise Http404("No such failed copy.") from None
        if self.action == "ignore":
            form = ReasonSerializer(data=request.data)
            form.is_valid(raise_exception=True)
            copy = call_service(
                services.copy_ignore, copy=copy, user=request.user, reason=form.validated_data["reason"]
            )
            return Response(InvoiceCopySerializer(copy).data)
        try:
            copy = call_service(services.copy_retry, copy=copy, user=request.user)
        except IntegrationError as exc:
            return integration_error_response(exc, self.provider)
        return Response(InvoiceCopySerializer(copy).data)


class AttentionPaymentActionView(ConnectionHealthMixin, APIView):
    """POST .../retry/ (applies the kept change now) or .../dismiss/ {"reason": ...} (no longer retried)."""

    child_models = {"change_pk": PendingPaymentChange}
    action = ""

    @extend_schema(request=ReasonSerializer, responses={200: None})
    def post(self, request, pk, change_pk):
        try:
            change = attention.unapplied_payment_get(connection=self.get_connection(), pk=change_pk)
        except PendingPaymentChange.DoesNotExist:
            raise Http404("No such payment change.") from None
        if self.action == "dismiss":
            form = ReasonSerializer(data=request.data)
            form.is_valid(raise_exception=True)
            call_service(
                services.payment_dismiss, change=change, user=request.user, reason=form.validated_data["reason"]
            )
            return Response({"detail": "Dismissed: it is no longer retried."})
        if call_service(services.payment_retry, change=change):
            return Response({"applied": True, "detail": "Applied."})
        change.refresh_from_db()
        return Response({"applied": False, "detail": change.error}, status=status.HTTP_409_CONFLICT)
