"""Copy to an accounting tool from the invoice pages, the bulk copy, and "Sync now". Admins only; thin views.

The prompt (GET) shows the contact search, the tax types and a preview of what will be sent, and for an invoice
already copied what "Update existing" and "Create new" will do (a second remote invoice for the same sale, with the
offer to void the previous one there first); the panel's buttons lead here, so nothing is posted unconfirmed.
Posting calls integrations.services.invoice_copy and shows the provider's messages verbatim when it refuses, with
what the user can actually do.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django_q.tasks import async_task

from billing.models import Invoice
from billing.tenancy import OrganizationAdminRequiredMixin

from .. import registry, selectors
from ..document_kinds import INVOICE
from ..error_budget import PROBLEM as ERROR_BUDGET
from ..exceptions import (
    AmbiguousWriteError,
    IntegrationError,
    ProviderValidationError,
    TerminalError,
    ThrottledError,
    TransientError,
)
from ..forms import CopyPromptForm
from ..models import Connection, ContactLink, ContactRole, CopyStatus, SyncRun
from ..services.contact_links import contact_id_clean
from ..services.invoice_copy import (
    COPY_MODES,
    MODE_NEW,
    MODE_UPDATE,
    copy_number_for_new,
    invoice_copy,
    invoice_copy_preview,
)
from ..services.invoice_copy_bulk import bulk_copy_max, invoice_copy_bulk
from ..services.remote_void import copy_payments_total, remote_void_refusal
from ..tasks import payment_sync_skip_reason
from .connections import refuse_below_plan

CONTACT_SEPARATOR = "::"  # the contact radio's value: "<remote id>::<name>"


@dataclass
class Problem:
    """A provider failure as the user reads it: what happened, the provider's own words, what to do."""

    summary: str
    messages: list[str] = field(default_factory=list)
    action: str = ""
    status: int = 400


DEFAULT_REFUSAL_ACTIONS = {
    "copy": "Correct it and copy again.",
    "update": "Correct it and copy again.",
    "void": "The invoice stays in the accounting tool as it is.",
}


def describe_error(exc: IntegrationError, provider=None, operation: str = "copy") -> Problem:
    """`operation`: "copy", "update" (over an existing remote invoice) or "void"; the provider names the next step
    for refusals it recognises (Provider.refusal_action), so "correct it" is said only where there is something
    to correct."""
    if isinstance(exc, ProviderValidationError):
        messages_ = exc.messages or ([exc.provider_message] if exc.provider_message else [])
        action = provider.refusal_action(messages_, operation) if provider is not None else ""
        return Problem(exc.message, messages_, action or DEFAULT_REFUSAL_ACTIONS[operation], 400)
    if isinstance(exc, ThrottledError) and exc.problem == ERROR_BUDGET and exc.retry_after:
        # Our own refusal (the provider would block the connection), not the provider's; the message names the time.
        return Problem(exc.message, [], "Nothing to correct here: copy again after that time.", 429)
    if isinstance(exc, ThrottledError):
        wait = f" for {exc.retry_after} seconds" if exc.retry_after else ""
        return Problem(exc.message, [], f"The provider asked us to wait{wait}; try again then.", 429)
    if isinstance(exc, TerminalError):
        return Problem(exc.message, [], "Reconnect the connection in Settings > App marketplace.", 409)
    if isinstance(exc, AmbiguousWriteError):
        return Problem(
            exc.message, [], "We can't tell whether it arrived. Copy again: we look it up first, never duplicate.", 503
        )
    if isinstance(exc, TransientError):
        return Problem(exc.message, [], "The provider is having trouble; try again in a few minutes.", 503)
    if exc.http_status == 404:
        return Problem(str(exc), [], "It may have been deleted there: use “Create new” to copy the invoice again.", 409)
    return Problem(str(exc), [], "", 502)


class CopyMixin(OrganizationAdminRequiredMixin):
    """The organization's invoice and connection from the URL; another organization's → 404."""

    child_models = {"invoice_pk": Invoice, "connection_pk": Connection}

    def load(self, invoice_pk, connection_pk):
        organization = self.request.organization
        self.invoice = get_object_or_404(
            Invoice.objects.filter(organization=organization).select_related("company", "subsidiary"), pk=invoice_pk
        )
        self.connection = get_object_or_404(Connection.objects.filter(organization=organization), pk=connection_pk)
        self.provider = registry.get_configured_or_404(self.connection.provider)
        refuse_below_plan(self.provider, organization)
        self.prompt = self.provider.copy_prompt(INVOICE)
        if self.prompt is None:
            raise Http404("Invoices are not copied to this provider.")
        return self.invoice, self.connection


class CopyPromptView(CopyMixin, View):
    template_name = "integrations/copy_prompt.html"

    def context(self, prompt_form=None, **extra):
        invoice, connection = self.invoice, self.connection
        link = ContactLink.objects.filter(
            connection=connection, company=invoice.company, role=ContactRole.CUSTOMER
        ).first()
        latest = selectors.latest_copies_by_connection(invoice=invoice).get(connection.pk)
        try:
            preview, refusal = invoice_copy_preview(invoice=invoice, connection=connection), []
        except ValidationError as exc:
            preview, refusal = [], exc.messages
        copied = latest is not None and latest.status == CopyStatus.SUCCEEDED
        mode = self.request.GET.get("mode") if self.request.GET.get("mode") in COPY_MODES else MODE_UPDATE
        return {
            "invoice": invoice,
            "connection": connection,
            "provider": self.provider,
            # What this provider asks for an invoice: the contact, the copy mode, its own options (CopyPrompt).
            "prompt": self.prompt,
            "prompt_form": prompt_form
            or CopyPromptForm(
                connection, self.prompt, provider=self.provider, previous=latest.options if copied else None
            ),
            "link": link,
            "latest": latest,
            "copied": copied,
            "live": copied and not latest.remote_voided_at,
            # Booked there (e-conomic booked, Exact processed): it can no longer change, only be replaced.
            "booked": copied and latest.is_booked,
            "mode": MODE_NEW if copied and latest.is_booked else mode,
            # What "Create new" makes, and whether the copy it replaces can be voided there first.
            "new_number": copy_number_for_new(invoice=invoice, connection=connection) if copied else "",
            "latest_paid": copy_payments_total(latest) if copied else 0,
            "void_refusal": remote_void_refusal(latest) if copied else "",
            "preview": preview,
            # Each line with the provider's own columns: (value, where it comes from) per PreviewColumn.
            "preview_lines": [(line, self.preview_cells(line)) for line in preview],
            "refusal": refusal,
            "nav": "invoices",
            "attempt_key": uuid.uuid4(),  # one per rendered form: a resent form is the same attempt
            **extra,
        }

    def preview_cells(self, line) -> list[tuple[str, str]]:
        return [
            (getattr(line, c.value, ""), getattr(line, c.note, "") if c.note else "")
            for c in self.prompt.preview_columns
        ]

    def get(self, request, invoice_pk, connection_pk):
        self.load(invoice_pk, connection_pk)
        return render(request, self.template_name, self.context())

    def post(self, request, invoice_pk, connection_pk):
        invoice, connection = self.load(invoice_pk, connection_pk)
        mode = request.POST.get("mode", MODE_UPDATE)
        contact_id, _, contact_name = request.POST.get("contact", "").partition(CONTACT_SEPARATOR)
        void_previous = mode == MODE_NEW and request.POST.get("void_previous") == "1"
        latest = selectors.latest_copies_by_connection(invoice=invoice).get(connection.pk)
        prompt_form = CopyPromptForm(connection, self.prompt, request.POST, provider=self.provider)
        if not prompt_form.is_valid():  # the provider's own options: nothing is sent until they are right
            return render(request, self.template_name, self.context(prompt_form=prompt_form), status=400)
        try:
            contact_id = contact_id_clean(connection=connection, contact_id=contact_id)
        except ValidationError as exc:
            errors = exc.message_dict.get("contact_id", exc.messages)
            return render(request, self.template_name, self.context(prompt_form, contact_errors=errors), status=400)
        try:
            copy = invoice_copy(
                options=prompt_form.options,
                invoice=invoice,
                connection=connection,
                contact_id=contact_id or None,
                contact_name=contact_name.strip(),
                mode=mode if mode in COPY_MODES else "",
                user=request.user,
                attempt_key=request.POST.get("attempt", ""),
                void_previous=void_previous,
            )
        except ValidationError as exc:
            return render(request, self.template_name, self.context(errors=exc.messages), status=400)
        except IntegrationError as exc:
            problem = self.problem(exc, mode, latest)
            return render(request, self.template_name, self.context(problem=problem), status=problem.status)
        number = f" as {copy.remote_number}" if copy.remote_number else ""
        messages.success(request, f"Invoice copied to {connection.name}{number}.")
        if void_previous and latest is not None and latest.remote_number:
            messages.success(request, f"{latest.remote_number} was voided in {self.provider.name} first.")
        return redirect(invoice.get_absolute_url())

    def problem(self, exc: IntegrationError, mode: str, latest) -> Problem:
        voiding = getattr(exc, "voiding", "")  # set by invoice_copy when voiding the previous copy was refused
        updating = mode == MODE_UPDATE and latest is not None and latest.status == CopyStatus.SUCCEEDED
        problem = describe_error(exc, self.provider, "void" if voiding else "update" if updating else "copy")
        if voiding:
            problem.summary = f"Nothing was created: {self.provider.name} did not void {voiding}. {problem.summary}"
            problem.action = f"{problem.action} Or create the new copy without voiding {voiding}.".strip()
        return problem


class ContactSearchView(CopyMixin, View):
    """HTMX: the provider's contacts matching ?q= as radio choices for the prompt."""

    def get(self, request, invoice_pk, connection_pk):
        self.load(invoice_pk, connection_pk)
        term = request.GET.get("q", "").strip()
        contacts, problem = [], None
        if len(term) >= 2:
            try:
                contacts = registry.get(self.connection.provider).api(self.connection).search_contacts(term)
            except IntegrationError as exc:
                problem = describe_error(exc)
        return render(
            request,
            "integrations/copy_contacts.html",
            {
                "contacts": contacts,
                "term": term,
                "problem": problem,
                "separator": CONTACT_SEPARATOR,
                "provider": self.provider,
            },
        )


class BulkCopyView(OrganizationAdminRequiredMixin, View):
    """The invoice list's bulk bar: queue a copy of each selected invoice."""

    def post(self, request):
        since = timezone.now().replace(microsecond=0)  # the result view's copies are the ones touched from now
        try:
            result = invoice_copy_bulk(
                invoice_ids=request.POST.getlist("invoice_ids"), organization=request.organization, user=request.user
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return redirect("billing:invoice-list")
        if result.queued:
            count = len(result.queued)
            messages.success(request, f"{count} invoice{'s' if count != 1 else ''} queued for copying.")
        for reason in result.skipped.values():
            messages.warning(request, f"Not queued: {reason}")
        if not result.queued:
            return redirect("billing:invoice-list")
        ids = ",".join(str(pk) for pk in result.queued)
        return redirect(f"{reverse('integrations:invoice-copy-bulk-result')}?ids={ids}&since={int(since.timestamp())}")


class BulkCopyResultView(OrganizationAdminRequiredMixin, View):
    """A bulk copy's copies as they finish (?ids=<invoice ids>&since=<unix time queued>): a progress bar with the
    done / failed / waiting counts and a row per invoice; over HTMX that partial only, polled every 2s until each is
    done or failed. Other organizations' invoices are not listed."""

    def get(self, request):
        try:
            ids = [int(pk) for pk in request.GET.get("ids", "").split(",") if pk][: bulk_copy_max()]
            since = datetime.fromtimestamp(int(request.GET.get("since", "")), tz=UTC)
        except (ValueError, OverflowError, OSError):
            raise Http404("Not found.") from None
        rows = selectors.bulk_copy_progress(organization=request.organization, invoice_ids=ids, since=since)
        counts = selectors.bulk_copy_counts(rows)
        context = {
            "rows": rows,
            "counts": counts,
            "finished": counts.finished,
            "poll_url": request.get_full_path(),
            "nav": "invoices",
        }
        template = "integrations/bulk_copy_rows.html" if request.htmx else "integrations/bulk_copy_result.html"
        return render(request, template, context)


class SyncNowView(OrganizationAdminRequiredMixin, View):
    """ "Sync now" on a connection: queue its payment sync (the task re-checks it). From the invoice panel over HTMX
    (`invoice` posted) it answers with the panel in a "syncing" state that polls InvoicePanelView until the run ends;
    without JavaScript it redirects with a message."""

    model = Connection

    def post(self, request, pk):
        connection = get_object_or_404(selectors.connection_list(organization=request.organization), pk=pk)
        invoice = None
        if request.htmx and request.POST.get("invoice"):
            invoice = get_object_or_404(
                Invoice.objects.filter(organization=request.organization), pk=_int_or_404(request.POST["invoice"])
            )
        after = selectors.latest_payment_sync_run_id(connection=connection)
        reason = payment_sync_skip_reason(connection)
        if not reason:
            transaction.on_commit(lambda: async_task("integrations.tasks.payments_sync_connection", connection.pk))
        if invoice is not None:
            return render_panel(request, invoice, SyncProgress.load(invoice, connection, after, skipped=reason))
        if reason:
            messages.error(request, f"{connection.name}: payments are not synced now ({reason}).")
        else:
            messages.success(request, f"{connection.name}: payment sync started.")
        return redirect(request.POST.get("next") if _safe_next(request) else reverse("integrations:marketplace"))


@dataclass
class SyncProgress:
    """A "Sync payments now" the panel follows: the first payment run of the connection after `after` (a SyncRun
    id taken before the run was queued), None until the worker starts it."""

    invoice: Invoice
    connection: Connection
    after: int
    run: SyncRun | None = None
    skipped: str = ""

    @classmethod
    def load(cls, invoice, connection, after: int, skipped: str = "") -> SyncProgress:
        run = selectors.payment_sync_run_after(connection=connection, after=after)
        if run is None and not skipped:
            skipped = payment_sync_skip_reason(connection)  # the task will skip it: nothing to wait for
        return cls(invoice, connection, after, run, skipped)

    @property
    def finished(self) -> bool:
        return bool(self.skipped) or (self.run is not None and self.run.finished_at is not None)

    @property
    def poll_url(self) -> str:
        url = reverse("integrations:invoice-panel", args=[self.invoice.pk])
        return f"{url}?sync={self.connection.pk}&after={self.after}"


def render_panel(request, invoice, sync: SyncProgress | None = None):
    context = {**selectors.invoice_panel(invoice=invoice), "is_admin": True, "sync": sync}
    return render(request, "integrations/copy_panel.html", context)


class InvoicePanelView(OrganizationAdminRequiredMixin, View):
    """HTMX: the invoice's accounting panel, following a "Sync payments now" (?sync=<connection>&after=<run id>)."""

    child_models = {"invoice_pk": Invoice}  # the route-security suite checks scoping per URL argument

    def get(self, request, invoice_pk):
        invoice = get_object_or_404(
            Invoice.objects.filter(organization=request.organization).select_related("company", "subsidiary"),
            pk=invoice_pk,
        )
        sync = None
        if request.GET.get("sync"):
            connection = get_object_or_404(
                selectors.connection_list(organization=request.organization), pk=_int_or_404(request.GET["sync"])
            )
            sync = SyncProgress.load(invoice, connection, _int_or_404(request.GET.get("after", "0")))
        return render_panel(request, invoice, sync)


def _int_or_404(value: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404("Not found.") from None


def _safe_next(request) -> bool:
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next", "")
    return bool(target) and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
