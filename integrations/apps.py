from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "integrations"

    def ready(self):
        # Billing's invoice list shows each invoice's accounting state without importing this app.
        from billing.list_extensions import InvoiceListColumn, register_invoice_list_column

        from .selectors import AccountingState, copy_providers, invoices_with_accounting_state

        register_invoice_list_column(
            InvoiceListColumn(
                key="accounting_state",
                label="Accounting",
                any_label="Any accounting state",
                choices=AccountingState.CHOICES,
                annotate=invoices_with_accounting_state,
                cell_template="integrations/invoice_list_cell.html",
                is_shown=lambda organization: bool(copy_providers(organization=organization)),
            )
        )

        # "Download PDF" serves the provider's PDF when a connection's setup makes the provider its maker.
        from billing.pdf_sources import register_invoice_pdf_source

        from .services.provider_pdf import invoice_provider_pdf

        register_invoice_pdf_source(invoice_provider_pdf)
