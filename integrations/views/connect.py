"""Connecting an OAuth provider: the form, the redirect to the provider, the callback, the tenant choice,
and reconnecting an existing connection."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect
from django.views import View
from django.views.generic import FormView

from billing.tenancy import OrganizationAdminRequiredMixin

from .. import registry
from ..forms import ChooseTenantForm, ConnectForm
from ..marketplace import connection_for_admin
from ..models import Connection
from ..services import connections as services
from ..services.connect_warnings import connection_warnings, tenant_warnings
from ..services.revocation import authorization_cancel

PENDING_SESSION_KEY = "integrations_pending_authorization"
CANCELLED = {  # by what withdrawing the grant at the provider came to (services.revocation)
    "revoked": "Nothing was connected, and the access you allowed in {provider} was withdrawn.",
    "kept": "Nothing was connected. The {tenants} your other connections use keep their access in {provider}; "
    "the access to the others was withdrawn.",
    "failed": "Nothing was connected. Withdrawing the access you allowed in {provider} failed: you can remove the "
    "app in {provider}'s settings.",
}


def _session_key(request) -> str:
    if not request.session.session_key:
        request.session.save()
    return request.session.session_key


def _message(error: ValidationError) -> str:
    return " ".join(error.messages)


class ProviderMixin(OrganizationAdminRequiredMixin):
    """The provider named in the URL; unknown or not configured → 404."""

    def dispatch(self, request, *args, **kwargs):
        self.provider = registry.get_configured_or_404(kwargs["provider"])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        kwargs.setdefault("provider", self.provider)
        kwargs.setdefault("nav", "settings")
        kwargs.setdefault("settings_nav", "marketplace")
        return super().get_context_data(**kwargs)


class ConnectView(ProviderMixin, FormView):
    template_name = "integrations/connect.html"

    def get_form(self, form_class=None):
        return ConnectForm(self.request.organization, self.provider, **self.get_form_kwargs())

    def get_context_data(self, **kwargs):
        kwargs["allowed"] = self.provider.allows(self.request.organization)
        return super().get_context_data(**kwargs)

    def form_valid(self, form):
        try:
            state, url = services.authorization_start(
                provider=self.provider,
                organization=self.request.organization,
                user=self.request.user,
                session_key=_session_key(self.request),
                subsidiary=form.cleaned_data["subsidiary"],
                name=form.cleaned_data["name"],
                options=form.options,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        return HttpResponseRedirect(url)


class ReconnectView(OrganizationAdminRequiredMixin, View):
    """POST from the marketplace card: the same OAuth round trip, bound to the existing connection."""

    model = Connection
    http_method_names = ["post"]

    def post(self, request, pk):
        try:
            connection = connection_for_admin(organization=request.organization, pk=pk)
        except Connection.DoesNotExist:
            raise Http404("No such connection.") from None
        provider = registry.get(connection.provider)
        try:
            _state, url = services.authorization_start(
                provider=provider,
                organization=request.organization,
                user=request.user,
                session_key=_session_key(request),
                reconnect=connection,
            )
        except ValidationError as exc:
            messages.error(request, _message(exc))
            return redirect("integrations:marketplace")
        return HttpResponseRedirect(url)


class CallbackView(ProviderMixin, View):
    """/integrations/<provider>/callback/: where the provider sends the admin back. Never creates anything
    unless the state is theirs, fresh and unused and the provider granted access."""

    http_method_names = ["get"]

    def get(self, request, provider):
        try:
            result = services.authorization_callback(
                provider=self.provider,
                params=request.GET.dict(),
                user=request.user,
                session_key=_session_key(request),
                organization=request.organization,
            )
        except ValidationError as exc:
            messages.error(request, _message(exc))
            return redirect("integrations:marketplace")
        if result.connection is None:
            request.session[PENDING_SESSION_KEY] = result.state.pk
            return redirect("integrations:choose-tenant", provider=self.provider.key)
        return _connected(request, result.connection, reconnected=bool(result.state.reconnect_id))


def _connected(request, connection, *, reconnected: bool):
    provider = _announce(request, connection, reconnected=reconnected)
    if provider.has_setup:
        return redirect("integrations:connection-setup", pk=connection.pk)
    return redirect("integrations:marketplace")


def _announce(request, connection, *, reconnected: bool):
    verb = "reconnected" if reconnected else "connected"
    provider = registry.get(connection.provider)
    tenant = f"the {provider.name} {provider.tenant_noun} “{connection.remote_tenant_name}”"
    messages.success(request, f"“{connection.name}” is {verb} to {tenant}.")
    if not reconnected:
        for warning in connection_warnings(connection):
            messages.warning(request, warning)
    return provider


class ChooseTenantView(ProviderMixin, FormView):
    """Several tenants (organisations, divisions…) were granted in one consent: the admin picks which to connect
    (one connection each, sharing the consent's grant)."""

    template_name = "integrations/choose_tenant.html"

    def _load_state(self):
        try:
            self.state = services.pending_state(
                provider=self.provider,
                pk=self.request.session.get(PENDING_SESSION_KEY),
                user=self.request.user,
                session_key=_session_key(self.request),
                organization=self.request.organization,
            )
        except ValidationError as exc:
            messages.error(self.request, _message(exc))
            return redirect("integrations:marketplace")
        return None

    def get(self, request, *args, **kwargs):
        return self._load_state() or super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        refused = self._load_state()
        if refused or "cancel" not in request.POST:
            return refused or super().post(request, *args, **kwargs)
        outcome = authorization_cancel(state=self.state)
        request.session.pop(PENDING_SESSION_KEY, None)
        messages.info(
            request, CANCELLED[outcome].format(provider=self.provider.name, tenants=self.provider.tenant_noun_plural)
        )
        return redirect("integrations:marketplace")

    def get_form(self, form_class=None):
        return ChooseTenantForm(
            self.state.pending_tenants,
            provider=self.provider,
            several=not self.state.reconnect_id,  # a reconnect keeps its one tenant
            **self.get_form_kwargs(),
        )

    def get_context_data(self, **kwargs):
        kwargs["state"] = self.state
        kwargs["tenant_warnings"] = [
            (tenant["name"], warnings)
            for tenant in self.state.pending_tenants
            if (warnings := tenant_warnings(self.state, tenant))
        ]
        return super().get_context_data(**kwargs)

    def form_valid(self, form):
        try:
            connections = services.authorization_complete_tenants(state=self.state, tenant_ids=form.tenant_ids)
        except ValidationError as exc:
            messages.error(self.request, _message(exc))
            return redirect("integrations:marketplace")
        self.request.session.pop(PENDING_SESSION_KEY, None)
        if len(connections) == 1:
            return _connected(self.request, connections[0], reconnected=bool(self.state.reconnect_id))
        for connection in connections:
            _announce(self.request, connection, reconnected=False)
        return redirect("integrations:marketplace")  # each card then offers its own setup
