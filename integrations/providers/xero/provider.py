"""Xero as the marketplace shows it, and how to authorise and talk to it."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError

from billing.choices import Plan
from integrations.document_kinds import BILL, INVOICE, PURCHASE_ORDER
from integrations.providers.base import (
    COPY_INVOICE,
    EXPORT_EXPENSES,
    NUMBERING_APP,
    NUMBERING_SETTING,
    OAUTH2,
    PURCHASE_ORDERS,
    SYNC_PAYMENTS,
    RemoteTenant,
    TokenPolicy,
    TokenSet,
)
from integrations.providers.oauth2 import OAuth2Provider

from .payments import XERO_PAYMENT_FEED
from .setup import BILL_PROMPT, INVOICE_PROMPT, PICK_LISTS, PURCHASE_ORDER_PROMPT, SCHEMA


class XeroProvider(OAuth2Provider):
    key = "xero"
    name = "Xero"
    description = (
        "Copy finalized invoices to Xero as approved sales invoices, send approved expenses as bills and purchase "
        "orders as Xero purchase orders, with your accounts and tax types, and bring the payments recorded in Xero "
        "back onto your invoices and expenses."
    )
    logo = "integrations/xero/logo.svg"
    auth_kind = OAUTH2
    capabilities = frozenset({COPY_INVOICE, SYNC_PAYMENTS, EXPORT_EXPENSES, PURCHASE_ORDERS})
    # Bills need Professional (or Ultimate); purchase orders need no plan beyond Xero's own.
    capability_plans = {EXPORT_EXPENSES: Plan.PROFESSIONAL}
    required_settings = ("XERO_CLIENT_ID", "XERO_CLIENT_SECRET")
    rate_limit = (60, 60)  # per tenant: 60 calls a minute (developer.xero.com/documentation/oauth2/limits)
    tenant_noun = "organisation"
    tenant_noun_plural = "organisations"
    pick_lists = PICK_LISTS
    bulk_copy_max = 100  # two PUT /Invoices of 50 (and two PUT /Contacts of 50): 4 of the 60 calls a minute
    # Webhooks and scheduling: Xero's reads are not metered, so it keeps the global poll interval; its webhooks
    # (INVOICE updates) make a connection due at once.
    poll_interval_setting = "PAYMENTS_SYNC_INTERVAL_MINUTES"
    webhook_key_setting = "XERO_WEBHOOK_KEY"
    payment_feed = XERO_PAYMENT_FEED
    # Access tokens live 30 minutes; every refresh rotates the refresh token, the old one stays usable for 30
    # minutes (developer.xero.com/faq/oauth2); a 401 means the token died early: refresh and retry once.
    token_policy = TokenPolicy(
        refresh_margin=timedelta(seconds=60),
        rotates=True,
        rotation_grace=timedelta(minutes=30),
        refresh_after_401=True,
    )
    client_id_setting = "XERO_CLIENT_ID"
    client_secret_setting = "XERO_CLIENT_SECRET"
    authorize_url_setting = "XERO_AUTHORIZE_URL"
    token_url_setting = "XERO_TOKEN_URL"
    revoke_url_setting = "XERO_REVOKE_URL"
    scopes_setting = "XERO_SCOPES"

    def identity(self, connection=None):
        from .auth import XeroIdentity

        return XeroIdentity(self, connection=connection)

    token_client = identity

    def api(self, connection):
        from .client import XeroApi

        return XeroApi(connection)

    def allows_insecure_transport(self) -> bool:
        # The built-in sandbox runs on plain http; production forces both settings off.
        return bool(settings.XERO_USES_SANDBOX and settings.SANDBOX_PROVIDERS)

    def list_tenants(self, access_token: str, *, options: dict) -> list[RemoteTenant]:
        return self.identity().tenants(access_token)

    def revoke(self, connection) -> None:
        """Disconnect this Xero organisation only (DELETE /connections/{id}). Revoking the refresh token would
        drop every organisation the Xero user granted, including other subsidiaries' connections."""
        self.api(connection).revoke()

    def revoke_tenant(self, tokens: TokenSet, tenant: RemoteTenant) -> None:
        """DELETE /connections/{id} of one organisation, with the grant's access token (refreshed if stale)."""
        from django.utils import timezone

        if not tenant.connection_id:
            return
        access_token = tokens.access_token
        margin = self.token_policy.refresh_margin
        stale = tokens.expires_at is not None and tokens.expires_at <= timezone.now() + margin
        if stale and tokens.refresh_token:  # a purged round trip is older than the token's 30 minutes
            access_token = self.refresh_with(tokens.refresh_token, options={}).access_token
        self.identity().delete_connection(access_token, tenant.connection_id)

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

    def setup_schema(self):
        return SCHEMA

    def copy_prompt(self, kind: str = INVOICE):
        return {INVOICE: INVOICE_PROMPT, BILL: BILL_PROMPT, PURCHASE_ORDER: PURCHASE_ORDER_PROMPT}.get(kind)

    def exports_enabled(self, connection, kind: str) -> bool:
        """Bills only while the setup's "Send expenses to Xero" is on; invoices and purchase orders always."""
        from .mapping import EXPORT_EXPENSES_SETTING

        return kind != BILL or bool((connection.settings or {}).get(EXPORT_EXPENSES_SETTING))

    def mapper(self):
        from .mapping import MAPPER

        return MAPPER

    def refusal_action(self, messages: list[str], operation: str) -> str:
        from .refusals import refusal_action

        return refusal_action(messages, operation)

    # Webhooks and scheduling

    def verify_webhook(self, headers, body: bytes) -> bool:
        from .webhooks import verify

        return verify(headers, body, self.webhook_key())

    def parse_webhook(self, body: bytes):
        from .webhooks import parse

        return parse(body)


def _tenant_facts(organisation: dict) -> dict:
    """What we keep of GET /Organisation: the short code (deep links), base currency and country."""
    return {
        "short_code": str(organisation.get("ShortCode") or ""),
        "base_currency": str(organisation.get("BaseCurrency") or ""),
        "country": str(organisation.get("CountryCode") or ""),
    }
