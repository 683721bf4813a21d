"""Shared pieces of the Exact tests: hosts, token endpoints, connections, a complete setup, the connect flow."""

from __future__ import annotations

import itertools
from datetime import timedelta

import responses
from django.utils import timezone

from ...factories import ConnectionFactory
from .fake_exact import HOSTS

TOKEN_URL = f"{HOSTS['nl']}/api/oauth2/token"
LEDGER = "3c534e79-c4fe-44d2-9765-00b30573c2de"
OTHER_LEDGER = "6f0a2a4e-0000-4000-8000-000000008010"
_divisions = itertools.count(4133185)


def token_url(region: str = "nl") -> str:
    return f"{HOSTS[region]}/api/oauth2/token"


def exact_connection(**extra):
    extra.setdefault("remote_tenant_id", str(next(_divisions)))
    extra.setdefault("name", "Exact")
    extra.setdefault("region", "nl")
    extra.setdefault("token_expires_at", timezone.now() + timedelta(minutes=8))
    return ConnectionFactory(provider="exact", **extra)


READY_SETTINGS = {
    "numbering": "app",
    "journal": "70",
    "default_ledger": LEDGER,
    "lists": {
        "journals": [{"code": "70", "name": "Verkoopboek", "extra": {}}],
        "ledgers": [
            {"code": LEDGER, "name": "8000 Omzet diensten", "extra": {}},
            {"code": OTHER_LEDGER, "name": "8010 Omzet licenties", "extra": {}},
        ],
        "vat_codes": [{"code": "2", "name": "2 · BTW hoog 21%", "extra": {}}],
        "refreshed_at": "2026-11-01T09:00:00+00:00",
    },
}


def token_answer(access: str = "exact-access", refresh: str = "exact-refresh") -> dict:
    # Exact sends expires_in as a string.
    return {"access_token": access, "token_type": "bearer", "expires_in": "600", "refresh_token": refresh}


def serve_connect(mock: responses.RequestsMock, divisions: list[int], *, region: str = "nl") -> None:
    """The token exchange, current/Me and system/Divisions of a consent granting `divisions`."""
    host = HOSTS[region]
    mock.add(responses.POST, f"{host}/api/oauth2/token", json=token_answer())
    me = {"__metadata": {"type": "Exact.Web.Api.Models.System.Me"}, "CurrentDivision": divisions[0], "UserID": "u1"}
    mock.add(responses.GET, f"{host}/api/v1/current/Me", json={"d": {"results": [me]}})
    rows = [{"Code": code, "Description": f"Demo {code}", "Currency": "EUR", "Status": 1} for code in divisions]
    mock.add(responses.GET, f"{host}/api/v1/{divisions[0]}/system/Divisions", json={"d": {"results": rows}})
