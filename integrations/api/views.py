"""Thin API views over integrations.selectors and services. Every endpoint is admin-only and org-scoped."""

from datetime import UTC, datetime

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django_q.tasks import async_task
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from billing.api.errors import call_service
from billing.api.permissions import IsOrganizationAdmin
from billing.models import Invoice
from billing.tenancy import current_membership

from .. import registry, selectors
from ..exceptions import IntegrationError, ThrottledError
from ..models import Connection, SyncRun
from ..services.contact_links import contact_id_clean
from ..services.invoice_copy import MODE_UPDATE, invoice_copy
from ..services.invoice_copy_bulk import bulk_copy_max, invoice_copy_bulk
from ..tasks import payment_sync_skip_reason
from ..views.copy import describe_error
from .filters import SyncRunFilter
from .serializers import (
    BulkCopyCreateSerializer,
    BulkCopyProgressSerializer,
    ConnectionSerializer,
    InvoiceCopyCreateSerializer,
    InvoiceCopySerializer,
    SyncRunSerializer,
)


class AdminApiMixin:
    permission_classes = [IsOrganizationAdmin]

    @property
    def organization(self):
        return current_membership(self.request).organization


def integration_error_response(exc: IntegrationError, provider=None, operation: str = "copy") -> Response:
    """The provider's refusal or failure as an API answer, its messages verbatim, with what to do."""
    problem = describe_error(exc, provider, "void" if getattr(exc, "voiding", "") else operation)
    body = {"detail": problem.summary, "provider_errors": problem.messages, "action": problem.action}
    if problem.status == status.HTTP_429_TOO_MANY_REQUESTS and isinstance(exc, ThrottledError) and exc.retry_after:
        return Response(body, status=problem.status, headers={"Retry-After": str(exc.retry_after)})
    return Response(body, status=problem.status)


class InvoiceCopyListCreateView(AdminApiMixin, generics.GenericAPIView):
    """GET: the invoice's copies (newest first). POST: copy it (mode "update" re-copies over the latest copy)."""

    model = Invoice  # the pk in the URL
    serializer_class = InvoiceCopySerializer
    pagination_class = None

    def get_invoice(self) -> Invoice:
        return get_object_or_404(Invoice.objects.filter(organization=self.organization), pk=self.kwargs["pk"])

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Connection.objects.none()
        return selectors.invoice_copy_list(invoice=self.get_invoice())

    def get(self, request, pk):
        return Response(InvoiceCopySerializer(self.get_queryset(), many=True).data)

    @extend_schema(request=InvoiceCopyCreateSerializer, responses={201: InvoiceCopySerializer})
    def post(self, request, pk):
        invoice = self.get_invoice()
        form = InvoiceCopyCreateSerializer(data=request.data, organization=self.organization)
        form.is_valid(raise_exception=True)
        connection = form.validated_data["connection"]
        contact_id = call_service(
            contact_id_clean, connection=connection, contact_id=form.validated_data.get("contact_id")
        )
        try:
            copy = call_service(
                invoice_copy,
                invoice=invoice,
                connection=connection,
                contact_id=contact_id or None,
                mode=form.validated_data["mode"],
                user=request.user,
                void_previous=form.validated_data["void_previous"],
            )
        except IntegrationError as exc:
            try:
                provider = registry.get(connection.provider)
            except registry.ProviderNotFound:
                provider = None
            updating = form.validated_data["mode"] == MODE_UPDATE and bool(
                selectors.latest_copies_by_connection(invoice=invoice).get(connection.pk)
            )
            return integration_error_response(exc, provider, "update" if updating else "copy")
        return Response(InvoiceCopySerializer(copy).data, status=status.HTTP_201_CREATED)


class ConnectionViewSet(AdminApiMixin, viewsets.ReadOnlyModelViewSet):
    model = Connection
    serializer_class = ConnectionSerializer
    lookup_value_converter = "int"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Connection.objects.none()
        return selectors.connection_list(organization=self.organization)


class SyncRunListView(AdminApiMixin, generics.ListAPIView):
    serializer_class = SyncRunSerializer
    filterset_class = SyncRunFilter  # ?connection=<id>

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return SyncRun.objects.none()
        return selectors.sync_run_list(organization=self.organization)


class ConnectionSyncView(AdminApiMixin, APIView):
    """Start a payment sync of the connection now (queued; its run appears under sync-runs)."""

    model = Connection

    @extend_schema(request=None, responses={202: None})
    def post(self, request, pk):
        connection = get_object_or_404(selectors.connection_list(organization=self.organization), pk=pk)
        reason = payment_sync_skip_reason(connection)
        if reason:
            return Response({"detail": f"Payments are not synced now: {reason}."}, status=status.HTTP_409_CONFLICT)
        transaction.on_commit(lambda: async_task("integrations.tasks.payments_sync_connection", connection.pk))
        return Response({"detail": "Payment sync queued."}, status=status.HTTP_202_ACCEPTED)


class BulkCopyView(AdminApiMixin, APIView):
    """POST: queue a bulk copy of invoices (each to the active connection of its subsidiary, in the provider's
    batches); answers what was queued and skipped, and `since`, which GET takes back. GET ?ids=1,2&since=<unix>:
    the run's progress (done / failed / waiting / queued counts and a row per invoice of this organization)."""

    @extend_schema(request=BulkCopyCreateSerializer, responses={202: BulkCopyProgressSerializer})
    def post(self, request):
        form = BulkCopyCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        since = timezone.now().replace(microsecond=0)
        result = call_service(
            invoice_copy_bulk,
            invoice_ids=form.validated_data["invoice_ids"],
            organization=self.organization,
            user=request.user,
        )
        body = self._progress(result.queued, since)
        body["skipped"] = {str(pk): reason for pk, reason in result.skipped.items()}
        return Response(body, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses=BulkCopyProgressSerializer)
    def get(self, request):
        try:
            ids = [int(pk) for pk in request.query_params.get("ids", "").split(",") if pk][: bulk_copy_max()]
            since = datetime.fromtimestamp(int(request.query_params.get("since", "")), tz=UTC)
        except (ValueError, OverflowError, OSError):
            return Response({"detail": "Give ids=<invoice ids> and since=<unix time>."}, status=400)
        return Response(self._progress(ids, since))

    def _progress(self, ids, since) -> dict:
        rows = selectors.bulk_copy_progress(organization=self.organization, invoice_ids=ids, since=since)
        counts = selectors.bulk_copy_counts(rows)
        return BulkCopyProgressSerializer(
            {"since": int(since.timestamp()), "counts": counts, "finished": counts.finished, "rows": rows}
        ).data
