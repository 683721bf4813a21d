"""Billing writes. Views, forms, the API, the admin and the integrations all change billing data through here.

Every service validates first and raises django.core.exceptions.ValidationError (with a field → messages
dict where a field is at fault), so that bad input changes nothing. Multi-row changes run in one transaction.
One module per thing billed or paid; this package is their one entry point.
"""

from .expenses import (
    EXPENSE_FIELDS,
    expense_create,
    expense_payment_delete,
    expense_payment_delete_manual,
    expense_payment_record,
    expense_payment_restore,
    expense_payment_update,
    expense_update,
)
from .invoices import (
    INVOICE_HEADER_FIELDS,
    invoice_create,
    invoice_finalize,
    invoice_set_number,
    invoice_update,
    invoice_void,
    subsidiary_set_invoice_numbering,
)
from .lines import LineInput, line_amounts_of
from .payments import (
    invoice_refresh_payments,
    payment_delete,
    payment_delete_manual,
    payment_record,
    payment_restore,
    payment_status_for,
    payment_update,
)
from .payments_reported import ReportedPayment, payments_record_reported
from .purchase_orders import (
    PURCHASE_ORDER_FIELDS,
    purchase_order_create,
    purchase_order_next_number,
    purchase_order_update,
)
from .settings_objects import settings_object_create, settings_object_update

__all__ = [
    "EXPENSE_FIELDS",
    "INVOICE_HEADER_FIELDS",
    "LineInput",
    "ReportedPayment",
    "PURCHASE_ORDER_FIELDS",
    "expense_create",
    "expense_payment_delete",
    "expense_payment_delete_manual",
    "expense_payment_record",
    "expense_payment_restore",
    "expense_payment_update",
    "expense_update",
    "invoice_create",
    "invoice_finalize",
    "invoice_refresh_payments",
    "invoice_set_number",
    "invoice_update",
    "invoice_void",
    "line_amounts_of",
    "payment_delete",
    "payment_delete_manual",
    "payment_record",
    "payment_restore",
    "payment_status_for",
    "payment_update",
    "payments_record_reported",
    "purchase_order_create",
    "purchase_order_next_number",
    "purchase_order_update",
    "settings_object_create",
    "settings_object_update",
    "subsidiary_set_invoice_numbering",
]
