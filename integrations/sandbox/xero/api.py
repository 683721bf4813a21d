"""Xero's part of each Accounting API call: its routes, scope and Accept rules, and its answers to refusals.

The kit runs the call (bearer → tenant → this route → limits → fault → Idempotency-Key replay → log); here is
only what Xero decides: 404 for an unknown resource, 401 AuthorizationUnsuccessful when the consent lacks the
scope, 406 without Accept: application/json (a file download answers whatever is asked), and Xero's problem
bodies and rate-limit headers. /Invoices/{InvoiceID}/Attachments[/{FileName}] takes the file as the raw body.
"""

import json
import uuid

from ..kit.declaration import Refusal, Route
from ..kit.tokens import BearerError
from ..models import XeroOrg
from . import attachments, resources
from .responses import Reply, post_data_invalid, problem_reply, validation_reply

# Resource name (lower case) → (canonical name, scope area, {method: handler}).
ROUTES = {
    "organisation": ("Organisation", "settings", {"GET": resources.organisation_get}),
    "accounts": ("Accounts", "settings", {"GET": resources.accounts_get}),
    "taxrates": ("TaxRates", "settings", {"GET": resources.tax_rates_get}),
    "items": ("Items", "items", {"GET": resources.items_get}),
    "contacts": (
        "Contacts",
        "contacts",
        {
            "GET": resources.contacts_get,
            "PUT": lambda call: resources.write(call, "Contacts", create_only=True),
            "POST": lambda call: resources.write(call, "Contacts", create_only=False),
        },
    ),
    "invoices": (
        "Invoices",
        "invoices",
        {
            "GET": resources.invoices_get,
            "PUT": lambda call: resources.write(call, "Invoices", create_only=True),
            "POST": lambda call: resources.write(call, "Invoices", create_only=False),
        },
    ),
    "payments": (
        "Payments",
        "payments",
        {"GET": resources.payments_get, "PUT": resources.payments_write, "POST": resources.payments_write},
    ),
    "purchaseorders": (
        "PurchaseOrders",
        "invoices",
        {
            "GET": resources.purchase_orders_get,
            "PUT": lambda call: resources.write(call, "PurchaseOrders", create_only=True),
            "POST": lambda call: resources.write(call, "PurchaseOrders", create_only=False),
        },
    ),
}

# Sub-resources: /{Parent}/{id}/Attachments[/{FileName or AttachmentID}] (invoices and bills only, for now).
ATTACHMENTS = (
    "Attachments",
    "attachments",
    {"GET": attachments.get, "PUT": attachments.upload, "POST": attachments.upload},
)
ATTACHMENT_PARENTS = {"invoices"}

# Scope area → scopes that grant writing; their ".read" variants grant reading.
SCOPES = {
    "settings": ("accounting.settings",),
    "items": ("accounting.settings", "accounting.invoices"),
    "contacts": ("accounting.contacts",),
    "invoices": ("accounting.transactions", "accounting.invoices"),
    "payments": ("accounting.transactions", "accounting.payments"),
    "attachments": ("accounting.attachments",),
}


def _scope_ok(granted: str, area: str, write: bool) -> bool:
    scopes = set(granted.split())
    return any(s in scopes or (not write and f"{s}.read" in scopes) for s in SCOPES[area])


def unauthorized(error: BearerError) -> Reply:
    if error.expired_at:
        stamp = error.expired_at.strftime("%m/%d/%Y %H:%M:%S")
        detail = f"TokenExpired: token expired at {stamp}"
        header = f'Bearer error="invalid_token", error_description="The token expired at \'{stamp}\'"'
    else:
        detail, header = error.detail, 'Bearer error="invalid_token"'
    return problem_reply(401, "Unauthorized", detail, {"WWW-Authenticate": header})


def forbidden(tenant: str) -> Reply:
    """Xero's answer for a missing, wrong or no longer authorised xero-tenant-id (e.g. access revoked)."""
    return problem_reply(403, "Forbidden", "AuthenticationUnsuccessful")


def server_error() -> Reply:
    detail = "An error occurred in Xero. Check the API Status page http://status.developer.xero.com for status."
    return problem_reply(500, "An error occurred", detail)


def tenant_from_request(request, path: str) -> str:
    """The xero-tenant-id header as the kit keys tenants (a UUID's canonical spelling)."""
    tenant = request.headers.get("xero-tenant-id", "").strip()
    try:
        return str(uuid.UUID(tenant))
    except ValueError:
        return tenant


def write_lock(tenant_key: str) -> None:
    """One writer per organisation at a time (numbering, unique names; repeats of a key wait, then replay)."""
    XeroOrg.objects.select_for_update().filter(tenant_id=tenant_key).first()


def _resolve(path: str):
    """(route, id, sub-resource key) of an API path, or Nones for an unknown one."""
    parts = [p for p in path.strip("/").split("/") if p]
    if len(parts) in (3, 4) and parts[0].lower() in ATTACHMENT_PARENTS and parts[2].lower() == "attachments":
        return ATTACHMENTS, parts[1], (parts[3] if len(parts) == 4 else None)
    if not parts or len(parts) > 2 or parts[0].lower() not in ROUTES:
        return None, None, None
    return ROUTES[parts[0].lower()], (parts[1] if len(parts) == 2 else None), None


def route(request, path: str, grant, tenant_key: str) -> Route | Refusal:
    org = XeroOrg.objects.get(tenant_id=tenant_key)
    found, ident, item = _resolve(path)
    if found is None or request.method not in found[2]:
        reply = resources.not_found() if found is None else problem_reply(405, "Method Not Allowed", request.method)
        return Refusal(reply)
    name, area, handlers = found
    write = request.method != "GET"
    if not _scope_ok(grant.scope, area, write):
        return Refusal(problem_reply(401, "Unauthorized", "AuthorizationUnsuccessful"), f"scope missing for {name}")
    accept = request.headers.get("Accept", "")
    download = found is ATTACHMENTS and item is not None and not write
    if not download and "application/json" not in accept and "application/pdf" not in accept:
        message = b"The sandbox answers JSON only; Xero answers XML unless Accept: application/json."
        return Refusal(Reply(406, message, "text/plain"), "no Accept: application/json")
    params = {key.lower(): value for key, value in request.GET.items()}
    call = resources.Call(request=request, org=org, ident=ident, params=params, item=item)
    handler = handlers[request.method]
    if not write:
        return Route(run=lambda: handler(call))

    def prepare() -> Reply | None:
        if found is ATTACHMENTS:
            return attachments.read_upload(call, request)
        try:
            call.body = json.loads(request.body or b"null")
        except (ValueError, UnicodeDecodeError):
            return post_data_invalid("Invalid Json data")
        return None

    def run() -> Reply:
        call.org = XeroOrg.objects.select_for_update().get(pk=org.pk)  # re-read under the lock: current numbering
        return handler(call)

    return Route(run=run, write=True, prepare=prepare)


def idempotency_key_invalid(message: str) -> Reply:
    return validation_reply(message)
