"""Sync health pages of a connection (admins only): Activity (its sync log and runs) and Needs attention (what
failed and can be acted on), with the actions of Needs attention. Thin: reads in integrations.activity and
integrations.attention, actions in services.attention."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.views import View
from django.views.generic import TemplateView

from .. import activity, attention
from ..exceptions import IntegrationError
from ..models import PendingPaymentChange, RemoteDocument
from ..services import attention as services
from ..services.attention_digest import attention_digest_enabled, attention_digest_set
from .connections import ConnectionMixin
from .copy import describe_error


def _label(copy: RemoteDocument) -> str:
    document = copy.document
    return f"{copy.get_kind_display().lower()} {getattr(document, 'number', '') or document}"


class HealthMixin(ConnectionMixin):
    """The connection's pages share its header (tabs, the attention count)."""

    plan_gated = False  # the history stays readable below the provider's plan

    tab = ""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["tab"] = self.tab
        return context


class ActivityView(HealthMixin, TemplateView):
    template_name = "integrations/activity/activity.html"
    tab = "activity"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        connection = self.get_connection()
        try:
            filters = activity.ActivityFilters.from_query(self.request.GET)
        except ValidationError as exc:
            filters = activity.ActivityFilters()
            context["filter_errors"] = [message for messages_ in exc.message_dict.values() for message in messages_]
        page = activity.activity_page(connection=connection, filters=filters, page_number=self.request.GET.get("page"))
        rows = list(page.object_list)
        if filters.kind != activity.KIND_RUNS:
            for entry in rows:
                entry.document = activity.document_of(entry)
                entry.what_to_do = activity.what_to_do(entry, self.provider)
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(
            filters=filters,
            page=page,
            rows=rows,
            showing_runs=filters.kind == activity.KIND_RUNS,
            kinds=activity.KINDS,
            outcomes=activity.OUTCOMES,
            query=query.urlencode(),
            attention_count=attention.attention_for(connection=connection).count,
        )
        return context


class AttentionView(HealthMixin, TemplateView):
    template_name = "integrations/activity/attention.html"
    tab = "attention"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        item = attention.attention_for(connection=self.get_connection())
        for copy in item.copies:
            copy.label = _label(copy)
            copy.what_to_do = activity.what_to_do_for_copy(copy, self.provider)
        context.update(item=item, attention_count=item.count, retry_all_max=services.RETRY_ALL_MAX)
        context["digest_enabled"] = attention_digest_enabled(
            organization=self.request.organization, user=self.request.user
        )
        return context


class AttentionActionMixin(ConnectionMixin, View):
    http_method_names = ["post"]

    def done(self):
        return redirect("integrations:connection-attention", pk=self.get_connection().pk)

    def refused(self, exc: ValidationError):
        messages.error(self.request, " ".join(exc.messages))
        return self.done()


class CopyRetryView(AttentionActionMixin):
    child_models = {"copy_pk": RemoteDocument}

    def post(self, request, pk, copy_pk):
        connection = self.get_connection()
        try:
            copy = attention.failed_copy_get(connection=connection, pk=copy_pk)
        except RemoteDocument.DoesNotExist:
            raise Http404("No such failed copy.") from None
        label = _label(copy)
        try:
            result = services.copy_retry(copy=copy, user=request.user)
        except ValidationError as exc:
            return self.refused(exc)
        except IntegrationError as exc:
            problem = describe_error(exc, self.provider)
            words = f" {self.provider.name} said: {' '.join(problem.messages)}" if problem.messages else ""
            messages.error(request, f"The {label} was not copied: {problem.summary}{words} {problem.action}")
            return self.done()
        messages.success(request, f"The {label} is copied ({result.remote_number or result.remote_id}).")
        return self.done()


class CopyRetryAllView(AttentionActionMixin):
    def post(self, request, pk):
        copies = list(attention.failed_copies(connection=self.get_connection()))
        if not copies:
            messages.info(request, "No failed copies to retry.")
            return self.done()
        result = services.copies_retry_all(copies=copies, user=request.user)
        text = f"{result.succeeded} copied, {result.failed} failed again."
        if result.stopped:
            text += f" Stopped: {result.stopped}"
        if result.left:
            text += f" {result.left} not tried yet: retry again."
        (messages.success if not result.failed else messages.warning)(request, text)
        return self.done()


class CopyIgnoreView(AttentionActionMixin):
    child_models = {"copy_pk": RemoteDocument}

    def post(self, request, pk, copy_pk):
        try:
            copy = attention.failed_copy_get(connection=self.get_connection(), pk=copy_pk)
        except RemoteDocument.DoesNotExist:
            raise Http404("No such failed copy.") from None
        try:
            services.copy_ignore(copy=copy, user=request.user, reason=request.POST.get("reason", ""))
        except ValidationError as exc:
            return self.refused(exc)
        messages.success(request, f"The failed copy of the {_label(copy)} is ignored.")
        return self.done()


class PaymentActionMixin(AttentionActionMixin):
    child_models = {"change_pk": PendingPaymentChange}

    def get_change(self, change_pk) -> PendingPaymentChange:
        try:
            return attention.unapplied_payment_get(connection=self.get_connection(), pk=change_pk)
        except PendingPaymentChange.DoesNotExist:
            raise Http404("No such payment change.") from None


class PaymentRetryView(PaymentActionMixin):
    def post(self, request, pk, change_pk):
        change = self.get_change(change_pk)
        try:
            applied = services.payment_retry(change=change)
        except ValidationError as exc:
            return self.refused(exc)
        if applied:
            messages.success(request, f"Payment {change.remote_id} is applied.")
        else:
            change = PendingPaymentChange.objects.get(pk=change.pk)
            messages.error(request, f"Still not applied: {change.error}")
        return self.done()


class PaymentDismissView(PaymentActionMixin):
    def post(self, request, pk, change_pk):
        change = self.get_change(change_pk)
        try:
            services.payment_dismiss(change=change, user=request.user, reason=request.POST.get("reason", ""))
        except ValidationError as exc:
            return self.refused(exc)
        messages.success(request, f"Payment {change.remote_id} is dismissed: it is no longer retried.")
        return self.done()


class AttentionDigestView(AttentionActionMixin):
    """The admin's own switch for the daily e-mail (all the organization's connections)."""

    def post(self, request, pk):
        self.get_connection()
        enabled = request.POST.get("enabled") == "on"
        attention_digest_set(organization=request.organization, user=request.user, enabled=enabled)
        if enabled:
            messages.success(request, f"You get a daily e-mail at {request.user.email} when something needs attention.")
        else:
            messages.success(request, "The daily e-mail is off.")
        return self.done()
