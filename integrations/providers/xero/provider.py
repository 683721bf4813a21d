"""Xero as the marketplace shows it, and how to authorise and talk to it."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError

from billing.choices import Plan
from integrations.providers.base import (
    COPY_INVOICE,
    EXPORT_EXPENSES,
    OAUTH2,
    SYNC_PAYMENTS,
    Provider,
    RemoteTenant,
    TokenSet,
)

from .mapping import DEFAULT_ACCOUNT_SETTING, NUMBERING_APP, NUMBERING_SETTING


class XeroProvider(Provider):
    key = "xero"
    name = "Xero"
    description = (
        "Copy finalized invoices to Xero as approved sales invoices, with your accounts and tax types, "
        "and bring the payments recorded in Xero back onto your invoices."
    )
    logo = "integrations/xero/logo.svg"
    auth_kind = OAUTH2
    capabilities = frozenset({COPY_INVOICE, SYNC_PAYMENTS})
    upcoming_capabilities = frozenset({EXPORT_EXPENSES})
    capability_plans = {EXPORT_EXPENSES: Plan.PROFESSIONAL}
    required_settings = ("XERO_CLIENT_ID", "XERO_CLIENT_SECRET")
    rate_limit = (60, 60)  # per tenant: 60 calls a minute (developer.xero.com/documentation/oauth2/limits)

    def identity(self, connection=None):
        from .auth import XeroIdentity

        return XeroIdentity(connection=connection)

    def api(self, connection):
        from .client import XeroApi

        return XeroApi(connection)

    def authorization_url(self, *, state: str, code_verifier: str, redirect_uri: str, options: dict) -> str:
        from .auth import authorization_url

        return authorization_url(state=state, code_verifier=code_verifier, redirect_uri=redirect_uri)

    def exchange_code(self, *, code: str, code_verifier: str, redirect_uri: str, options: dict) -> TokenSet:
        return self.identity().exchange_code(code=code, code_verifier=code_verifier, redirect_uri=redirect_uri)

    def list_tenants(self, access_token: str, *, options: dict) -> list[RemoteTenant]:
        return self.identity().tenants(access_token)

    def refresh_tokens(self, connection) -> TokenSet:
        return self.identity().refresh(connection.refresh_token)

    def revoke(self, connection) -> None:
        """Disconnect this Xero organisation only (DELETE /connections/{id}). Revoking the refresh token would
        drop every organisation the Xero user granted, including other subsidiaries' connections."""
        self.api(connection).revoke()

    def revoke_grant(self, tokens: TokenSet) -> None:
        """POST /connect/revocation: the token set dies and with it every Xero connection it made."""
        if tokens.refresh_token:  # without offline_access there is only an access token, gone in 30 minutes
            self.identity().revoke(tokens.refresh_token)

    def revoke_tenant(self, tokens: TokenSet, tenant: RemoteTenant) -> None:
        """DELETE /connections/{id} of one organisation, with the grant's access token (refreshed if stale)."""
        from datetime import timedelta

        from django.utils import timezone

        if not tenant.connection_id:
            return
        identity = self.identity()
        access_token = tokens.access_token
        stale = tokens.expires_at is not None and tokens.expires_at <= timezone.now() + timedelta(seconds=60)
        if stale and tokens.refresh_token:  # a purged round trip is older than the token's 30 minutes
            access_token = identity.refresh(tokens.refresh_token).access_token
        identity.delete_connection(access_token, tenant.connection_id)

    def tenant_details(self, connection) -> dict:
        return _tenant_facts(self.api(connection).organisation())

    def pending_tenant_details(self, access_token: str, tenant: RemoteTenant, *, options: dict) -> dict:
        return _tenant_facts(self.identity().organisation(access_token, tenant.id))

    def is_sandbox(self) -> bool:
        return bool(settings.XERO_USES_SANDBOX)

    def clean_contact_id(self, value: str) -> str:
        """Xero's ContactID is a GUID (spec: format uuid); sent in any other form Xero refuses the whole request."""
        value = super().clean_contact_id(value)
        if not value:
            return ""
        try:
            return str(uuid.UUID(value))
        except ValueError:
            raise ValidationError(
                f"“{value[:40]}” is not a Xero contact id (Xero's ids are GUIDs, like "
                "0b5a3c5e-51c1-4b5c-9d3e-7f4c1a2b3c4d): pick the contact from the search."
            ) from None

    def initial_settings(self) -> dict:
        return {NUMBERING_SETTING: NUMBERING_APP}

    def setup_form(self, connection, *args, **kwargs):
        from .forms import XeroSetupForm

        return XeroSetupForm(connection, *args, **kwargs)

    def setup_missing(self, connection) -> list[str]:
        """A default revenue account, and a Xero tax type for every tax rate the subsidiary's invoices use."""
        from billing.models import TaxRate
        from integrations.models import MappingPurpose
        from integrations.selectors import used_tax_rate_ids

        missing = []
        if not (connection.settings or {}).get(DEFAULT_ACCOUNT_SETTING):
            missing.append("a default revenue account")
        mapped = connection.tax_rate_mappings.filter(purpose=MappingPurpose.SALES).exclude(remote_code="")
        mapped = mapped.values_list("tax_rate_id", flat=True)
        unmapped = TaxRate.objects.filter(
            organization_id=connection.organization_id, pk__in=used_tax_rate_ids(connection)
        ).exclude(pk__in=list(mapped))
        missing += [f"a Xero tax rate for “{rate}”" for rate in unmapped]
        return missing

    def mapper(self):
        from .mapping import MAPPER

        return MAPPER

    def refusal_action(self, messages: list[str], operation: str) -> str:
        from .refusals import refusal_action

        return refusal_action(messages, operation)


def _tenant_facts(organisation: dict) -> dict:
    """What we keep of GET /Organisation: the short code (deep links), base currency and country."""
    return {
        "short_code": str(organisation.get("ShortCode") or ""),
        "base_currency": str(organisation.get("BaseCurrency") or ""),
        "country": str(organisation.get("CountryCode") or ""),
    }
