"""Exact Online as the marketplace shows it, and how to authorise and talk to it.

One consent (an Exact user, on one locale host) grants every division of that user: the choose page connects
the ticked ones, each a connection on the one grant, which remembers the locale through its connections'
`region` (the host of login, token refresh and API alike).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django import forms
from django.conf import settings

from billing.choices import Plan
from integrations.document_kinds import INVOICE
from integrations.exceptions import IntegrationError
from integrations.providers.base import (
    COPY_INVOICE,
    NUMBERING_APP,
    NUMBERING_SETTING,
    OAUTH2,
    SYNC_PAYMENTS,
    RemoteTenant,
    TokenPolicy,
    TokenSet,
)
from integrations.providers.oauth2 import POST, OAuth2Provider

from .client import host_for
from .mapping import LEDGER_SETTING, MANUAL_LEDGER_SETTING
from .payments import EXACT_PAYMENT_FEED
from .setup import INVOICE_PROMPT, LOCALES, PICK_LISTS, SCHEMA, has_no_vat_codes

logger = logging.getLogger("integrations.exact")

WEBHOOKS_SETTING = "webhooks"  # tenant details: what became of the webhook subscription


class ExactProvider(OAuth2Provider):
    key = "exact"
    name = "Exact Online"
    description = (
        "Copy finalized invoices to Exact Online as sales entries with your journal, ledgers and VAT codes, and "
        "bring the payments registered in Exact back onto your invoices (Belgium, Netherlands, Germany)."
    )
    logo = "integrations/exact/logo.svg"
    auth_kind = OAUTH2
    capabilities = frozenset({COPY_INVOICE, SYNC_PAYMENTS})
    minimum_plan = Plan.PROFESSIONAL  # Professional and Ultimate only
    # 60 calls a minute (and 5,000 a day) per app and division; the client paces on the X-RateLimit-* headers.
    rate_limit = (60, 60)
    tenant_noun = "division"
    tenant_noun_plural = "divisions"
    pick_lists = PICK_LISTS
    poll_interval_setting = "EXACT_POLL_INTERVAL_MINUTES"
    webhook_key_setting = "EXACT_WEBHOOK_SECRET"
    webhook_validation_ping = True
    payment_feed = EXACT_PAYMENT_FEED
    # Access tokens live 10 minutes. Exact refuses a refresh before the token is 9 min 30 s old ("Access token not
    # expired", and counts the error) and allows about 200 token calls a day per user; each refresh rotates the
    # refresh token with no grace (an old one is "Old refresh token used": only a new consent helps), so a
    # refresh whose answer was lost is never repeated.
    token_policy = TokenPolicy(
        refresh_margin=timedelta(seconds=30),
        minimum_age=timedelta(minutes=9, seconds=30),
        rotates=True,
        rotation_grace=timedelta(0),
        daily_token_calls=200,
        refresh_after_401=True,
    )
    client_id_setting = "EXACT_CLIENT_ID"
    client_secret_setting = "EXACT_CLIENT_SECRET"
    client_auth = POST  # Exact takes client_id and client_secret in the token request's form body
    uses_pkce = False  # Exact documents no PKCE; the state still binds the round trip

    # --- hosts -------------------------------------------------------------------------------------------------

    def endpoint(self, name: str, options: dict) -> str:
        host = host_for(str((options or {}).get("region") or ""))
        paths = {"authorize": "/api/oauth2/auth", "token": "/api/oauth2/token"}
        if name not in paths:
            raise IntegrationError("Exact Online has no token revocation endpoint.")
        return host + paths[name]

    def token_client(self, connection=None):
        from .auth import ExactTokenClient

        return ExactTokenClient(self, connection=connection)

    def allows_insecure_transport(self) -> bool:
        return bool(settings.EXACT_USES_SANDBOX and settings.SANDBOX_PROVIDERS)

    def is_sandbox(self) -> bool:
        return bool(settings.EXACT_USES_SANDBOX)

    def connect_fields(self) -> dict:
        return {
            "region": forms.ChoiceField(
                label="Locale",
                choices=list(LOCALES.items()),
                initial="nl",
                help_text="Where your Exact Online account lives: start.exactonline.be, .nl or .de.",
            )
        }

    # --- connecting ----------------------------------------------------------------------------------------------

    def _read(self, access_token: str, options: dict, path: str, params: dict) -> list[dict]:
        from . import odata

        response = self.token_client().request(
            "GET",
            f"{host_for(str(options.get('region') or ''))}/api/v1/{path}",
            params=params,
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
        )
        return odata.results(response.data)[0]

    def list_tenants(self, access_token: str, *, options: dict) -> list[RemoteTenant]:
        """current/Me names the user's current division; system/Divisions (asked in it) lists all of theirs."""
        me = self._read(access_token, options, "current/Me", {"$select": "CurrentDivision,UserID,FullName"})
        current = me[0].get("CurrentDivision") if me else None
        if not current:
            raise IntegrationError("Exact Online did not name a current division for this user: try again.")
        rows = self._read(
            access_token,
            options,
            f"{current}/system/Divisions",
            {"$select": "Code,Description,Currency,Country,Status", "$filter": "Status eq 1"},
        )
        return [
            RemoteTenant(
                id=str(row["Code"]),
                name=f"{str(row.get('Description') or '').strip() or row['Code']} ({row['Code']})",
                extra={"currency": str(row.get("Currency") or "").strip(), "current": row["Code"] == current},
            )
            for row in rows
            if row.get("Code")
        ]

    def pending_tenant_details(self, access_token, tenant, *, options) -> dict:
        currency = (tenant.extra or {}).get("currency", "")
        return {"base_currency": currency} if currency else {}

    def revoke(self, connection) -> None:
        """Exact documents no revocation endpoint: disconnecting wipes the credentials here (the user can remove
        the app under their Exact account's connected apps)."""
        logger.info("exact: connection %s disconnected (no revocation endpoint at Exact)", connection.pk)

    def revoke_grant(self, tokens: TokenSet) -> None:
        logger.info("exact: an unused consent is dropped (no revocation endpoint at Exact)")

    def revoke_tenant(self, tokens: TokenSet, tenant: RemoteTenant) -> None:
        self.revoke_grant(tokens)

    # --- setup and export ----------------------------------------------------------------------------------------

    def api(self, connection):
        from .client import ExactApi

        return ExactApi(connection)

    def tenant_details(self, connection) -> dict:
        """The division's currency and country, and (with a public SITE_URL and a webhook secret) the payment
        webhook subscription, made once."""
        from .webhooks import site_is_public, subscribe_once

        api = self.api(connection)
        rows = api.rows(
            "system/Divisions",
            select="Code,Description,Currency,Country",
            filter=f"Code eq {int(connection.remote_tenant_id)}",
        )
        division = rows[0] if rows else {}
        details = {
            "division_name": str(division.get("Description") or "").strip(),
            "base_currency": str(division.get("Currency") or "").strip(),
            "country": str(division.get("Country") or "").strip(),
            WEBHOOKS_SETTING: "off",
        }
        if self.webhooks_on() and site_is_public():
            try:
                details[WEBHOOKS_SETTING] = subscribe_once(api)
            except IntegrationError as exc:  # polling covers it: the setup page says webhooks are off
                logger.warning("exact: webhook subscription for connection %s failed: %s", connection.pk, exc)
                details[WEBHOOKS_SETTING] = "failed"
        return details

    def initial_settings(self) -> dict:
        return {NUMBERING_SETTING: NUMBERING_APP}

    def setup_schema(self):
        return SCHEMA

    def copy_prompt(self, kind: str = INVOICE):
        return INVOICE_PROMPT if kind == INVOICE else None

    def setup_missing(self, connection) -> list[str]:
        from integrations.setup_schema import SetupContext

        context = SetupContext(connection, self)
        missing = super().setup_missing(connection)
        saved = connection.settings or {}
        if not saved.get(MANUAL_LEDGER_SETTING) and not saved.get(LEDGER_SETTING):
            missing.append("a default ledger (or “Manually select ledger on invoice”)")
        if has_no_vat_codes(context):
            missing.append("VAT codes in Exact (this division has none: set them up in Exact first)")
        return missing

    def mapper(self):
        from .mapping import MAPPER

        return MAPPER

    def clean_contact_id(self, value: str) -> str:
        """An Exact account ID is a GUID: anything else would be refused with the whole entry."""
        import uuid

        from django.core.exceptions import ValidationError

        value = super().clean_contact_id(value)
        if value:
            try:
                return str(uuid.UUID(value))
            except ValueError:
                raise ValidationError(
                    f"“{value[:40]}” is not an Exact account ID (a GUID): pick the customer from the search."
                ) from None
        return value

    # --- webhooks --------------------------------------------------------------------------------------------

    def verify_webhook(self, headers, body: bytes) -> bool:
        from .webhooks import verify

        return verify(headers, body, self.webhook_key())

    def parse_webhook(self, body: bytes):
        from .webhooks import parse

        return parse(body)
