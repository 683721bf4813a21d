"""Mounted at /sandbox/ by productive/urls.py only when settings.SANDBOX_PROVIDERS is on."""

from django.urls import path, re_path

from .xero import identity_views, page_views

app_name = "sandbox"
urlpatterns = [
    path("xero/", page_views.index, name="xero-index"),
    path("xero/orgs/<uuid:tenant_id>/", page_views.org_page, name="xero-org"),
    path(
        "xero/orgs/<uuid:tenant_id>/invoices/<uuid:invoice_id>/payments/",
        page_views.payment_record,
        name="xero-payment-record",
    ),
    path(
        "xero/orgs/<uuid:tenant_id>/payments/<uuid:payment_id>/delete/",
        page_views.payment_delete,
        name="xero-payment-delete",
    ),
    path("xero/orgs/<uuid:tenant_id>/faults/", page_views.fault_arm, name="xero-fault"),
    path("xero/identity/connect/authorize", identity_views.authorize, name="xero-authorize"),
    path("xero/identity/connect/token", identity_views.token, name="xero-token"),
    path("xero/identity/connect/revocation", identity_views.revocation, name="xero-revocation"),
    re_path(r"^xero/api/[Cc]onnections/?$", identity_views.connections, name="xero-connections"),
    re_path(
        r"^xero/api/[Cc]onnections/(?P<connection_id>[0-9a-fA-F-]{36})/?$",
        identity_views.connection_delete,
        name="xero-connection",
    ),
    path("xero/api/api.xro/2.0/<path:path>", page_views.api_view, name="xero-api"),
]
