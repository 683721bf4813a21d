"""Integration writes, one module per use case: connections, invoice_copy, payments_sync."""
