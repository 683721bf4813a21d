"""Customers (DisplayName unique across customers, vendors and employees), Attachable uploads, and CDC."""

import datetime as dt
import json

from django.db import transaction
from django.utils import timezone

from ..kit.reply import Reply
from .demo import currency_ref
from .faults import EntityInvalid, fault, required, stale
from .models import QboCompany, QboEntity
from .store import deleted_stub, entity_create, entity_save, envelope, find, render

CUSTOMER_WRITABLE = (
    "DisplayName",
    "CompanyName",
    "GivenName",
    "FamilyName",
    "PrintOnCheckName",
    "PrimaryEmailAddr",
    "BillAddr",
    "PrimaryPhone",
    "Notes",
    "Active",
    "CurrencyRef",
    "Taxable",
    "SalesTermRef",
)
CDC_ENTITIES = {"payment": "Payment", "invoice": "Invoice", "customer": "Customer", "item": "Item"}
CDC_LOOKBACK = dt.timedelta(days=30)
CDC_MAX_OBJECTS = 1000
NAMED = ("Customer", "Vendor", "Employee")


def _name_taken(company: QboCompany, name: str, own_id: str = "") -> bool:
    rows = QboEntity.objects.filter(company=company, entity__in=NAMED, deleted_at__isnull=True)
    return any(
        row.body.get("DisplayName", "").strip().lower() == name.strip().lower()
        and not (row.entity == "Customer" and row.entity_id == own_id)
        for row in rows
    )


def customer_write(company: QboCompany, body: dict) -> QboEntity:
    """Create, or (with Id + SyncToken) update, sparse when asked."""
    row = None
    if body.get("Id"):
        row = find(company, "Customer", body["Id"])
        if row is None:
            raise EntityInvalid("610", "Object Not Found", f"Object Not Found : Customer Id={body['Id']}")
        if str(body.get("SyncToken", "")) != str(row.sync_token):
            raise stale("Customer")
    given = {key: body[key] for key in CUSTOMER_WRITABLE if key in body}
    merged = {**row.body, **given} if row is not None and body.get("sparse") else given
    name = str(merged.get("DisplayName") or "").strip()
    if not name:
        raise required("DisplayName")
    if _name_taken(company, name, row.entity_id if row else ""):
        raise EntityInvalid(
            "6240",
            "Duplicate Name Exists Error",
            "The name supplied already exists. : Another customer, vendor or employee is already using this name. "
            "Please use a different name.",
        )
    merged = {"Active": True, "Balance": 0, "CurrencyRef": currency_ref(company), **merged, "DisplayName": name}
    merged.setdefault("PrintOnCheckName", name)
    if row is None:
        return entity_create(company, "Customer", merged)
    return entity_save(row, merged)


def upload(company: QboCompany, request) -> Reply:
    """Multipart upload: `file_metadata_0N` (an Attachable in JSON) with `file_content_0N` (the bytes)."""
    answers = []
    with transaction.atomic():
        for name, upload_file in sorted(request.FILES.items()):
            if not name.startswith("file_content_"):
                continue
            index = name.removeprefix("file_content_")
            raw = request.POST.get(f"file_metadata_{index}") or _file_text(request, f"file_metadata_{index}")
            try:
                meta = json.loads(raw) if raw else {}
            except ValueError:
                return fault(
                    400,
                    "2010",
                    "Request has invalid or unsupported property",
                    f"file_metadata_{index} is not JSON",
                    company=company,
                )
            refs = meta.get("AttachableRef") or []
            for ref in refs:
                entity_ref = ref.get("EntityRef") or {}
                if entity_ref.get("type") != "Invoice" or find(company, "Invoice", entity_ref.get("value")) is None:
                    return fault(
                        400,
                        "2500",
                        "Invalid Reference Id",
                        f"Invalid Reference Id : AttachableRef {entity_ref}",
                        company=company,
                    )
            content = upload_file.read()
            body = {
                "FileName": meta.get("FileName") or upload_file.name,
                "ContentType": meta.get("ContentType") or upload_file.content_type,
                "Size": len(content),
                "AttachableRef": refs,
                "Category": meta.get("Category", "Document"),
            }
            row = entity_create(company, "Attachable", body, content=content)
            answers.append({"Attachable": render(row)})
    if not answers:
        return fault(
            400,
            "2020",
            "Required param missing, need to supply the required value for the API",
            "Required parameter file_content_01 is missing in the request",
            company=company,
        )
    return envelope(company, {"AttachableResponse": answers})


def _file_text(request, name: str) -> str:
    part = request.FILES.get(name)
    return part.read().decode() if part else ""


def cdc(company: QboCompany, params) -> Reply:
    names = [n.strip().lower() for n in params.get("entities", "").split(",") if n.strip()]
    if not names:
        return fault(
            400,
            "2020",
            "Required param missing, need to supply the required value for the API",
            "Required parameter entities is missing in the request",
            company=company,
        )
    unsupported = [n for n in names if n not in CDC_ENTITIES]
    if unsupported:
        return fault(
            400,
            "2010",
            "Request has invalid or unsupported property",
            f"CDC is not supported for entities: {', '.join(unsupported)}",
            company=company,
        )
    try:
        since = dt.datetime.fromisoformat(params.get("changedSince", "").replace("Z", "+00:00"))
    except ValueError:
        return fault(
            400,
            "2020",
            "Required param missing, need to supply the required value for the API",
            "changedSince must be a date-time such as 2026-05-01T09:00:00-07:00",
            company=company,
        )
    if since.tzinfo is None:
        since = since.replace(tzinfo=dt.UTC)
    if since < timezone.now() - CDC_LOOKBACK:
        return fault(
            400,
            "2010",
            "Request has invalid or unsupported property",
            "changedSince must be within the last 30 days",
            element="changedSince",
            company=company,
        )
    responses = []
    for name in names:
        entity = CDC_ENTITIES[name]
        rows = QboEntity.objects.filter(company=company, entity=entity, updated_at__gt=since).order_by("updated_at")
        found = [deleted_stub(row) if row.deleted_at else render(row) for row in rows[:CDC_MAX_OBJECTS]]
        page = {entity: found, "startPosition": 1, "maxResults": len(found), "totalCount": len(found)} if found else {}
        responses.append(page)
    return envelope(company, {"CDCResponse": [{"QueryResponse": responses}]})
