from rest_framework.routers import DefaultRouter

from . import views

app_name = "api"

router = DefaultRouter(use_regex_path=False)
router.include_format_suffixes = False
router.register("subsidiaries", views.SubsidiaryViewSet, basename="subsidiary")
router.register("companies", views.CompanyViewSet, basename="company")
router.register("service-types", views.ServiceTypeViewSet, basename="servicetype")
router.register("tax-rates", views.TaxRateViewSet, basename="taxrate")
router.register("invoices", views.InvoiceViewSet, basename="invoice")
router.register("payments", views.PaymentViewSet, basename="payment")
router.register("expenses", views.ExpenseViewSet, basename="expense")
router.register("expense-payments", views.ExpensePaymentViewSet, basename="expensepayment")
router.register("purchase-orders", views.PurchaseOrderViewSet, basename="purchaseorder")

urlpatterns = router.urls
