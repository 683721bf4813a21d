"""Reconciliation in the API (admins only, organization-scoped): a connection's latest reconciliation run and its
open mismatches, "check now", and the action on a mismatch. Thin over integrations.reconciliation and the
services, as the page is."""

from __future__ import annotations

from django.db import transaction
from django.http import Http404
from django_q.tasks import async_task
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from billing.api.errors import call_service

from .. import reconciliation
from ..exceptions import IntegrationError
from ..models import MismatchAction, ReconciliationMismatch
from ..services.reconciliation import reconciliation_skip_reason
from ..services.reconciliation_actions import actions_for, mismatch_act
from .activity import ConnectionHealthMixin
from .serializers import SyncRunSerializer
from .views import integration_error_response


class MismatchSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(source="remote_document.kind", read_only=True)
    document = serializers.SerializerMethodField()
    remote_id = serializers.CharField(source="remote_document.remote_id", read_only=True)
    remote_url = serializers.CharField(source="remote_document.remote_url", read_only=True)
    actions = serializers.SerializerMethodField()

    class Meta:
        model = ReconciliationMismatch
        fields = ["id", "run", "kind", "document", "remote_id", "remote_url", "field", "ours", "theirs", "currency"]
        fields += ["suggested_action", "actions", "created_at"]
        read_only_fields = fields

    def get_document(self, mismatch) -> dict:
        document = mismatch.remote_document.document
        return {"id": document.pk, "number": getattr(document, "number", "") or str(document)}

    def get_actions(self, mismatch) -> list[str]:
        return actions_for(mismatch)


class MismatchActionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=MismatchAction.choices)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ConnectionReconciliationView(ConnectionHealthMixin, APIView):
    """The latest reconciliation run of the connection (null before the first) and its open mismatches."""

    @extend_schema(responses={200: None})
    def get(self, request, pk):
        connection = self.get_connection()
        run = reconciliation.latest_run(connection=connection)
        mismatches = reconciliation.open_mismatches(connection=connection)
        return Response(
            {
                "run": SyncRunSerializer(run).data if run else None,
                "mismatches": MismatchSerializer(mismatches, many=True).data,
            }
        )


class ReconciliationCheckView(ConnectionHealthMixin, APIView):
    """POST: queue a reconciliation of the connection now (202); 409 when it cannot run now."""

    @extend_schema(request=None, responses={202: None, 409: None})
    def post(self, request, pk):
        connection = self.get_connection()
        reason = reconciliation_skip_reason(connection)
        if reason:
            return Response({"detail": f"Not checked: {reason}."}, status=status.HTTP_409_CONFLICT)
        transaction.on_commit(lambda: async_task("integrations.tasks.reconciliation_connection", connection.pk))
        return Response({"detail": "Reconciliation queued."}, status=status.HTTP_202_ACCEPTED)


class MismatchActionView(ConnectionHealthMixin, APIView):
    """POST {"action": "update_existing" | "copy_again" | "resync_payments" | "mark_reconciled", "reason": ...}."""

    child_models = {"mismatch_pk": ReconciliationMismatch}

    @extend_schema(request=MismatchActionSerializer, responses={200: None})
    def post(self, request, pk, mismatch_pk):
        try:
            mismatch = reconciliation.mismatch_get(connection=self.get_connection(), pk=mismatch_pk)
        except ReconciliationMismatch.DoesNotExist:
            raise Http404("No such open mismatch.") from None
        form = MismatchActionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            text = call_service(mismatch_act, mismatch=mismatch, user=request.user, **form.validated_data)
        except IntegrationError as exc:
            return integration_error_response(exc, self.provider, "update")
        return Response({"detail": text})
