from django.urls import path

from .views import expenses, invoices, members, payments, purchase_orders, settings

app_name = "billing"

SubsidiaryList, SubsidiaryCreate, SubsidiaryEdit = settings.settings_views(settings.SUBSIDIARIES)
CompanyList, CompanyCreate, CompanyEdit = settings.settings_views(settings.COMPANIES)
ServiceTypeList, ServiceTypeCreate, ServiceTypeEdit = settings.settings_views(settings.SERVICE_TYPES)
TaxRateList, TaxRateCreate, TaxRateEdit = settings.settings_views(settings.TAX_RATES)

urlpatterns = [
    # Invoices
    path("invoices/", invoices.InvoiceListView.as_view(), name="invoice-list"),
    path("invoices/new/", invoices.InvoiceFormView.as_view(), name="invoice-create"),
    path("invoices/<int:pk>/", invoices.InvoiceDetailView.as_view(), name="invoice-detail"),
    path("invoices/<int:pk>/edit/", invoices.InvoiceFormView.as_view(), name="invoice-edit"),
    path("invoices/<int:pk>/finalize/", invoices.InvoiceFinalizeView.as_view(), name="invoice-finalize"),
    path("invoices/<int:pk>/void/", invoices.InvoiceVoidView.as_view(), name="invoice-void"),
    path("invoices/<int:pk>/pdf/", invoices.InvoicePdfView.as_view(), name="invoice-pdf"),
    path(
        "invoices/<int:pk>/payments/new/",
        payments.InvoicePaymentCreateView.as_view(),
        name="invoice-payment-create",
    ),
    path(
        "invoices/<int:pk>/payments/<int:payment_pk>/delete/",
        payments.InvoicePaymentDeleteView.as_view(),
        name="invoice-payment-delete",
    ),
    # Expenses
    path("expenses/", expenses.ExpenseListView.as_view(), name="expense-list"),
    path("expenses/new/", expenses.ExpenseFormView.as_view(), name="expense-create"),
    path("expenses/<int:pk>/", expenses.ExpenseDetailView.as_view(), name="expense-detail"),
    path("expenses/<int:pk>/edit/", expenses.ExpenseFormView.as_view(), name="expense-edit"),
    path("expenses/<int:pk>/receipt/", expenses.ExpenseReceiptView.as_view(), name="expense-receipt"),
    path(
        "expenses/<int:pk>/payments/new/",
        payments.ExpensePaymentCreateView.as_view(),
        name="expense-payment-create",
    ),
    # Purchase orders
    path("purchase-orders/", purchase_orders.PurchaseOrderListView.as_view(), name="purchaseorder-list"),
    path("purchase-orders/new/", purchase_orders.PurchaseOrderFormView.as_view(), name="purchaseorder-create"),
    path(
        "purchase-orders/<int:pk>/",
        purchase_orders.PurchaseOrderDetailView.as_view(),
        name="purchaseorder-detail",
    ),
    path(
        "purchase-orders/<int:pk>/edit/",
        purchase_orders.PurchaseOrderFormView.as_view(),
        name="purchaseorder-edit",
    ),
    # Settings (admins only)
    path("settings/", settings.OrganizationSettingsView.as_view(), name="settings-organization"),
    path("settings/subsidiaries/", SubsidiaryList.as_view(), name="settings-subsidiary-list"),
    path("settings/subsidiaries/new/", SubsidiaryCreate.as_view(), name="settings-subsidiary-create"),
    path("settings/subsidiaries/<int:pk>/edit/", SubsidiaryEdit.as_view(), name="settings-subsidiary-edit"),
    path("settings/companies/", CompanyList.as_view(), name="settings-company-list"),
    path("settings/companies/new/", CompanyCreate.as_view(), name="settings-company-create"),
    path("settings/companies/<int:pk>/edit/", CompanyEdit.as_view(), name="settings-company-edit"),
    path("settings/service-types/", ServiceTypeList.as_view(), name="settings-servicetype-list"),
    path("settings/service-types/new/", ServiceTypeCreate.as_view(), name="settings-servicetype-create"),
    path("settings/service-types/<int:pk>/edit/", ServiceTypeEdit.as_view(), name="settings-servicetype-edit"),
    path("settings/tax-rates/", TaxRateList.as_view(), name="settings-taxrate-list"),
    path("settings/tax-rates/new/", TaxRateCreate.as_view(), name="settings-taxrate-create"),
    path("settings/tax-rates/<int:pk>/edit/", TaxRateEdit.as_view(), name="settings-taxrate-edit"),
    path("settings/members/", members.MemberListView.as_view(), name="settings-member-list"),
    path("settings/members/<int:pk>/role/", members.MemberRoleView.as_view(), name="settings-member-role"),
    path("settings/members/<int:pk>/remove/", members.MemberRemoveView.as_view(), name="settings-member-remove"),
]
