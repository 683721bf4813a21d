"""The document kinds the export engine knows (integrations.models.DocumentKind has the same values, with labels).
A module of its own so the provider contract, the setup schema and the models share them without import cycles."""

INVOICE = "invoice"
BILL = "bill"
PURCHASE_ORDER = "purchase_order"
DOCUMENT_KINDS = (INVOICE, BILL, PURCHASE_ORDER)
