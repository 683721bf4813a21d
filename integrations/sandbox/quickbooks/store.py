"""QuickBooks entities in the sandbox: ids, SyncTokens, MetaData, Intuit's time format and envelopes."""

import datetime as dt
import zoneinfo
from decimal import Decimal

from django.db.models import F
from django.utils import timezone

from ..kit.clock import now_ms
from ..kit.reply import Reply, json_reply
from .models import QboCompany, QboEntity


def company_time(company: QboCompany, moment: dt.datetime, *, millis: bool = False) -> str:
    """Intuit's timestamps carry the company's local offset: 2026-05-01T09:00:00-07:00."""
    local = moment.astimezone(zoneinfo.ZoneInfo(company.timezone))
    return local.isoformat(timespec="milliseconds" if millis else "seconds")


def response_time(company: QboCompany | None) -> str:
    moment = timezone.now()
    if company is None:
        return moment.astimezone(zoneinfo.ZoneInfo("America/Los_Angeles")).isoformat(timespec="milliseconds")
    return company_time(company, moment, millis=True)


def envelope(company: QboCompany | None, body: dict, status: int = 200, headers: dict | None = None) -> Reply:
    return json_reply({**body, "time": response_time(company)}, status, headers)


def money(value) -> float | int:
    """Amounts are JSON numbers on Intuit's wire; computed with Decimal, sent with 2 decimals at most."""
    quantized = Decimal(str(value)).quantize(Decimal("0.01"))
    return int(quantized) if quantized == quantized.to_integral() else float(quantized)


def company_of(realm_id: str) -> QboCompany | None:
    return QboCompany.objects.filter(realm_id=realm_id).first()


def next_id(company: QboCompany) -> str:
    """Intuit numbers every entity of a company from one counter (ids are strings of digits)."""
    QboCompany.objects.filter(pk=company.pk).update(next_entity_id=F("next_entity_id") + 1)
    company.refresh_from_db(fields=["next_entity_id"])
    return str(company.next_entity_id - 1)


def entity_create(company: QboCompany, entity: str, body: dict, *, content: bytes | None = None) -> QboEntity:
    now = now_ms()
    return QboEntity.objects.create(
        company=company,
        entity=entity,
        entity_id=next_id(company),
        body=body,
        content=content,
        created_at=now,
        updated_at=now,
    )


def entity_save(row: QboEntity, body: dict) -> QboEntity:
    """A change: new body, SyncToken + 1, LastUpdatedTime now."""
    row.body, row.sync_token, row.updated_at = body, row.sync_token + 1, now_ms()
    row.save(update_fields=["body", "sync_token", "updated_at"])
    return row


def entity_delete(row: QboEntity) -> QboEntity:
    row.deleted_at = row.updated_at = now_ms()
    row.save(update_fields=["deleted_at", "updated_at"])
    return row


def live(company: QboCompany, entity: str):
    return QboEntity.objects.filter(company=company, entity=entity, deleted_at__isnull=True)


def find(company: QboCompany, entity: str, entity_id) -> QboEntity | None:
    return live(company, entity).filter(entity_id=str(entity_id)).first()


def render(row: QboEntity) -> dict:
    """The entity as Intuit answers it: its body plus Id, SyncToken, MetaData, domain and sparse."""
    company = row.company
    return {
        **row.body,
        "domain": "QBO",
        "sparse": False,
        "Id": row.entity_id,
        "SyncToken": str(row.sync_token),
        "MetaData": {
            "CreateTime": company_time(company, row.created_at),
            "LastUpdatedTime": company_time(company, row.updated_at),
        },
    }


def deleted_stub(row: QboEntity) -> dict:
    """What CDC and a delete answer for a deleted entity: status, domain, Id, MetaData only."""
    return {
        "status": "Deleted",
        "domain": "QBO",
        "Id": row.entity_id,
        "MetaData": {"LastUpdatedTime": company_time(row.company, row.updated_at)},
    }
