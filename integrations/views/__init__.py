"""Integration pages, one module per concern (marketplace, connect, connections; copy belongs to invoice copy)."""
