"""What the sandbox Xero does with a submitted object: validate with Xero's messages, then write.

Each save function takes one submitted element (a dict from the request body) and either returns the saved row
or raises ElementInvalid with the messages Xero would put in that element's ValidationErrors. Callers hold the
organisation row lock (see api.py and page_views.py), so numbering and uniqueness checks cannot race.
"""

from .common import NOT_FOUND, ElementInvalid
from .contacts import contact_save
from .invoices import invoice_save
from .payments import payment_create, payment_create_from_data, payment_delete
from .purchase_orders import purchase_order_save

__all__ = [
    "NOT_FOUND",
    "ElementInvalid",
    "contact_save",
    "invoice_save",
    "payment_create",
    "payment_create_from_data",
    "payment_delete",
    "purchase_order_save",
]
