"""Accounting-integration settings (filled in by the integrations work)."""
