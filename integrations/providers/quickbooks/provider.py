"""QuickBooks Online as the marketplace shows it, and how to authorise and talk to it."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError

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
from integrations.providers.oauth2 import OAuth2Provider

from .mapping import PDF_OURS, PDF_SETTING
from .payments import QUICKBOOKS_PAYMENT_FEED
from .setup import CUSTOM_NUMBERS, INVOICE_PROMPT, PICK_LISTS, SCHEMA

logger = logging.getLogger("integrations.quickbooks")


class QuickBooksProvider(OAuth2Provider):
    key = "quickbooks"
    name = "QuickBooks Online"
    description = (
        "Copy finalized invoices to QuickBooks Online with your items, and bring the payments recorded in "
        "QuickBooks back onto your invoices (also payments split over several invoices)."
    )
    logo = "integrations/quickbooks/logo.svg"
    auth_kind = OAUTH2
    capabilities = frozenset({COPY_INVOICE, SYNC_PAYMENTS})
    # 500 requests a minute per realm (Intuit "API throttling"); 10 concurrent.
    rate_limit = (500, 60)
    tenant_noun = "company"
    tenant_noun_plural = "companies"
    contact_noun = "customer"
    contact_noun_plural = "customers"
    pick_lists = PICK_LISTS
    poll_interval_setting = "QUICKBOOKS_POLL_INTERVAL_MINUTES"
    webhook_key_setting = "QUICKBOOKS_WEBHOOK_VERIFIER"
    payment_feed = QUICKBOOKS_PAYMENT_FEED
    # Access tokens live 60 minutes; the refresh token's value changes about daily and the old one dies at once
    # (no grace: a refresh whose answer was lost is never repeated, it is stored exactly as received).
    token_policy = TokenPolicy(
        refresh_margin=timedelta(seconds=60), rotates=True, rotation_grace=timedelta(0), refresh_after_401=True
    )
    client_id_setting = "QUICKBOOKS_CLIENT_ID"
    client_secret_setting = "QUICKBOOKS_CLIENT_SECRET"
    authorize_url_setting = "QUICKBOOKS_AUTHORIZE_URL"
    token_url_setting = "QUICKBOOKS_TOKEN_URL"
    revoke_url_setting = "QUICKBOOKS_REVOKE_URL"
    scopes_setting = "QUICKBOOKS_SCOPES"
    uses_pkce = False  # Intuit's authorize endpoint documents no PKCE; the state still binds the round trip

    def api(self, connection):
        from .client import QuickBooksApi

        return QuickBooksApi(connection)

    def allows_insecure_transport(self) -> bool:
        return bool(settings.QUICKBOOKS_USES_SANDBOX and settings.SANDBOX_PROVIDERS)

    def is_sandbox(self) -> bool:
        return bool(settings.QUICKBOOKS_USES_SANDBOX)

    # --- connecting ----------------------------------------------------------------------------------------------

    def complete_authorization(self, *, params, code_verifier, redirect_uri, options):
        """Intuit names the company only on the callback (`realmId`). Never trusted blindly: the new token must
        read that realm's CompanyInfo, whose name becomes the tenant's."""
        realm_id = str(params.get("realmId") or "").strip()
        if not realm_id or not realm_id.isdigit() or len(realm_id) > 30:
            raise IntegrationError("QuickBooks did not say which company was connected (no realmId): try again.")
        tokens, _ = super().complete_authorization(
            params=params,
            code_verifier=code_verifier,
            redirect_uri=redirect_uri,
            options={**options, "realm": realm_id},
        )
        try:
            info = self._company_info(tokens.access_token, realm_id)
        except IntegrationError:
            self._withdraw_quietly(tokens)  # a refused round trip keeps no grant at Intuit
            raise
        return tokens, [RemoteTenant(id=realm_id, name=str(info.get("CompanyName") or realm_id), extra={})]

    def list_tenants(self, access_token: str, *, options: dict) -> list[RemoteTenant]:
        return []  # the realm comes from the callback (complete_authorization)

    def _company_info(self, access_token: str, realm_id: str) -> dict:
        """GET /companyinfo/{realmId} with the new token, before any connection exists."""
        url = f"{_api_root(realm_id)}/companyinfo/{realm_id}"
        try:
            response = self.token_client().request(
                "GET",
                url,
                params={"minorversion": str(settings.QUICKBOOKS_MINOR_VERSION)},
                headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
            )
        except IntegrationError as exc:
            raise IntegrationError(
                "QuickBooks did not let this authorisation read the company it named: try again.",
                exc.provider_message,
            ) from None
        info = response.data.get("CompanyInfo") if isinstance(response.data, dict) else None
        # The realm is confirmed by this read succeeding with the new token (a token of another realm is refused);
        # CompanyInfo's own Id is not the realm id (Intuit answers "1").
        if not isinstance(info, dict):
            raise IntegrationError("QuickBooks did not confirm the company it named: try again.")
        return info

    def pending_tenant_details(self, access_token, tenant, *, options) -> dict:
        return {}

    def revoke_refresh_token(self, refresh_token: str) -> None:
        """Intuit's revoke endpoint takes JSON `{"token": …}` (Basic auth); revoking the refresh token
        disconnects the app from the company."""
        if not refresh_token:
            return
        client = self.token_client()
        client.request(
            "POST",
            self.endpoint("revoke", {}),
            json={"token": refresh_token},
            auth=client._client_auth(),
            headers={"Accept": "application/json"},
            idempotent=True,
            write=False,
        )

    def _withdraw_quietly(self, tokens: TokenSet) -> None:
        try:
            self.revoke_refresh_token(tokens.refresh_token)
        except IntegrationError as exc:
            logger.warning("quickbooks: refused round trip not revoked: %s", type(exc).__name__)

    def revoke(self, connection) -> None:
        self.revoke_refresh_token(connection.grant.refresh_token if connection.grant else "")

    def revoke_grant(self, tokens: TokenSet) -> None:
        self.revoke_refresh_token(tokens.refresh_token)

    def revoke_tenant(self, tokens: TokenSet, tenant: RemoteTenant) -> None:
        # One grant is one company in QuickBooks: withdrawing the tenant is withdrawing the grant.
        self.revoke_refresh_token(tokens.refresh_token)

    def refusal_action(self, messages: list[str], operation: str) -> str:
        from .refusals import refusal_action

        return refusal_action(messages, operation)

    def clean_contact_id(self, value: str) -> str:
        """A QuickBooks customer Id is a number ("58"): anything else would be refused with the whole invoice."""
        value = super().clean_contact_id(value)
        if value and not value.isdigit():
            raise ValidationError(
                f"“{value[:40]}” is not a QuickBooks customer id (QuickBooks' ids are numbers, like 58): pick the "
                "customer from the search."
            )
        return value

    # --- setup and export ----------------------------------------------------------------------------------------

    def tenant_details(self, connection) -> dict:
        api = self.api(connection)
        info, preferences = api.company_info(), api.preferences()
        currency = ((preferences.get("CurrencyPrefs") or {}).get("HomeCurrency") or {}).get("value", "")
        return {
            "company_name": str(info.get("CompanyName") or ""),
            "country": str(info.get("Country") or ""),
            "base_currency": str(currency or ""),
            CUSTOM_NUMBERS: bool((preferences.get("SalesFormsPrefs") or {}).get("CustomTxnNumbers")),
        }

    def initial_settings(self) -> dict:
        return {NUMBERING_SETTING: NUMBERING_APP, PDF_SETTING: PDF_OURS}

    def setup_schema(self):
        return SCHEMA

    def copy_prompt(self, kind: str = INVOICE):
        return INVOICE_PROMPT if kind == INVOICE else None

    def mapper(self):
        from .mapping import MAPPER

        return MAPPER

    # --- webhooks --------------------------------------------------------------------------------------------

    def verify_webhook(self, headers, body: bytes) -> bool:
        from .webhooks import verify

        return verify(headers, body, self.webhook_key())

    def parse_webhook(self, body: bytes):
        from .webhooks import parse

        return parse(body)


def _api_root(realm_id: str) -> str:
    return f"{settings.QUICKBOOKS_API_URL.rstrip('/')}/company/{realm_id}"
