"""Exact Online: OAuth 2 per locale host, one connection per division, sales entries and payments back."""
