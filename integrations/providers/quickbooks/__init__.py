"""QuickBooks Online (Intuit Accounting API v3)."""
