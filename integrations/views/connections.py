"""A connection's setup (the pencil), its pick-list refresh, and disconnecting it (the bin)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils.dateparse import parse_datetime
from django.views import View
from django.views.generic import FormView, TemplateView

from billing.tenancy import OrganizationAdminRequiredMixin

from .. import registry
from ..exceptions import IntegrationError, TerminalError
from ..marketplace import connection_for_admin
from ..models import Connection, ConnectionStatus, CopyStatus
from ..services import connections as services
from ..services.connection_removal import connection_remove
from ..services.pick_lists import cached_lists, connection_refresh_lists


def pick_list_counts(provider, lists: dict) -> list[str]:
    """ "3 accounts", "12 tax rates", … for each list the provider offers."""
    return [f"{len(lists.get(p.key) or [])} {p.plural}" for p in provider.pick_lists]


def pick_list_names(provider) -> str:
    """ "Accounts, tax rates and items" for the lists the provider offers."""
    names = [p.plural for p in provider.pick_lists]
    text = " and ".join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else "".join(names)
    return text[:1].upper() + text[1:]


def refuse_below_plan(provider, organization) -> None:
    if not provider.allows(organization):
        raise PermissionDenied(f"{provider.name} needs the {provider.required_plan().title()} plan or higher.")


class ConnectionMixin(OrganizationAdminRequiredMixin):
    """The organization's connection from the URL (another organization's → 404) and its provider."""

    model = Connection
    # The provider's plan must allow the organization (Exact: Professional and up). History and leaving stay open
    # to an organization below it: the activity log, disconnect, remove.
    plan_gated = True

    def get_connection(self) -> Connection:
        if not hasattr(self, "connection"):
            try:
                self.connection = connection_for_admin(organization=self.request.organization, pk=self.kwargs["pk"])
            except Connection.DoesNotExist:
                raise Http404("No such connection.") from None
            self.provider = registry.get(self.connection.provider)
            if self.plan_gated:
                refuse_below_plan(self.provider, self.request.organization)
        return self.connection

    def get_context_data(self, **kwargs):
        kwargs.update(
            connection=self.get_connection(), provider=self.provider, nav="settings", settings_nav="marketplace"
        )
        return super().get_context_data(**kwargs)


class SetupView(ConnectionMixin, FormView):
    template_name = "integrations/setup.html"

    def get_form(self, form_class=None):
        connection = self.get_connection()
        if connection.status == ConnectionStatus.DISCONNECTED or not self.provider.has_setup:
            raise Http404("This connection has nothing to set up (disconnected, or no settings).")
        return self.provider.setup_form(connection, **self.get_form_kwargs())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        lists = cached_lists(self.connection)
        context["lists_names"] = pick_list_names(self.provider)
        context["lists_counts"] = pick_list_counts(self.provider, lists)
        context["lists_refreshed_at"] = parse_datetime(lists["refreshed_at"]) if lists["refreshed_at"] else None
        context["setup_missing"] = missing = self.provider.setup_missing(self.connection)
        context["setup_complete"] = not missing
        return context

    def form_valid(self, form):
        if form.save() is None:
            return self.form_invalid(form)
        missing = self.provider.setup_missing(self.connection)
        if not missing:
            messages.success(self.request, f"“{self.connection.name}” is set up.")
        else:
            messages.warning(
                self.request,
                f"Saved. “{self.connection.name}” is not ready to copy invoices yet: it still needs "
                f"{'; '.join(missing)}.",
            )
        return redirect("integrations:connection-setup", pk=self.connection.pk)


class RefreshListsView(ConnectionMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        connection = self.get_connection()
        if connection.status != ConnectionStatus.ACTIVE:
            messages.error(request, "Reconnect this connection before refreshing its lists.")
            return redirect("integrations:marketplace")
        try:
            lists = connection_refresh_lists(connection=connection)
        except TerminalError:
            messages.error(request, f"{self.provider.name} no longer accepts this connection: reconnect it.")
            return redirect("integrations:marketplace")
        except IntegrationError as exc:
            messages.error(request, f"Could not load the lists from {self.provider.name}: {exc}")
        else:
            messages.success(request, f"Lists refreshed: {', '.join(pick_list_counts(self.provider, lists))}.")
        return redirect("integrations:connection-setup", pk=connection.pk)


class DisconnectView(ConnectionMixin, TemplateView):
    """GET: the confirmation page. POST: disconnect (revoke best effort, wipe credentials, keep history)."""

    plan_gated = False  # a downgraded organization can still leave

    template_name = "integrations/disconnect_confirm.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # What the provider really holds: copies that succeeded, not every attempt.
        context["copies"] = self.connection.remote_documents.filter(status=CopyStatus.SUCCEEDED).count()
        return context

    def post(self, request, pk):
        connection = self.get_connection()
        if connection.status == ConnectionStatus.DISCONNECTED:
            messages.info(request, f"“{connection.name}” is already disconnected.")
        else:
            services.connection_disconnect(connection=connection, user=request.user)
            messages.success(
                request,
                f"“{connection.name}” is disconnected. Copied invoices and synced payments are kept; nothing more "
                f"is sent to or read from {self.provider.name}.",
            )
        return redirect("integrations:marketplace")


class RemoveView(ConnectionMixin, View):
    """POST: hide a disconnected connection from the list; its copies and log stay on the invoices."""

    plan_gated = False  # a downgraded organization can still leave

    http_method_names = ["post"]

    def post(self, request, pk):
        connection = self.get_connection()
        try:
            connection_remove(connection=connection, user=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request, f"“{connection.name}” is removed from the list. Its copies stay in the invoices' history."
            )
        return redirect("integrations:marketplace")
