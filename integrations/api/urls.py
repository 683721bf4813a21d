from django.urls import path
from rest_framework.routers import DefaultRouter

from . import views

app_name = "integrations_api"

router = DefaultRouter(use_regex_path=False)
router.include_root_view = False
router.include_format_suffixes = False
router.register("connections", views.ConnectionViewSet, basename="connection")

urlpatterns = [
    path("invoices/copy-bulk/", views.BulkCopyView.as_view(), name="invoice-copy-bulk"),
    path("invoices/<int:pk>/copies/", views.InvoiceCopyListCreateView.as_view(), name="invoice-copies"),
    path("connections/<int:pk>/sync/", views.ConnectionSyncView.as_view(), name="connection-sync"),
    path("sync-runs/", views.SyncRunListView.as_view(), name="syncrun-list"),
    *router.urls,
]
