"""Changing a posted sales entry: `PUT salesentry/SalesEntries(guid'…')` (the properties sent replace the
stored ones, `SalesEntryLines` when sent replace all lines; the entry is booked again with the new amounts, its
receivable keeps its payments) and `DELETE` (refused while payments are registered or matched)."""

from .booking import Booking, book, unbook
from .demo import user_id
from .entries import customer_of, entry_body, entry_lines, entry_type, parse_date
from .models import ExactDivision, ExactEntity
from .odata import ODataError
from .payments import MATCHED_BY, paid_on, receivable_of, receivable_refresh
from .store import entity_delete, entity_save, find, find_by
from .webhooks import notify


def _stored_lines(division: ExactDivision, entry: dict) -> dict:
    return {
        "SalesEntryLines": [
            {
                "GLAccount": line["GLAccount"],
                "AmountFC": line["AmountFC"],
                "VATCode": line["VATCode"],
                "VATAmountFC": line["VATAmountFC"],
                "Description": line["Description"],
            }
            for line in entry["SalesEntryLines"]
        ]
    }


def sales_entry_update(division: ExactDivision, row: ExactEntity, body: dict) -> None:
    entry = row.body
    if "Journal" in body and str(body["Journal"]).strip() != entry["Journal"]:
        raise ODataError("The journal of an entry can not be changed")
    if "EntryNumber" in body and body["EntryNumber"] not in (None, entry["EntryNumber"]):
        raise ODataError("The entry number of an entry can not be changed")
    customer = customer_of(division, body.get("Customer") or entry["Customer"], "Customer")
    date = parse_date(body["EntryDate"], "EntryDate") if body.get("EntryDate") else entry["EntryDate"]
    lines = entry_lines(division, body if "SalesEntryLines" in body else _stored_lines(division, entry))
    booking = Booking(
        entry_id=row.key,
        number=entry["EntryNumber"],
        journal=find(division, "Journal", _journal_key(division, entry["Journal"])),
        customer=customer,
        date=date,
        due=parse_date(body["DueDate"], "DueDate") if body.get("DueDate") else entry["DueDate"],
        currency=str(body.get("Currency") or entry["Currency"]),
        description=str(body.get("Description", entry["Description"]) or "")[:60],
        your_ref=str(body.get("YourRef", entry["YourRef"]) or "")[:40],
        lines=lines,
        user=user_id(division.locale),
    )
    receivable = receivable_of(division, row.key)
    unbook(division, row.key)
    receivable = book(division, booking, receivable)
    kind = entry_type({"Type": body.get("Type", entry["Type"])})
    entity_save(row, entry_body(division, booking, kind, body.get("PaymentReference", entry["PaymentReference"])))
    receivable_refresh(division, receivable)
    notify(division, "SalesEntries", "Update", row.key, "salesentry/SalesEntries")


def _journal_key(division: ExactDivision, code: str) -> str:
    return find_by(division, "Journal", Code=code).key


def sales_entry_delete(division: ExactDivision, row: ExactEntity) -> None:
    receivable = receivable_of(division, row.key)
    if receivable and (receivable.body.get(MATCHED_BY) or paid_on(division, receivable)[0]):
        raise ODataError("This entry has payments or is matched and can not be deleted")
    unbook(division, row.key)
    if receivable:
        entity_delete(receivable)
    entity_delete(row)
    notify(division, "SalesEntries", "Delete", row.key, "salesentry/SalesEntries")
