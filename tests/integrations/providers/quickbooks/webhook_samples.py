"""Intuit's webhook deliveries in both shapes (developer.intuit.com "Webhooks"; the CloudEvents format of the
2025-11 migration notice), re-pointed at a realm."""

from __future__ import annotations

import json

from integrations.providers.quickbooks.webhooks import sign  # noqa: F401 - re-exported for the tests

# The verified test vector of intuit/QuickBooks-V3-DotNET-SDK (WebhooksServiceTest.cs, AppSettings.json).
VECTOR_VERIFIER = "00faeec4-08d0-4996-bb37-698ae19f0149"
VECTOR_BODY = (
    b'{"eventNotifications":[{"realmId":"1269959970","dataChangeEvent":{"entities":[{"name":"Vendor","id":"40",'
    b'"operation":"Update","lastUpdated":"2016-10-05T03:09:04.000Z"},{"name":"Customer","id":"43","operation":'
    b'"Create","lastUpdated":"2016-10-05T03:07:04.000Z"}]}}]}'
)
VECTOR_SIGNATURE = "6q+xGyMirJupwKTh2/WBl2NcdxzxqdIbk3sneKTxLWM="


def legacy_notification(
    realm: str, *, payment_id: str = "40", moment: str = "2026-11-12T03:09:04.000Z", with_customer: bool = True
) -> bytes:
    entities = [{"name": "Payment", "id": payment_id, "operation": "Create", "lastUpdated": moment}]
    if with_customer:
        entities.append({"name": "Customer", "id": "43", "operation": "Update", "lastUpdated": moment})
    return json.dumps(
        {
            "eventNotifications": [
                {
                    "realmId": realm,
                    "dataChangeEvent": {"entities": entities},
                }
            ]
        }
    ).encode()


def cloud_events(realm: str, *, other_realm: str = "") -> bytes:
    events = [
        {
            "specversion": "1.0",
            "id": "88cd52e5-2ba1-4d0f-9d5e-5e7f0a1b2c3d",
            "source": "intuit.dsnBgbseACLLRZNxo2dfc4evmEJdxde58xeeYcZliOU=",
            "type": "qbo.payment.created.v1",
            "datacontenttype": "application/json",
            "time": "2026-11-12T03:09:04.000Z",
            "intuitentityid": "41",
            "intuitaccountid": realm,
            "data": {},
        },
        {
            "specversion": "1.0",
            "id": "4f6b7c1e-0d2a-4e55-8a3b-9c8d7e6f5a4b",
            "source": "intuit.dsnBgbseACLLRZNxo2dfc4evmEJdxde58xeeYcZliOU=",
            "type": "qbo.invoice.updated.v1",
            "datacontenttype": "application/json",
            "time": "2026-11-12T03:09:05.000Z",
            "intuitentityid": "130",
            "intuitaccountid": other_realm or realm,
            "data": {},
        },
    ]
    return json.dumps(events).encode()
