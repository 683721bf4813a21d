from django.urls import path
from rest_framework.routers import DefaultRouter

from . import activity, documents, reconciliation, views

app_name = "integrations_api"

router = DefaultRouter(use_regex_path=False)
router.include_root_view = False
router.include_format_suffixes = False
router.register("connections", views.ConnectionViewSet, basename="connection")

urlpatterns = [
    path("invoices/copy-bulk/", views.BulkCopyView.as_view(), name="invoice-copy-bulk"),
    path("invoices/<int:pk>/copies/", views.InvoiceCopyListCreateView.as_view(), name="invoice-copies"),
    path("expenses/send-bulk/", documents.ExpenseBulkSendView.as_view(), name="expense-send-bulk"),
    path("expenses/<int:pk>/copies/", documents.ExpenseCopyListCreateView.as_view(), name="expense-copies"),
    path(
        "purchase-orders/<int:pk>/copies/",
        documents.PurchaseOrderCopyListCreateView.as_view(),
        name="purchase-order-copies",
    ),
    path("connections/<int:pk>/sync/", views.ConnectionSyncView.as_view(), name="connection-sync"),
    path("sync-runs/", views.SyncRunListView.as_view(), name="syncrun-list"),
    path("connections/<int:pk>/activity/", activity.ConnectionActivityView.as_view(), name="connection-activity"),
    path("connections/<int:pk>/attention/", activity.ConnectionAttentionView.as_view(), name="connection-attention"),
    path(
        "connections/<int:pk>/attention/copies/<int:copy_pk>/retry/",
        activity.AttentionCopyActionView.as_view(action="retry"),
        name="attention-copy-retry",
    ),
    path(
        "connections/<int:pk>/attention/copies/<int:copy_pk>/ignore/",
        activity.AttentionCopyActionView.as_view(action="ignore"),
        name="attention-copy-ignore",
    ),
    path(
        "connections/<int:pk>/attention/payments/<int:change_pk>/retry/",
        activity.AttentionPaymentActionView.as_view(action="retry"),
        name="attention-payment-retry",
    ),
    path(
        "connections/<int:pk>/attention/payments/<int:change_pk>/dismiss/",
        activity.AttentionPaymentActionView.as_view(action="dismiss"),
        name="attention-payment-dismiss",
    ),
    path(
        "connections/<int:pk>/reconciliation/",
        reconciliation.ConnectionReconciliationView.as_view(),
        name="connection-reconciliation",
    ),
    path(
        "connections/<int:pk>/reconciliation/check/",
        reconciliation.ReconciliationCheckView.as_view(),
        name="reconciliation-check",
    ),
    path(
        "connections/<int:pk>/reconciliation/mismatches/<int:mismatch_pk>/",
        reconciliation.MismatchActionView.as_view(),
        name="reconciliation-mismatch-action",
    ),
    *router.urls,
]
