from django.urls import path

from .views import (
    activity,
    connect,
    connections,
    contact_links,
    copy,
    documents,
    marketplace,
    reconciliation,
    void,
    webhooks,
)

app_name = "integrations"
urlpatterns = [
    path("settings/marketplace/", marketplace.MarketplaceView.as_view(), name="marketplace"),
    # Connecting and managing connections (admins only)
    path("settings/marketplace/<str:provider>/connect/", connect.ConnectView.as_view(), name="connect"),
    path("settings/marketplace/<str:provider>/choose/", connect.ChooseTenantView.as_view(), name="choose-tenant"),
    path("settings/connections/<int:pk>/setup/", connections.SetupView.as_view(), name="connection-setup"),
    path(
        "settings/connections/<int:pk>/refresh-lists/",
        connections.RefreshListsView.as_view(),
        name="connection-refresh-lists",
    ),
    path("settings/connections/<int:pk>/reconnect/", connect.ReconnectView.as_view(), name="connection-reconnect"),
    path(
        "settings/connections/<int:pk>/disconnect/", connections.DisconnectView.as_view(), name="connection-disconnect"
    ),
    path("settings/connections/<int:pk>/remove/", connections.RemoveView.as_view(), name="connection-remove"),
    # Sync health: Activity and Needs attention (admins only)
    path("settings/connections/<int:pk>/activity/", activity.ActivityView.as_view(), name="connection-activity"),
    path("settings/connections/<int:pk>/attention/", activity.AttentionView.as_view(), name="connection-attention"),
    path(
        "settings/connections/<int:pk>/attention/email/",
        activity.AttentionDigestView.as_view(),
        name="attention-digest",
    ),
    path(
        "settings/connections/<int:pk>/attention/copies/retry-all/",
        activity.CopyRetryAllView.as_view(),
        name="attention-copies-retry-all",
    ),
    path(
        "settings/connections/<int:pk>/attention/copies/<int:copy_pk>/retry/",
        activity.CopyRetryView.as_view(),
        name="attention-copy-retry",
    ),
    path(
        "settings/connections/<int:pk>/attention/copies/<int:copy_pk>/ignore/",
        activity.CopyIgnoreView.as_view(),
        name="attention-copy-ignore",
    ),
    path(
        "settings/connections/<int:pk>/attention/payments/<int:change_pk>/retry/",
        activity.PaymentRetryView.as_view(),
        name="attention-payment-retry",
    ),
    path(
        "settings/connections/<int:pk>/attention/payments/<int:change_pk>/dismiss/",
        activity.PaymentDismissView.as_view(),
        name="attention-payment-dismiss",
    ),
    path(
        "settings/connections/<int:pk>/reconciliation/",
        reconciliation.ReconciliationView.as_view(),
        name="connection-reconciliation",
    ),
    path(
        "settings/connections/<int:pk>/reconciliation/check/",
        reconciliation.ReconciliationCheckView.as_view(),
        name="reconciliation-check",
    ),
    path(
        "settings/connections/<int:pk>/reconciliation/mismatches/<int:mismatch_pk>/",
        reconciliation.MismatchActionView.as_view(),
        name="reconciliation-mismatch-action",
    ),
    # Copy to an accounting tool, bulk copy, and "Sync now" (admins only)
    path(
        "integrations/invoices/<int:invoice_pk>/copy/<int:connection_pk>/",
        copy.CopyPromptView.as_view(),
        name="invoice-copy",
    ),
    path(
        "integrations/invoices/<int:invoice_pk>/copy/<int:connection_pk>/contacts/",
        copy.ContactSearchView.as_view(),
        name="invoice-copy-contacts",
    ),
    path(
        "integrations/invoices/<int:invoice_pk>/copy/<int:connection_pk>/forget-contact/",
        contact_links.ForgetContactView.as_view(),
        name="invoice-copy-forget-contact",
    ),
    path("integrations/invoices/<int:invoice_pk>/panel/", copy.InvoicePanelView.as_view(), name="invoice-panel"),
    path("integrations/invoices/copy-bulk/result/", copy.BulkCopyResultView.as_view(), name="invoice-copy-bulk-result"),
    path("integrations/invoices/copy-bulk/", copy.BulkCopyView.as_view(), name="invoice-copy-bulk"),
    # Void an invoice and, when asked, its copies in the accounting tool (members void; admins also remotely)
    path("integrations/invoices/<int:pk>/void/", void.InvoiceVoidView.as_view(), name="invoice-void"),
    path("settings/connections/<int:pk>/sync/", copy.SyncNowView.as_view(), name="connection-sync"),
    # Send an expense (as a bill) or a purchase order; the expense list's bulk send; a copy's status (admins only)
    path(
        "integrations/expenses/<int:pk>/send/<int:connection_pk>/",
        documents.ExpenseSendView.as_view(),
        name="expense-send",
    ),
    path("integrations/expenses/send-bulk/", documents.ExpenseBulkView.as_view(), name="expense-send-bulk"),
    path(
        "integrations/purchase-orders/<int:pk>/send/<int:connection_pk>/",
        documents.PurchaseOrderSendView.as_view(),
        name="purchase-order-send",
    ),
    path(
        "integrations/purchase-orders/<int:pk>/status/<int:connection_pk>/",
        documents.PurchaseOrderStatusView.as_view(),
        name="purchase-order-status",
    ),
    # The OAuth redirect URI registered at each provider: one per provider (mix-up defence).
    path("integrations/<str:provider>/callback/", connect.CallbackView.as_view(), name="callback"),
    path("integrations/<str:provider>/webhooks/", webhooks.WebhookView.as_view(), name="webhooks"),  # signed
]
