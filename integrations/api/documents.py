"""API for expenses (sent as bills) and purchase orders, as for invoices' copies: list a document's copies, send
or update it (POST), bulk-send expenses. Admin-only and org-scoped; a plan without the kind's capability is a
403 on every route; the provider's refusals come back verbatim (integration_error_response)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from billing.api.errors import call_service
from billing.models import Expense, PurchaseOrder

from .. import registry
from ..document_kinds import BILL, PURCHASE_ORDER
from ..document_selectors import document_copies
from ..documents import adapter_for
from ..exceptions import IntegrationError
from ..models import CopyStatus, RemoteDocument
from ..services.document_bulk import document_export_bulk
from ..services.invoice_copy import MODE_UPDATE, document_export
from .serializers import DocumentBulkCreateSerializer, DocumentCopyCreateSerializer, DocumentCopySerializer
from .views import AdminApiMixin, integration_error_response


def refuse_plan(organization, kind: str) -> None:
    adapter = adapter_for(kind)
    for provider in registry.configured():
        if adapter.capability in provider.capabilities and not provider.allows(organization, adapter.capability):
            plan = str(provider.required_plan(adapter.capability)).title()
            raise PermissionDenied(f"Sending {adapter.label}s to {provider.name} needs the {plan} plan.")


class DocumentCopyListCreateView(AdminApiMixin, generics.GenericAPIView):
    """GET: the document's copies (newest first). POST: send it (mode "update" updates the latest copy)."""

    kind = ""
    serializer_class = DocumentCopySerializer
    pagination_class = None

    def get_document(self):
        refuse_plan(self.organization, self.kind)
        adapter = adapter_for(self.kind)
        return get_object_or_404(adapter.queryset().filter(organization=self.organization), pk=self.kwargs["pk"])

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return RemoteDocument.objects.none()
        return document_copies(document=self.get_document())

    def get(self, request, pk):
        return Response(DocumentCopySerializer(self.get_queryset(), many=True).data)

    @extend_schema(request=DocumentCopyCreateSerializer, responses={201: DocumentCopySerializer})
    def post(self, request, pk):
        document = self.get_document()
        form = DocumentCopyCreateSerializer(data=request.data, organization=self.organization)
        form.is_valid(raise_exception=True)
        connection, mode = form.validated_data["connection"], form.validated_data["mode"]
        updating = mode == MODE_UPDATE and (
            RemoteDocument.objects.filter(
                connection=connection, status=CopyStatus.SUCCEEDED, **adapter_for(self.kind).lookup(document)
            ).exists()
        )
        try:
            copy = call_service(document_export, document=document, connection=connection, mode=mode, user=request.user)
        except IntegrationError as exc:
            try:
                provider = registry.get(connection.provider)
            except registry.ProviderNotFound:
                provider = None
            return integration_error_response(exc, provider, "update" if updating else "copy")
        return Response(DocumentCopySerializer(copy).data, status=status.HTTP_201_CREATED)


class ExpenseCopyListCreateView(DocumentCopyListCreateView):
    kind, model = BILL, Expense


class PurchaseOrderCopyListCreateView(DocumentCopyListCreateView):
    kind, model = PURCHASE_ORDER, PurchaseOrder


class ExpenseBulkSendView(AdminApiMixin, APIView):
    """POST {"ids": [...]}: queue the expenses for sending, each through the export connection of its subsidiary,
    in the provider's batches; answers what was queued and what was skipped, and why."""

    @extend_schema(request=DocumentBulkCreateSerializer, responses={202: None})
    def post(self, request):
        refuse_plan(self.organization, BILL)
        form = DocumentBulkCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        result = call_service(
            document_export_bulk,
            kind=BILL,
            ids=form.validated_data["ids"],
            organization=self.organization,
            user=request.user,
        )
        body = {"queued": result.queued, "skipped": {str(pk): reason for pk, reason in result.skipped.items()}}
        return Response(body, status=status.HTTP_202_ACCEPTED)
