"""Visma e-conomic as the marketplace shows it, and how to connect to it: not OAuth, but an installation URL where
an admin adds our app to an agreement, and the agreement grant token e-conomic hands back."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ValidationError

from integrations.document_kinds import INVOICE
from integrations.exceptions import IntegrationError, TerminalError
from integrations.providers.base import (
    COPY_INVOICE,
    FEED_REMAINDER,
    NUMBERING_APP,
    NUMBERING_SETTING,
    SYNC_PAYMENTS,
    TOKEN,
    PaymentFeed,
    Provider,
    RemoteTenant,
    TokenPolicy,
    TokenSet,
)

from .mapping import BOOKING_DRAFT, BOOKING_SETTING, PDF_OURS, PDF_SETTING
from .setup import INVOICE_PROMPT, PICK_LISTS, SCHEMA

GRANT_TOKEN_MAX = 200  # e-conomic's grant tokens are ~40 characters; anything far longer is not one

ECONOMIC_PAYMENT_FEED = PaymentFeed(
    kind=FEED_REMAINDER,
    edits=False,
    splits=False,
    # One $in: filter takes 200 invoice numbers: a run asks about 200 open copies in one call.
    batch_size=200,
    note="e-conomic shows only what is still owed on a booked invoice: payments are derived from its changes.",
)


class EconomicProvider(Provider):
    key = "economic"
    name = "e-conomic"
    description = (
        "Copy finalized invoices to Visma e-conomic as drafts (or booked at once) with your layouts, payment terms, "
        "VAT zones and products, and follow what is still owed there, partial payments included."
    )
    logo = "integrations/economic/logo.svg"
    auth_kind = TOKEN
    capabilities = frozenset({COPY_INVOICE, SYNC_PAYMENTS})
    required_settings = ("ECONOMIC_APP_PUBLIC_TOKEN", "ECONOMIC_APP_SECRET_TOKEN")
    # Fair use: 50,000 calls per agreement in 24 hours (e-conomic.com/developer "Fair use policy"); no per-minute
    # limit is documented.
    rate_limit = (50_000, 24 * 60 * 60)
    tenant_noun = "agreement"
    tenant_noun_plural = "agreements"
    pick_lists = PICK_LISTS
    payment_feed = ECONOMIC_PAYMENT_FEED
    # The grant token never expires and is never refreshed; a revoked grant answers 401 (TerminalError).
    token_policy = TokenPolicy(rotates=False, rotation_grace=timedelta(0), refresh_after_401=False)

    def api(self, connection):
        from .client import EconomicApi

        return EconomicApi(connection)

    def is_sandbox(self) -> bool:
        return bool(settings.ECONOMIC_USES_SANDBOX)

    # --- connecting ------------------------------------------------------------------------------------------

    def authorization_url(self, *, state, code_verifier, redirect_uri, options) -> str:
        """The installation page: the admin adds the app to an agreement, and e-conomic sends the grant token to
        `redirectUrl`, which carries our state (the round trip is bound to it like any other)."""
        query = urlencode(
            {
                "appPublicToken": settings.ECONOMIC_APP_PUBLIC_TOKEN,
                "redirectUrl": f"{redirect_uri}?{urlencode({'state': state})}",
            }
        )
        return f"{settings.ECONOMIC_INSTALL_URL}?{query}"

    def complete_authorization(self, *, params, code_verifier, redirect_uri, options):
        """The agreement grant token arrives as `token`; GET /self with it names the agreement and its company.
        A grant given to another app (its public token is not ours) is refused."""
        from .client import EconomicApi

        token = str(params.get("token") or "").strip()
        if not token or len(token) > GRANT_TOKEN_MAX or not token.isprintable() or " " in token:
            raise IntegrationError("e-conomic sent no agreement grant token: add the app to the agreement again.")
        try:
            agreement = EconomicApi(grant_token=token).agreement()
        except TerminalError as exc:
            raise IntegrationError(
                "e-conomic did not accept the agreement grant it sent: try again.", exc.provider_message
            ) from None
        public = str((agreement.get("application") or {}).get("appPublicToken") or "")
        if public and public != settings.ECONOMIC_APP_PUBLIC_TOKEN:
            raise IntegrationError("That agreement grant belongs to another e-conomic app: nothing was connected.")
        return TokenSet(token, "", None), [agreement_tenant(agreement)]

    def list_tenants(self, access_token: str, *, options: dict) -> list[RemoteTenant]:
        return []  # the agreement comes with the callback's token (complete_authorization)

    # Disconnecting: e-conomic documents no call that removes an app from an agreement (the agreement's
    # administrator does it in e-conomic); disconnecting wipes the grant token on our side.

    def revoke(self, connection) -> None:
        self.api(connection).revoke()

    def revoke_grant(self, tokens: TokenSet) -> None:
        """Nothing to call at e-conomic: a grant no connection holds is simply not stored."""

    def revoke_tenant(self, tokens: TokenSet, tenant: RemoteTenant) -> None:
        """One grant is one agreement: nothing to withdraw separately."""

    def clean_contact_id(self, value: str) -> str:
        """An e-conomic customer number is a whole number (at most 9 digits)."""
        value = super().clean_contact_id(value)
        if value and (not value.isdigit() or len(value) > 9):
            raise ValidationError(
                f"“{value[:40]}” is not an e-conomic customer number (a whole number, like 1042): pick the customer "
                "from the search."
            )
        return value

    # --- setup and export ------------------------------------------------------------------------------------

    def tenant_details(self, connection) -> dict:
        agreement = self.api(connection).agreement()
        return agreement_details(agreement)

    def initial_settings(self) -> dict:
        return {NUMBERING_SETTING: NUMBERING_APP, PDF_SETTING: PDF_OURS, BOOKING_SETTING: BOOKING_DRAFT}

    def setup_schema(self):
        return SCHEMA

    def copy_prompt(self, kind: str = INVOICE):
        return INVOICE_PROMPT if kind == INVOICE else None

    def mapper(self):
        from .mapping import MAPPER

        return MAPPER

    def refusal_action(self, messages: list[str], operation: str) -> str:
        words = " ".join(messages).lower()
        if operation == "update" and ("is booked" in words or "booked or deleted" in words):
            return (
                "A booked e-conomic invoice cannot change: copy it again with “Create new” (a new e-conomic invoice), "
                "or credit the booked one in e-conomic."
            )
        if operation == "void" and "is booked" in words:
            return "Credit the booked invoice in e-conomic with a credit note."
        return ""


def agreement_details(agreement: dict) -> dict:
    company = agreement.get("company") or {}
    return {
        "agreement_number": str(agreement.get("agreementNumber") or ""),
        "company_name": str(company.get("name") or ""),
        "base_currency": str((agreement.get("settings") or {}).get("baseCurrency") or ""),
    }


def agreement_tenant(agreement: dict) -> RemoteTenant:
    details = agreement_details(agreement)
    number = details["agreement_number"]
    name = details["company_name"] or f"Agreement {number}"
    return RemoteTenant(id=number, name=f"{name} (agreement {number})", extra=details)
