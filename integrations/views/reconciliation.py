"""The Reconciliation tab of a connection (admins only): its latest reconciliation run and the mismatches still
open, "Check now", and the action on a mismatch. Thin: reads in integrations.reconciliation, the run in
services.reconciliation, the actions in services.reconciliation_actions."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.views.generic import TemplateView
from django_q.tasks import async_task

from .. import attention, reconciliation
from ..exceptions import IntegrationError
from ..models import MismatchAction, ReconciliationMismatch
from ..services.reconciliation import reconciliation_skip_reason
from ..services.reconciliation_actions import actions_for, mismatch_act
from .activity import AttentionActionMixin, HealthMixin
from .copy import describe_error


class ReconciliationView(HealthMixin, TemplateView):
    template_name = "integrations/activity/reconciliation.html"
    tab = "reconciliation"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        connection = self.get_connection()
        mismatches = list(reconciliation.open_mismatches(connection=connection))
        for mismatch in mismatches:
            mismatch.actions = [(value, MismatchAction(value).label) for value in actions_for(mismatch)]
        context.update(
            run=reconciliation.latest_run(connection=connection),
            groups=reconciliation.by_document(mismatches),
            mismatch_count=len(mismatches),
            skip_reason=reconciliation_skip_reason(connection),
            attention_count=attention.attention_for(connection=connection).count,
        )
        return context


class ReconciliationActionMixin(AttentionActionMixin):
    def done(self):
        return redirect("integrations:connection-reconciliation", pk=self.get_connection().pk)


class ReconciliationCheckView(ReconciliationActionMixin):
    """ "Check now": queue the connection's reconciliation (the worker runs it; the page shows it once done)."""

    def post(self, request, pk):
        connection = self.get_connection()
        reason = reconciliation_skip_reason(connection)
        if reason:
            messages.error(request, f"Not checked: {reason}.")
            return self.done()
        transaction.on_commit(lambda: async_task("integrations.tasks.reconciliation_connection", connection.pk))
        messages.success(request, f"Checking every copy against {self.provider.name}: the results appear here.")
        return self.done()


class MismatchActionView(ReconciliationActionMixin):
    child_models = {"mismatch_pk": ReconciliationMismatch}

    def post(self, request, pk, mismatch_pk):
        try:
            mismatch = reconciliation.mismatch_get(connection=self.get_connection(), pk=mismatch_pk)
        except ReconciliationMismatch.DoesNotExist:
            raise Http404("No such open mismatch.") from None
        try:
            text = mismatch_act(
                mismatch=mismatch,
                action=request.POST.get("action", ""),
                user=request.user,
                reason=request.POST.get("reason", ""),
            )
        except ValidationError as exc:
            return self.refused(exc)
        except IntegrationError as exc:
            problem = describe_error(exc, self.provider, "update")
            words = f" {self.provider.name} said: {' '.join(problem.messages)}" if problem.messages else ""
            messages.error(request, f"{problem.summary}{words} {problem.action}")
            return self.done()
        messages.success(request, text)
        return self.done()
