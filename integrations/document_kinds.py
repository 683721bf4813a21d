"""The document kinds the export engine knows, and the two sides of the books a mapping serves (the models'
DocumentKind and MappingPurpose choices are built from these). A module of its own so the provider contract, the
setup schema and the models share them without import cycles."""

INVOICE = "invoice"
BILL = "bill"
PURCHASE_ORDER = "purchase_order"
DOCUMENT_KINDS = (INVOICE, BILL, PURCHASE_ORDER)

# MappingPurpose: sales documents (revenue accounts, sales tax codes), purchase documents (expense accounts...).
SALES = "sales"
PURCHASE = "purchase"
