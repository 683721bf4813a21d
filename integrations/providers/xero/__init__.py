"""Xero: OAuth 2.0 with PKCE, one connection per Xero organisation (tenant), Accounting API 2.0."""
