"""Xero's sandbox declared to the kit: its rules as data, its shapes as hooks (the rest is the kit's)."""

import datetime as dt
import uuid

from django.conf import settings
from django.db import transaction
from django.urls import path, re_path

from productive.settings.sandbox import SANDBOX_DEFAULTS

from ..kit.declaration import (
    Idempotency,
    LimitPolicy,
    PageError,
    SandboxProvider,
    TenantInfo,
    TokenPolicy,
    WebhookSpec,
)
from ..kit.registry import register
from ..models import XeroInvoice, XeroOrg, XeroPayment, XeroPurchaseOrder
from . import api, oauth, services
from .attachments import without_content
from .demo import demo_orgs_ensure
from .formats import parse_date
from .purchase_orders import person_moves
from .responses import problem_reply
from .webhooks import invoice_events_send


def app_minute_limit() -> int:
    return getattr(settings, "SANDBOX_XERO_APP_MINUTE_LIMIT", SANDBOX_DEFAULTS["SANDBOX_XERO_APP_MINUTE_LIMIT"])


def _tenants() -> list[TenantInfo]:
    return [TenantInfo(str(org.tenant_id), org.name, org.base_currency) for org in demo_orgs_ensure()]


def _limit_headers(remaining: dict) -> dict:
    return {
        "X-MinLimit-Remaining": str(remaining["minute"]),
        "X-DayLimit-Remaining": str(remaining["day"]),
        "X-AppMinLimit-Remaining": str(app_minute_limit() - 1),
    }


def _throttle(problem: str, retry_after: int, remaining: dict):
    headers = {"Retry-After": str(retry_after), "X-Rate-Limit-Problem": problem, **_limit_headers(remaining)}
    return problem_reply(429, "Too Many Requests", f"Rate limit exceeded: {problem}", headers)


def _finish(reply) -> None:
    reply.headers.setdefault("Xero-Correlation-Id", str(uuid.uuid4()))


def _panel(tenant_key: str) -> dict:
    """Sales invoices, bills (with their attachments) and purchase orders, as the organisation shows them."""
    org = XeroOrg.objects.get(tenant_id=tenant_key)
    documents = (
        XeroInvoice.objects.filter(org=org)
        .exclude(status="DELETED")
        .select_related("contact")
        .prefetch_related("payments", without_content())
        .order_by("-created_at")
    )
    purchase_orders = XeroPurchaseOrder.objects.filter(org=org).select_related("contact").order_by("-created_at")
    return {
        "org": org,
        "invoices": documents.filter(type="ACCREC"),
        "bills": documents.filter(type="ACCPAY"),
        "purchase_orders": [(order, person_moves(order)) for order in purchase_orders],
    }


def _payment_record(tenant_key: str, invoice_id: str, form) -> str:
    """A person records a payment on the invoice "in Xero"; the app hears of it by webhook and by polling."""
    with transaction.atomic():
        org = XeroOrg.objects.select_for_update().get(tenant_id=tenant_key)
        invoice = XeroInvoice.objects.filter(org=org, invoice_id=_uuid_or_none(invoice_id)).first()
        if invoice is None:
            raise PageError("No such invoice.")
        try:
            date = parse_date(form.get("date")) if form.get("date") else None
            payment = services.payment_create(
                org=org,
                invoice=invoice,
                amount=form.get("amount", ""),
                date=date,
                reference=form.get("reference", "")[:255],
            )
        except ValueError as exc:
            raise PageError("The payment date must be a date (YYYY-MM-DD).") from exc
        except services.ElementInvalid as exc:
            raise PageError(" ".join(exc.messages)) from exc
        invoice_events_send(tenant_key, [(invoice, "UPDATE")])
    return f"Payment of {payment.amount} recorded on {invoice.number or 'the bill'}."


def _payment_delete(tenant_key: str, payment_id: str, form) -> str:
    with transaction.atomic():
        org = XeroOrg.objects.select_for_update().get(tenant_id=tenant_key)
        payment = (
            XeroPayment.objects.select_related("invoice").filter(org=org, payment_id=_uuid_or_none(payment_id)).first()
        )
        if payment is None:
            raise PageError("No such payment.")
        try:
            services.payment_delete(payment=payment)
        except services.ElementInvalid as exc:
            raise PageError(" ".join(exc.messages)) from exc
        invoice_events_send(tenant_key, [(payment.invoice, "UPDATE")])
    return f"Payment of {payment.amount} on {payment.invoice.number} deleted."


def _uuid_or_none(value: str):
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _extra_urls() -> list:
    from . import identity_views, purchasing_pages
    from .person_edits import person_edit_urls

    org = "xero/orgs/<str:tenant_id>"
    return [
        path(
            f"{org}/purchase-orders/<str:purchase_order_id>/status/",
            purchasing_pages.purchase_order_status,
            name="xero-purchase-order-status",
        ),
        path(
            f"{org}/attachments/<str:attachment_id>/",
            purchasing_pages.attachment_open,
            name="xero-attachment",
        ),
        re_path(r"^xero/api/[Cc]onnections/?$", identity_views.connections, name="xero-connections"),
        re_path(
            r"^xero/api/[Cc]onnections/(?P<connection_id>[0-9a-fA-F-]{36})/?$",
            identity_views.connection_delete,
            name="xero-connection",
        ),
        *person_edit_urls(),
    ]


XERO = register(
    SandboxProvider(
        key="xero",
        label="Xero",
        client_id=oauth.registered_client()[0],
        client_secret=oauth.registered_client()[1],
        tenants=_tenants,
        tenant_noun="organisation",
        tenant_path="orgs",
        tenant_url_name="org",
        document_path="invoices",
        authorize_path="identity/connect/authorize",
        token_path="identity/connect/token",
        revocation_path="identity/connect/revocation",
        api_path="api/api.xro/2.0/",
        redirect_paths=tuple(SANDBOX_DEFAULTS["SANDBOX_XERO_REDIRECT_PATHS"]),
        redirect_paths_setting="SANDBOX_XERO_REDIRECT_PATHS",
        offline_scope_required=True,
        tokens=TokenPolicy(
            code_lifetime=dt.timedelta(minutes=5),
            access_lifetime=dt.timedelta(minutes=30),
            refresh_grace=dt.timedelta(minutes=30),
            refresh_unused_lifetime=dt.timedelta(days=60),
        ),
        limits=LimitPolicy(
            per_minute=SANDBOX_DEFAULTS["SANDBOX_XERO_MINUTE_LIMIT"],
            window_seconds=SANDBOX_DEFAULTS["SANDBOX_XERO_WINDOW_SECONDS"],
            per_day=SANDBOX_DEFAULTS["SANDBOX_XERO_DAY_LIMIT"],
            concurrent=SANDBOX_DEFAULTS["SANDBOX_XERO_CONCURRENT_LIMIT"],
            per_minute_setting="SANDBOX_XERO_MINUTE_LIMIT",
            window_setting="SANDBOX_XERO_WINDOW_SECONDS",
            per_day_setting="SANDBOX_XERO_DAY_LIMIT",
            concurrent_setting="SANDBOX_XERO_CONCURRENT_LIMIT",
            fault_retry_after=SANDBOX_DEFAULTS["SANDBOX_XERO_FAULT_RETRY_AFTER"],
            fault_retry_after_setting="SANDBOX_XERO_FAULT_RETRY_AFTER",
        ),
        idempotency=Idempotency(header="Idempotency-Key", max_length=128),
        webhook=WebhookSpec(
            signature_header="x-xero-signature",
            key_setting="XERO_WEBHOOK_KEY",
            default_path="/integrations/xero/webhooks/",
        ),
        scopes_invalid=oauth.scopes_invalid,
        token_extras=oauth.token_extras,
        tenant_from_request=api.tenant_from_request,
        route=api.route,
        problem=problem_reply,
        unauthorized=api.unauthorized,
        forbidden=api.forbidden,
        throttle=_throttle,
        server_error=api.server_error,
        idempotency_key_invalid=api.idempotency_key_invalid,
        limit_headers=_limit_headers,
        finish=_finish,
        write_lock=api.write_lock,
        tenant_panel_template="sandbox/xero/panel.html",
        tenant_panel_context=_panel,
        payment_record=_payment_record,
        payment_delete=_payment_delete,
        extra_urls=_extra_urls,
    )
)
