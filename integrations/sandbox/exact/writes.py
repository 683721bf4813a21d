"""The writes: crm/Accounts (create), the sales postings (entries.py) and webhooks/WebhookSubscriptions.

A POST answers 201 with the entity; without `Prefer: return=representation` only the key and the posted
properties carry values (Exact answers "mostly null properties" then)."""

from urllib.parse import urlsplit

from django.db import transaction

from ..kit.reply import Reply
from . import entries, entry_changes, odata, webhooks
from .demo import padded_code, user_id
from .models import ExactDivision, ExactEntity
from .shapes import ACCOUNT, SALES_ENTRY, SALES_INVOICE, WEBHOOK_SUBSCRIPTION, EntitySet, line_set
from .store import entity_create, entity_delete, find, live, new_guid

TOPICS = {
    "Accounts",
    "BankEntries",
    "CashEntries",
    "FinancialTransactions",
    "GeneralJournalEntries",
    "SalesEntries",
    "SalesInvoices",
}


def created(base: str, division: ExactDivision, entity_set: EntitySet, row: ExactEntity, posted: dict, full: bool):
    uri = odata.entity_uri(base, division.code, entity_set, row.key)
    body = row.body if full else {k: v for k, v in row.body.items() if k in posted or k == entity_set.key}
    lines = None
    if entity_set.lines and full:
        lines_of = line_set(entity_set)
        lines = [
            odata.render(lines_of, line, uri=odata.entity_uri(base, division.code, lines_of, line["ID"]), select=None)
            for line in row.body.get(entity_set.lines, [])
        ]
    reply = odata.single(odata.render(entity_set, body, uri=uri, select=None, lines=lines), 201)
    reply.headers["Location"] = uri
    return reply


def _account_create(division: ExactDivision, body: dict) -> ExactEntity:
    name = str(body.get("Name") or "").strip()
    if not name:
        raise odata.ODataError("Mandatory: Name")
    codes = [int(row.body["Code"]) for row in live(division, "Account") if row.body["Code"].strip().isdigit()]
    key = new_guid()
    fields = {name: body.get(name) for name in ACCOUNT.properties if name in body and ACCOUNT.properties[name] != "N"}
    country = str(body.get("Country") or "").strip().upper()
    return entity_create(
        division,
        "Account",
        key,
        {
            **{name: None for name in ACCOUNT.properties},
            **fields,
            "ID": key,
            "Code": padded_code(max(codes, default=0) + 1),  # the highest code + 1
            "Name": name[:100],
            "Status": str(body.get("Status") or "C"),
            "Type": "A",
            "IsSales": bool(body.get("IsSales", True)),
            "IsSupplier": bool(body.get("IsSupplier", False)),
            "Blocked": False,
            "Country": country.ljust(3) if country else None,
            "SearchCode": name.upper()[:9],
        },
        user=user_id(division.locale),
    )


def create(request, base: str, division: ExactDivision, entity_set: EntitySet, body: dict) -> Reply:
    full = "return=representation" in request.headers.get("Prefer", "")
    makers = {
        ACCOUNT.entity: _account_create,
        SALES_ENTRY.entity: entries.sales_entry_create,
        SALES_INVOICE.entity: entries.sales_invoice_create,
    }
    try:
        with transaction.atomic():
            row = makers[entity_set.entity](division, body)
            if entity_set is SALES_ENTRY:
                webhooks.notify(division, "SalesEntries", "Create", row.key, "salesentry/SalesEntries")
    except odata.ODataError as exc:
        return exc.reply()
    return created(base, division, entity_set, row, body, full)


def print_invoice(division: ExactDivision, body: dict) -> Reply:
    try:
        with transaction.atomic():
            answer = entries.sales_invoice_print(division, body)
    except odata.ODataError as exc:
        return exc.reply()
    return odata.single({"__metadata": {"type": "Exact.Web.Api.Models.PrintedSalesInvoice"}, **answer}, 201)


def _callback_ok(url: str) -> bool:
    """Exact requires HTTPS callbacks; the sandbox also lets local http ones through (dev and tests)."""
    parts = urlsplit(url)
    local = parts.hostname in ("localhost", "127.0.0.1", "testserver")
    return bool(parts.netloc) and (parts.scheme == "https" or (parts.scheme == "http" and local))


def subscription_create(base: str, division: ExactDivision, grant, body: dict) -> Reply:
    url, topic = str(body.get("CallbackURL") or ""), str(body.get("Topic") or "")
    if not url or not topic:
        return odata.error(400, f"Mandatory: {'CallbackURL' if not url else 'Topic'}")
    if topic not in TOPICS:
        return odata.error(400, f"Invalid value: Topic '{topic}'")
    if not _callback_ok(url):
        return odata.error(400, "Invalid value: CallbackURL must be an https URL")
    mine = [row for row in live(division, "WebhookSubscription") if row.body["ClientID"] == grant.client_id]
    if any(row.body["Topic"] == topic and row.body["CallbackURL"] == url for row in mine):
        return odata.error(400, "A subscription for this topic and callback URL already exists")
    key = new_guid()
    with transaction.atomic():
        row = entity_create(
            division,
            "WebhookSubscription",
            key,
            {
                "ID": key,
                "CallbackURL": url,
                "ClientID": grant.client_id,
                "Description": str(body.get("Description") or "")[:100] or None,
                "Topic": topic,
                "UserID": user_id(division.locale),
            },
            user=user_id(division.locale),
        )
        webhooks.validation_ping(division, url)
    return created(base, division, WEBHOOK_SUBSCRIPTION, row, body, True)


def subscription_delete(division: ExactDivision, grant, key: str) -> Reply:
    row = find(division, "WebhookSubscription", key)
    if row is None or row.body["ClientID"] != grant.client_id:
        return odata.error(404, "Not found")
    with transaction.atomic():
        entity_delete(row)
    return Reply(204, b"", "application/json")


def entry_change(division: ExactDivision, method: str, key: str, body: dict | None) -> Reply:
    """PUT or DELETE salesentry/SalesEntries(guid'…'): 204 No Content, as Exact answers both."""
    row = find(division, "SalesEntry", key)
    if row is None:
        return odata.error(404, "Not found")
    try:
        with transaction.atomic():
            if method == "PUT":
                entry_changes.sales_entry_update(division, row, body)
            else:
                entry_changes.sales_entry_delete(division, row)
    except odata.ODataError as exc:
        return exc.reply()
    return Reply(204, b"", "application/json")
