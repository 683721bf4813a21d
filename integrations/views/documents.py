"""Send an expense (as a bill) or a purchase order to an accounting tool, from its page or the expense list's bulk
bar; read a purchase order's status back. Admins only; thin views over integrations.services.

The prompt (GET) shows what will be sent (lines, accounts, tax types, the contact) and, after a send, what
"Update existing" and "Create new" do; posting calls document_export (one attempt per rendered form: a double
submit sends once) and shows the provider's words verbatim when it refuses. A plan without the kind's capability
(Essential for bills) is refused on every route, before anything is read from the provider.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View

from billing.models import Expense, PurchaseOrder
from billing.tenancy import OrganizationAdminRequiredMixin

from .. import registry
from ..document_kinds import BILL, PURCHASE_ORDER
from ..documents import adapter_for
from ..exceptions import IntegrationError
from ..models import Connection, ContactLink, CopyStatus, RemoteDocument
from ..services.document_bulk import document_export_bulk
from ..services.document_statuses import copy_status_refresh
from ..services.export_checks import _copy_context, document_export_check
from ..services.invoice_copy import COPY_MODES, MODE_NEW, MODE_UPDATE, copy_number_for_new, document_export
from .copy import describe_error

LIST_URLS = {BILL: "billing:expense-list", PURCHASE_ORDER: "billing:purchaseorder-list"}


def check_plan(provider, organization, kind: str) -> None:
    """Every route of a kind refuses an organization whose plan lacks the kind's capability (403, saying which)."""
    capability = adapter_for(kind).capability
    if capability not in provider.capabilities or not provider.allows(organization, capability):
        plan = str(provider.required_plan(capability)).title()
        raise PermissionDenied(f"Sending {adapter_for(kind).label}s to {provider.name} needs the {plan} plan.")


class DocumentMixin(OrganizationAdminRequiredMixin):
    """The organization's document (of the view's `kind`) and connection from the URL; another organization's →
    404."""

    kind = ""
    model = None  # the kind's model (the route-security suite reads it)
    child_models = {"connection_pk": Connection}

    def load(self, pk, connection_pk):
        organization = self.request.organization
        self.adapter = adapter_for(self.kind)
        self.document = get_object_or_404(self.adapter.queryset().filter(organization=organization), pk=pk)
        self.connection = get_object_or_404(Connection.objects.filter(organization=organization), pk=connection_pk)
        self.provider = registry.get_configured_or_404(self.connection.provider)
        check_plan(self.provider, organization, self.kind)
        if self.provider.copy_prompt(self.kind) is None:
            raise Http404("This provider does not take these documents.")


class DocumentSendView(DocumentMixin, View):
    template_name = "integrations/document_send.html"

    def latest(self) -> RemoteDocument | None:
        copies = RemoteDocument.objects.filter(connection=self.connection, **self.adapter.lookup(self.document))
        return copies.order_by("-is_latest", "-created_at", "-id").first()

    def context(self, **extra) -> dict:
        document, connection = self.document, self.connection
        latest = self.latest()
        copied = latest is not None and latest.status == CopyStatus.SUCCEEDED
        try:
            document_export_check(document=document, connection=connection)
            preview, refusal = _copy_context(document, connection).previews, []
        except ValidationError as exc:
            preview, refusal = [], exc.messages
        company = self.adapter.company(document)
        link = (
            ContactLink.objects.filter(connection=connection, company=company, role=self.adapter.contact_role).first()
            if company is not None
            else None
        )
        mode = self.request.GET.get("mode") if self.request.GET.get("mode") in COPY_MODES else MODE_UPDATE
        return {
            "document": document,
            "kind": self.kind,
            "label": self.adapter.label,
            "company": company,
            "connection": connection,
            "provider": self.provider,
            "prompt": self.provider.copy_prompt(self.kind),
            "latest": latest,
            "copied": copied,
            "mode": mode,
            "new_number": copy_number_for_new(invoice=document, connection=connection) if copied else "",
            "link": link,
            "preview": preview,
            "refusal": refusal,
            "back": document.get_absolute_url(),
            "nav": "expenses" if self.kind == BILL else "purchase_orders",
            "attempt_key": uuid.uuid4(),
            **extra,
        }

    def get(self, request, pk, connection_pk):
        self.load(pk, connection_pk)
        return render(request, self.template_name, self.context())

    def post(self, request, pk, connection_pk):
        self.load(pk, connection_pk)
        mode = request.POST.get("mode", MODE_UPDATE)
        latest = self.latest()
        try:
            copy = document_export(
                document=self.document,
                connection=self.connection,
                mode=mode if mode in COPY_MODES else "",
                user=request.user,
                attempt_key=request.POST.get("attempt", ""),
            )
        except ValidationError as exc:
            return render(request, self.template_name, self.context(errors=exc.messages), status=400)
        except IntegrationError as exc:
            updating = mode == MODE_UPDATE and latest is not None and latest.status == CopyStatus.SUCCEEDED
            problem = describe_error(exc, self.provider, "update" if updating else "copy")
            return render(request, self.template_name, self.context(problem=problem), status=problem.status)
        number = f" as {copy.remote_number}" if copy.remote_number else ""
        verb = "updated in" if mode == MODE_UPDATE and latest is not None and latest.remote_id else "sent to"
        messages.success(request, f"{self.adapter.label.capitalize()} {verb} {self.connection.name}{number}.")
        return redirect(self.document.get_absolute_url())


class DocumentStatusView(DocumentMixin, View):
    """POST: read the copy's status in the provider now (a purchase order's DRAFT … BILLED)."""

    def post(self, request, pk, connection_pk):
        self.load(pk, connection_pk)
        copy = (
            RemoteDocument.objects.filter(
                connection=self.connection,
                status=CopyStatus.SUCCEEDED,
                is_latest=True,
                **self.adapter.lookup(self.document),
            )
            .exclude(remote_id="")
            .first()
        )
        if copy is None:
            raise Http404("Not sent there yet.")
        try:
            copy = copy_status_refresh(copy=copy)
        except IntegrationError as exc:
            problem = describe_error(exc, self.provider)
            messages.error(request, f"{problem.summary} {' '.join(problem.messages)} {problem.action}".strip())
        else:
            messages.success(request, f"{self.connection.name}: {copy.remote_status.lower() or 'no status'}.")
        return redirect(self.document.get_absolute_url())


class DocumentBulkView(OrganizationAdminRequiredMixin, View):
    """The expense list's bulk bar: queue the selected expenses for sending, in the provider's batches."""

    kind = ""

    def post(self, request):
        kind = self.kind
        adapter = adapter_for(kind)
        for provider in registry.configured():
            if adapter.capability in provider.capabilities and not provider.allows(
                request.organization, adapter.capability
            ):
                check_plan(provider, request.organization, kind)
        try:
            result = document_export_bulk(
                kind=kind, ids=request.POST.getlist("ids"), organization=request.organization, user=request.user
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return redirect(LIST_URLS[kind])
        if result.queued:
            count = len(result.queued)
            messages.success(request, f"{count} {adapter.label}{'s' if count != 1 else ''} queued for sending.")
        for reason in result.skipped.values():
            messages.warning(request, f"Not queued: {reason}")
        return redirect(reverse(LIST_URLS[kind]))


class ExpenseSendView(DocumentSendView):
    kind, model = BILL, Expense


class PurchaseOrderSendView(DocumentSendView):
    kind, model = PURCHASE_ORDER, PurchaseOrder


class PurchaseOrderStatusView(DocumentStatusView):
    kind, model = PURCHASE_ORDER, PurchaseOrder


class ExpenseBulkView(DocumentBulkView):
    kind = BILL


__all__ = ["MODE_NEW"]
