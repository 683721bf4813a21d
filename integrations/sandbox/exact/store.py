"""Exact entities in the sandbox: stable GUIDs, the per-division Timestamp, Created/Modified, deletions."""

import uuid

from django.db.models import F

from ..kit.clock import now_ms
from .models import ExactDivision, ExactEntity

_NAMESPACE = uuid.UUID("6f3c1d1e-2a8b-4c53-9a41-5e0b7d2f6a10")


def stable_guid(*parts) -> str:
    """Demo data gets the same GUIDs on every run (tests and the README can name them)."""
    return str(uuid.uuid5(_NAMESPACE, ":".join(str(p) for p in parts)))


def new_guid() -> str:
    return str(uuid.uuid4())


def epoch_ms(moment) -> int:
    return int(moment.timestamp() * 1000)


def division_of(code) -> ExactDivision | None:
    return ExactDivision.objects.filter(code=int(code)).first() if str(code).isdigit() else None


def next_timestamp(division: ExactDivision) -> int:
    ExactDivision.objects.filter(pk=division.pk).update(last_timestamp=F("last_timestamp") + 1)
    division.refresh_from_db(fields=["last_timestamp"])
    return division.last_timestamp


def next_entry_number(division: ExactDivision) -> int:
    ExactDivision.objects.filter(pk=division.pk).update(next_entry_number=F("next_entry_number") + 1)
    division.refresh_from_db(fields=["next_entry_number"])
    return division.next_entry_number - 1


def entity_create(division: ExactDivision, entity: str, key: str, body: dict, *, user: str = "") -> ExactEntity:
    now = now_ms()
    body = {**body, "Division": division.code, "Created": epoch_ms(now), "Modified": epoch_ms(now)}
    if user:
        body.setdefault("Creator", user)
        body.setdefault("Modifier", user)
    return ExactEntity.objects.create(
        division=division,
        entity=entity,
        key=key,
        timestamp=next_timestamp(division),
        body=body,
        created_at=now,
        modified_at=now,
    )


def entity_save(row: ExactEntity, body: dict) -> ExactEntity:
    """A change: new body, a new Timestamp (what the sync endpoints page on), Modified now."""
    now = now_ms()
    row.body = {**body, "Modified": epoch_ms(now)}
    row.timestamp, row.modified_at = next_timestamp(row.division), now
    row.save(update_fields=["body", "timestamp", "modified_at"])
    return row


def entity_delete(row: ExactEntity) -> ExactEntity:
    """Gone from the regular and sync endpoints; listed by sync/Deleted with a new Timestamp."""
    now = now_ms()
    row.deleted_at, row.modified_at, row.timestamp = now, now, next_timestamp(row.division)
    row.save(update_fields=["deleted_at", "modified_at", "timestamp"])
    return row


def live(division: ExactDivision, entity: str):
    return ExactEntity.objects.filter(division=division, entity=entity, deleted_at__isnull=True)


def find(division: ExactDivision, entity: str, key) -> ExactEntity | None:
    return live(division, entity).filter(key=str(key).lower()).first()


def find_by(division: ExactDivision, entity: str, **fields) -> ExactEntity | None:
    """The first live entity whose body has these values (demo-sized tables: a scan is fine)."""
    for row in live(division, entity):
        if all(row.body.get(name) == value for name, value in fields.items()):
            return row
    return None
