"""Exact Online REST API (OData v2) for one connection: one division on the connection's locale host.

Every call goes to `<locale host>/api/v1/<division>/<service>/<entity>` with `Accept: application/json` (the
default would be Atom XML) and always a `$select` (Exact refuses or slows down without one; never `*`).
Reference: start.exactonline.nl/docs/HlpRestAPIResources.aspx — crm/Accounts, financial/GLAccounts,
financial/Journals, vat/VATCodes, logistics/Items, salesentry/SalesEntries, cashflow/Receivables,
financialtransaction/TransactionLines, sync/Cashflow/PaymentTerms, sync/Financial/TransactionLines, sync/Deleted,
webhooks/WebhookSubscriptions, current/Me, system/Divisions.

No idempotency key exists at Exact: a write is never retried blindly (the base's default); an ambiguous create
is looked up by its YourRef before it is tried again (mapping.lookup_keys, find_document). Limits: 60 calls a
minute and 5,000 a day per app and division, announced on every answer (X-RateLimit-*): `rate_windows` feeds
the base's pacing, so a client waits before the limit instead of running into a 429. Errors: "no more than 10
errors per API key, per user, per company, per endpoint, per hour" (400, 401, 403, 404), else the key is blocked
for an hour: `error_budget` stops calling an endpoint with 2 of them left (integrations/error_budget.py).
"""

from __future__ import annotations

from django.conf import settings

from integrations.connection_state import connection_mark_needs_reconnect
from integrations.error_budget import ErrorBudget
from integrations.exceptions import IntegrationError, ProviderValidationError, TerminalError, TransientError
from integrations.http import ApiClient
from integrations.providers.base import INVOICE, AccountingApi, RemoteChoice, RemoteContact, RemoteInvoice
from integrations.tokens import connection_access_token, connection_reauthorize

from . import odata
from .feed import PaymentFeedMixin
from .mapping import account_payload, copy_number

THROTTLE_DEFAULT_SECONDS = 60  # picqer README: "If you've hit the minutely limit, try again after 60 seconds"
SEARCH_MAX = 50
ENTRY_FIELDS = "EntryID,EntryNumber,YourRef,AmountFC,VATAmountFC,Status,Currency,Journal,Customer"
ACCOUNT_FIELDS = "ID,Name,Email,Code"
PROCESSED = 50  # SalesEntries.Status: 20 open, 50 processed


def host_for(region: str) -> str:
    try:
        return settings.EXACT_BASE_URLS[region or "nl"].rstrip("/")
    except KeyError:
        raise IntegrationError(f"“{region}” is not an Exact Online locale this app knows.") from None


class ExactApi(PaymentFeedMixin, ApiClient, AccountingApi):
    service_name = "Exact Online"
    export_kinds = frozenset({INVOICE})
    pace_reserve = 1  # one call of each window kept in hand for a concurrent worker of the same division
    # Two errors kept in hand for calls of concurrent workers already on their way to the same endpoint.
    error_budget = ErrorBudget(errors=10, per_seconds=3600, statuses=frozenset({400, 401, 403, 404}), keep_in_hand=2)

    def __init__(self, connection, **kwargs):
        super().__init__(connection=connection, **kwargs)
        self._token = ""

    @property
    def host(self) -> str:
        return host_for(self.connection.region)

    @property
    def base_url(self) -> str:
        return f"{self.host}/api/v1/{self.connection.remote_tenant_id}"

    # --- ApiClient hooks -------------------------------------------------------------------------------------

    def auth_headers(self) -> dict:
        self._token = connection_access_token(self.connection)
        return {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}

    def reauthorize(self) -> bool:
        return connection_reauthorize(self.connection, self._token)

    def request(self, method, path, **kwargs):
        try:
            return super().request(method, path, **kwargs)
        except TerminalError as exc:
            connection_mark_needs_reconnect(self.connection, exc)
            raise

    def error_messages(self, response) -> list[str]:
        return odata.error_messages(response)

    def rate_windows(self, response):
        return odata.rate_windows(response.headers)

    def throttle_from(self, response) -> tuple[int | None, str]:
        """Wait until the window that ran out resets (minutely, else daily), else a minute."""
        now = self.clock()
        for window in odata.rate_windows(response.headers):
            if window.remaining <= 0 and window.resets_at > now:
                return max(1, int(window.resets_at - now) + 1), window.name
        retry_after, _ = super().throttle_from(response)
        return retry_after or THROTTLE_DEFAULT_SECONDS, ""

    def remote_id_from(self, data) -> str:
        try:
            row = odata.entity(data)
        except TransientError:
            return ""
        return str(row.get("EntryID") or row.get("ID") or "")

    # --- reading ---------------------------------------------------------------------------------------------

    def rows(self, path: str, *, select: str, filter: str = "", top: int | None = None, pages: int | None = None):
        """Every row of a collection, following `__next` ($skiptoken) links; at most `pages` pages."""
        params = {"$select": select}
        if filter:
            params["$filter"] = filter
        if top:
            params["$top"] = str(top)
        found: list[dict] = []
        url, count = path, 0
        while url:
            response = self.request("GET", url, params=params)
            batch, url = odata.results(response.data)
            found += batch
            params, count = None, count + 1  # the __next link carries the whole query
            if pages is not None and count >= pages:
                break
        return found

    # --- the user, divisions and lists -------------------------------------------------------------------------

    def divisions(self) -> list[dict]:
        """system/Divisions: every division of the user (hrm/Divisions is limited to one licence, picqer#229)."""
        return self.rows(
            "system/Divisions", select="Code,Description,Country,Currency,Status,Current", filter="Status eq 1"
        )

    def list_accounts(self) -> list[RemoteChoice]:
        """Revenue GL accounts (Type 110), not blocked; the ID (GUID) is what a sales entry line names."""
        rows = self.rows(
            "financial/GLAccounts",
            select="ID,Code,Description,Type,VATCode,IsBlocked",
            filter="Type eq 110 and IsBlocked eq false",
        )
        return [
            RemoteChoice(
                code=str(row["ID"]),
                name=f"{odata.trimmed(row.get('Code'))} {odata.trimmed(row.get('Description'))}".strip(),
                extra={"number": odata.trimmed(row.get("Code")), "vat_code": odata.trimmed(row.get("VATCode"))},
            )
            for row in rows
            if row.get("ID")
        ]

    list_ledgers = list_accounts

    def list_tax_types(self) -> list[RemoteChoice]:
        """Sales VAT codes (VATTransactionType S or B), not blocked; codes come space-padded ("02 ")."""
        rows = self.rows(
            "vat/VATCodes",
            select="Code,Description,Percentage,Type,VATTransactionType,IsBlocked",
            filter="IsBlocked eq false",
        )
        return [
            RemoteChoice(
                code=odata.trimmed(row["Code"]),
                name=f"{odata.trimmed(row['Code'])} · {odata.trimmed(row.get('Description'))}",
                extra={"rate": str(row.get("Percentage") if row.get("Percentage") is not None else "")},
            )
            for row in rows
            if odata.trimmed(row.get("Code")) and row.get("VATTransactionType") in ("S", "B", None)
        ]

    list_vat_codes = list_tax_types

    def list_journals(self) -> list[RemoteChoice]:
        """Sales journals (Type 20): every sales entry is booked in one."""
        rows = self.rows("financial/Journals", select="Code,Description,Type,IsBlocked", filter="Type eq 20")
        return [
            RemoteChoice(code=odata.trimmed(row["Code"]), name=odata.trimmed(row.get("Description")))
            for row in rows
            if odata.trimmed(row.get("Code")) and not row.get("IsBlocked")
        ]

    def list_items(self) -> list[RemoteChoice]:
        """Sales items (shown for reference: sales entries book to ledgers, not items)."""
        rows = self.rows("logistics/Items", select="ID,Code,Description,IsSalesItem", filter="IsSalesItem eq true")
        return [
            RemoteChoice(code=str(row["ID"]), name=odata.trimmed(row.get("Description") or row.get("Code")))
            for row in rows
            if row.get("ID")
        ]

    # --- customers -------------------------------------------------------------------------------------------

    @staticmethod
    def _contact(row: dict) -> RemoteContact:
        return RemoteContact(id=str(row["ID"]), name=str(row.get("Name") or ""), email=str(row.get("Email") or ""))

    def search_contacts(self, term: str) -> list[RemoteContact]:
        term = (term or "").strip()
        if not term:
            return []
        rows = self.rows(
            "crm/Accounts",
            select=ACCOUNT_FIELDS,
            filter=f"substringof({odata.quote(term)}, Name) eq true",
            top=SEARCH_MAX,
            pages=1,
        )
        return [self._contact(row) for row in rows if row.get("ID")]

    def create_contact(self, company) -> RemoteContact:
        """POST crm/Accounts (Status C). Exact allows two accounts of one name, so a clash is no error: the
        account of that exact name is reused instead of making a second one."""
        existing = self.rows("crm/Accounts", select=ACCOUNT_FIELDS, filter=f"Name eq {odata.quote(company.name)}")
        if existing:
            return self._contact(existing[0])
        response = self.request(
            "POST",
            "crm/Accounts",
            json=account_payload(company),
            headers={"Prefer": "return=representation"},
            action="contact.create",
        )
        row = odata.entity(response.data)
        if not row.get("ID"):
            raise TransientError("Exact Online's answer has no account ID.")
        return self._contact(row)

    # --- sales entries ---------------------------------------------------------------------------------------

    def entry_url(self, entry_id: str) -> str:
        # The division's portal (a documented, stable address): the sales entry card's own address is not
        # published, and a guessed one would open an error page. The entry is found there by its YourRef.
        return f"{self.host}/docs/MenuPortal.aspx?_Division_={self.connection.remote_tenant_id}"

    def remote_invoice(self, row: dict) -> RemoteInvoice:
        entry_id = str(row.get("EntryID") or "")
        if not entry_id:
            raise TransientError("Exact Online's answer has no EntryID.")
        status = int(row.get("Status") or 20)
        return RemoteInvoice(
            id=entry_id,
            number=copy_number(row),
            url=self.entry_url(entry_id),
            status="Processed" if status == PROCESSED else "Open",
            state="booked" if status == PROCESSED else "open",
            total=odata.parse_amount(row["AmountFC"]) if row.get("AmountFC") is not None else None,
        )

    def entry(self, entry_id: str) -> dict:
        return odata.entity(
            self.request(
                "GET", f"salesentry/SalesEntries({odata.guid(entry_id)})", params={"$select": ENTRY_FIELDS}
            ).data
        )

    def create_document(self, kind: str, payload: dict, idempotency_key: str) -> RemoteInvoice:
        self.check_export_kind(kind)
        response = self.request(
            "POST",
            "salesentry/SalesEntries",
            json=payload,
            headers={"Prefer": "return=representation"},
            idempotency_key=idempotency_key,  # not sent (no idempotency at Exact): never retried blindly
            action="invoice.create",
        )
        return self.remote_invoice(odata.entity(response.data))

    def update_document(
        self, kind: str, remote_id: str, payload: dict, idempotency_key: str, *, version: str = ""
    ) -> RemoteInvoice:
        """PUT the entry (Exact answers 204), then read it back. A processed entry is refused with Exact's words."""
        self.check_export_kind(kind)
        self.request(
            "PUT",
            f"salesentry/SalesEntries({odata.guid(remote_id)})",
            json=payload,
            idempotency_key=idempotency_key,
            action="invoice.update",
        )
        return self.remote_invoice(self.entry(remote_id))

    def find_document(self, kind: str, *, number: str = "", reference: str = "") -> RemoteInvoice | None:
        self.check_export_kind(kind)
        for value in dict.fromkeys(v for v in (reference, number) if v):
            rows = self.rows(
                "salesentry/SalesEntries", select=ENTRY_FIELDS, filter=f"YourRef eq {odata.quote(value)}", pages=1
            )
            if rows:
                return self.remote_invoice(rows[0])
        return None

    def void_document(self, kind: str, remote_id: str, idempotency_key: str) -> RemoteInvoice:
        """DELETE the entry: Exact has no void; already gone is success; one with payments is refused."""
        self.check_export_kind(kind)
        try:
            self.request("DELETE", f"salesentry/SalesEntries({odata.guid(remote_id)})", action="invoice.void")
        except IntegrationError as exc:
            if exc.http_status != 404 or isinstance(exc, ProviderValidationError):
                raise
        return RemoteInvoice(id=remote_id, status="Deleted", state="voided")

    # --- webhooks and disconnect -----------------------------------------------------------------------------

    def webhook_subscriptions(self) -> list[dict]:
        return self.rows("webhooks/WebhookSubscriptions", select="ID,CallbackURL,Topic")

    def subscribe(self, topic: str, callback_url: str) -> None:
        self.request(
            "POST",
            "webhooks/WebhookSubscriptions",
            json={"CallbackURL": callback_url, "Topic": topic},
            action="webhook.subscribe",
        )

    def revoke(self) -> None:
        """Exact documents no token revocation: the grant's credentials are wiped here; the user withdraws the
        app's access in Exact (App Center → Connections) if they wish."""
