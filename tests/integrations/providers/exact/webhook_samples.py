"""Exact Online webhook deliveries as Exact sends them: `{"Content": {...},"HashCode": "<UPPERCASE HEX>"}`,
HashCode = HMAC-SHA256 of the raw Content text with the app's webhook secret (research note A7)."""

from __future__ import annotations

import json

from integrations.providers.exact.webhooks import sign


def delivery(content: dict, secret: str = "sample-secret") -> bytes:
    text = json.dumps(content, separators=(",", ":")).encode()
    return b'{"Content":' + text + b',"HashCode":"' + sign(secret, text).encode() + b'"}'


def content_of(body: bytes) -> bytes:
    return body[len(b'{"Content":') : body.rindex(b',"HashCode":')]


def resign(body: bytes, secret: str) -> bytes:
    text = content_of(body)
    return b'{"Content":' + text + b',"HashCode":"' + sign(secret, text).encode() + b'"}'


def unsigned(body: bytes) -> bytes:
    return b'{"Content":' + content_of(body) + b"}"


def financial_transaction(division: str, key: str = "a1b2c3d4-0000-4000-8000-000000000001", action: str = "Update"):
    return delivery(
        {
            "Topic": "FinancialTransactions",
            "ClientId": "8f6a2e9c-1d1e-4f0a-9a57-3b8e2c0d5e11",
            "Division": int(division) if division.isdigit() else division,
            "Action": action,
            "Key": key,
            "ExactOnlineEndpoint": f"https://start.exactonline.nl/api/v1/{division}/financialtransaction/"
            f"Transactions(guid'{key}')",
        }
    )


def account_update(division: str):
    return delivery(
        {
            "Topic": "Accounts",
            "ClientId": "8f6a2e9c-1d1e-4f0a-9a57-3b8e2c0d5e11",
            "Division": int(division) if division.isdigit() else division,
            "Action": "Update",
            "Key": "0e8f1d2c-0000-4000-8000-00000000000a",
            "ExactOnlineEndpoint": f"https://start.exactonline.nl/api/v1/{division}/crm/Accounts",
        }
    )
