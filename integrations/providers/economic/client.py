"""Visma e-conomic REST API for one connection (one agreement).

Every call carries `X-AppSecretToken` (our app, from settings) and `X-AgreementGrantToken` (the agreement's grant,
stored encrypted on the connection's Grant); there is no token to refresh, and a 401 means the agreement revoked
the grant (the connection needs reconnecting). Writes carry the attempt's key as `Idempotency-Key`. Collections
page with `skippages`/`pagesize` (at most 1000 a page) and filter with `filter=<property>$<op>:<value>` (filters.py).
Reference: restdocs.e-conomic.com (sections Customers, Layouts, Payment terms, VAT zones, Products, Customer
groups, Invoices, Self; "Pagination", "Filtering", "Annotated errors"). Remainders: remainders.py.
"""

from __future__ import annotations

import hashlib

from django.conf import settings

from integrations.connection_state import connection_mark_needs_reconnect
from integrations.exceptions import IntegrationError, ProviderValidationError, TerminalError, TransientError
from integrations.http import ApiClient
from integrations.http_wire import IdempotencyStyle
from integrations.providers.base import INVOICE, AccountingApi, RemoteChoice, RemoteContact
from integrations.tokens import connection_access_token

from . import errors
from .filters import equals, escape
from .invoices import InvoiceMixin, draft_id
from .mapping import CUSTOMER_GROUP_SETTING, PAYMENT_TERMS_SETTING, VAT_ZONE_SETTING, customer_payload
from .payment_dates import PaymentDatesMixin
from .remainders import RemainderMixin

PAGE_SIZE = 1000  # e-conomic's maxPageSizeAllowed
SEARCH_RESULTS = 50


class EconomicApi(InvoiceMixin, RemainderMixin, PaymentDatesMixin, ApiClient, AccountingApi):
    service_name = "e-conomic"
    # The restdocs' TL;DR: an optional Idempotency-Key on every non-GET request (repeated, it is answered, not
    # executed again). Its maximum length is not documented: longer keys are sent as a digest of 64 characters.
    idempotency = IdempotencyStyle.header("Idempotency-Key", 64)
    export_kinds = frozenset({INVOICE})

    def __init__(self, connection=None, *, grant_token: str = "", **kwargs):
        super().__init__(connection=connection, **kwargs)
        self._grant_token = grant_token  # before a connection exists (the connect flow's GET /self)

    @property
    def base_url(self) -> str:
        return settings.ECONOMIC_API_URL.rstrip("/")

    # --- ApiClient hooks -------------------------------------------------------------------------------------

    def auth_headers(self) -> dict:
        token = self._grant_token or connection_access_token(self.connection)
        return {
            "X-AppSecretToken": settings.ECONOMIC_APP_SECRET_TOKEN,
            "X-AgreementGrantToken": token,
            "Accept": "application/json",
        }

    def request(self, method, path, **kwargs):
        try:
            return super().request(method, path, **kwargs)
        except TerminalError as exc:
            if self.connection is not None and self.connection.pk is not None:
                connection_mark_needs_reconnect(self.connection, exc)
            raise

    def error_messages(self, response) -> list[str]:
        error = errors.error_of(response)
        return error.messages if error else []

    def error_for(self, response) -> IntegrationError:
        status = response.status_code
        error = errors.error_of(response)
        messages = error.messages if error else []
        words = "; ".join(messages)
        if status == 401:
            return TerminalError(
                "e-conomic no longer accepts this agreement's grant (the app was removed from the agreement or the "
                "grant revoked): reconnect it.",
                words,
                401,
            )
        if status == 403:  # the app's role does not reach this: reconnecting changes nothing
            return IntegrationError(
                "e-conomic refused this for the app's role (it needs the SuperUser role to read customers and "
                "products and to book invoices).",
                words,
                403,
            )
        if status == 400:
            found = ProviderValidationError("e-conomic refused the data.", messages=messages or [f"HTTP {status}"])
        else:
            found = super().error_for(response)
        found.codes = set(error.codes) if error else set()
        found.log_id = error.log_id if error else ""
        return found

    def remote_id_from(self, data) -> str:
        if isinstance(data, dict):
            if data.get("bookedInvoiceNumber"):
                return str(data["bookedInvoiceNumber"])
            if data.get("draftInvoiceNumber"):
                return draft_id(data["draftInvoiceNumber"])
            if data.get("customerNumber"):
                return str(data["customerNumber"])
        return ""

    # --- helpers ---------------------------------------------------------------------------------------------

    def collection(self, path: str, *, filter: str = "", limit: int | None = None, sort: str = "") -> list[dict]:
        """Every item of a collection, a page of 1000 at a time (skippages), or the first `limit`."""
        items: list[dict] = []
        page = 0
        size = min(PAGE_SIZE, limit) if limit else PAGE_SIZE
        while True:
            params = {"skippages": str(page), "pagesize": str(size)}
            if filter:
                params["filter"] = filter
            if sort:
                params["sort"] = sort
            data = self.request("GET", path, params=params).data
            if not isinstance(data, dict) or not isinstance(data.get("collection"), list):
                raise TransientError(f"e-conomic's answer to {path} has no collection.")
            items += [item for item in data["collection"] if isinstance(item, dict)]
            if limit and len(items) >= limit:
                return items[:limit]
            if not (data.get("pagination") or {}).get("nextPage") or not data["collection"]:
                return items
            page += 1

    def _write(self, method: str, path: str, body: dict, *, idempotency_key: str, action: str) -> dict:
        response = self.request(method, path, json=body, idempotency_key=idempotency_key, action=action)
        return response.data if isinstance(response.data, dict) else {}

    @staticmethod
    def _contact(item: dict) -> RemoteContact:
        return RemoteContact(
            id=str(item["customerNumber"]), name=str(item.get("name") or ""), email=item.get("email", "")
        )

    # --- the agreement ---------------------------------------------------------------------------------------

    def agreement(self) -> dict:
        """GET /self: the agreement number, its company, base currency and the app it granted."""
        data = self.request("GET", "self").data
        if not isinstance(data, dict) or not data.get("agreementNumber"):
            raise TransientError("e-conomic's answer to /self names no agreement.")
        return data

    # --- customers -------------------------------------------------------------------------------------------

    def search_contacts(self, term: str) -> list[RemoteContact]:
        """Customers whose name contains the term (`$like` without wildcards is "contains"; case-insensitive)."""
        term = (term or "").strip()
        if not term:
            return []
        items = self.collection("customers", filter=f"name$like:{escape(term)}", limit=SEARCH_RESULTS, sort="name")
        return [self._contact(item) for item in items if item.get("customerNumber") and not item.get("barred")]

    def customer_by_name(self, name: str) -> dict | None:
        items = self.collection("customers", filter=equals("name", name), limit=10)
        return next((item for item in items if str(item.get("name", "")).lower() == name.lower()), None)

    def create_contact(self, company) -> RemoteContact:
        """POST /customers with the copy prompt's (else the setup's) customer group, VAT zone and payment terms and
        the company's currency; e-conomic numbers it. A customer of that name already there is the one we want
        (e-conomic allows duplicates, so we look first rather than make a second)."""
        existing = self.customer_by_name(company.name)
        if existing is not None:
            return self._contact(existing)
        chosen = {**(self.connection.settings or {}), **{k: v for k, v in self.copy_options.items() if v}}
        missing = [
            label
            for key, label in (
                (CUSTOMER_GROUP_SETTING, "customer group"),
                (VAT_ZONE_SETTING, "VAT zone"),
                (PAYMENT_TERMS_SETTING, "payment terms"),
            )
            if not chosen.get(key)
        ]
        if missing:
            raise ProviderValidationError(
                "e-conomic needs more to create the customer.",
                messages=[f"Choose the new customer's {', '.join(missing)} in the e-conomic setup or copy prompt."],
            )
        body = customer_payload(
            company,
            name=company.name,
            currency=company.default_currency,
            group=str(chosen[CUSTOMER_GROUP_SETTING]),
            vat_zone=str(chosen[VAT_ZONE_SETTING]),
            payment_terms=str(chosen[PAYMENT_TERMS_SETTING]),
        )
        # One key per company and name (a header must stay ASCII): the same customer asked for again is answered.
        name_key = hashlib.sha256(company.name.encode()).hexdigest()[:16]
        data = self._write(
            "POST", "customers", body, idempotency_key=f"customer-{company.pk}-{name_key}", action="contact.create"
        )
        if not data.get("customerNumber"):
            raise TransientError("e-conomic's answer names no customer.")
        return self._contact(data)

    # --- pick lists ------------------------------------------------------------------------------------------

    def list_layouts(self) -> list[RemoteChoice]:
        return [
            RemoteChoice(code=str(item["layoutNumber"]), name=str(item.get("name") or item["layoutNumber"]))
            for item in self.collection("layouts")
            if item.get("layoutNumber") and not item.get("deleted")
        ]

    def list_payment_terms(self) -> list[RemoteChoice]:
        return [
            RemoteChoice(
                code=str(item["paymentTermsNumber"]),
                name=str(item.get("name") or item["paymentTermsNumber"]),
                extra={"type": str(item.get("paymentTermsType") or ""), "days": item.get("daysOfCredit")},
            )
            for item in self.collection("payment-terms")
            if item.get("paymentTermsNumber")
        ]

    def list_vat_zones(self) -> list[RemoteChoice]:
        return [
            RemoteChoice(code=str(item["vatZoneNumber"]), name=str(item.get("name") or item["vatZoneNumber"]))
            for item in self.collection("vat-zones")
            if item.get("vatZoneNumber") and item.get("enabledForCustomer")
        ]

    def list_customer_groups(self) -> list[RemoteChoice]:
        return [
            RemoteChoice(code=str(item["customerGroupNumber"]), name=str(item.get("name") or ""))
            for item in self.collection("customer-groups")
            if item.get("customerGroupNumber")
        ]

    def list_products(self) -> list[RemoteChoice]:
        """Products that can be sold (barred ones are left out), with the group that decides their accounts and
        VAT."""
        return [
            RemoteChoice(
                code=str(item["productNumber"]),
                name=str(item.get("name") or item["productNumber"]),
                extra={"group": str((item.get("productGroup") or {}).get("name") or "")},
            )
            for item in self.collection("products")
            if item.get("productNumber") and not item.get("barred")
        ]

    # The contract's generic names: e-conomic has products (items), VAT zones (not tax rates per line) and no
    # revenue account per line (the product group's sales account books it).
    list_items = list_products
    list_tax_types = list_vat_zones
    list_accounts = list_layouts

    # --- disconnect ------------------------------------------------------------------------------------------

    def revoke(self) -> None:
        """e-conomic documents no call that removes an app from an agreement: the grant token is wiped on our side,
        and the agreement's administrator removes the app in e-conomic (Settings → Apps) if they wish."""
