"""Contacts: unique names among active contacts, and the Contact of a document (created from a Name)."""

from ...models import XeroContact, XeroOrg
from ..formats import now_ms
from .common import NOT_FOUND, ElementInvalid, text_field


def _name_taken(org: XeroOrg, name: str, exclude_pk=None) -> bool:
    clash = XeroContact.objects.filter(org=org, status="ACTIVE", name__iexact=name.strip())
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    return clash.exists()


def contact_save(*, org: XeroOrg, data: dict, create_only: bool, contact_id: str | None = None) -> XeroContact:
    errors: list[str] = []
    contact_id = contact_id or data.get("ContactID")
    contact = None
    if contact_id:
        contact = XeroContact.objects.filter(org=org, contact_id=contact_id).first()
        if contact is None:
            raise ElementInvalid([NOT_FOUND])
    elif not create_only and data.get("ContactNumber"):
        contact = XeroContact.objects.filter(org=org, contact_number=data["ContactNumber"]).first()
    name = text_field(data, "Name", 255, errors)
    if contact is None and not (name or "").strip():
        errors.append("The contact name must be specified.")
    if name and name.strip() and _name_taken(org, name, exclude_pk=contact.pk if contact else None):
        errors.append(
            f"The contact name {name.strip()} is already assigned to another contact. "
            "The contact name must be unique across all active contacts."
        )
    fields = {
        "first_name": text_field(data, "FirstName", 255, errors),
        "last_name": text_field(data, "LastName", 255, errors),
        "email": text_field(data, "EmailAddress", 255, errors),
        "contact_number": text_field(data, "ContactNumber", 50, errors),
        "account_number": text_field(data, "AccountNumber", 50, errors),
        "tax_number": text_field(data, "TaxNumber", 50, errors),
        "default_currency": text_field(data, "DefaultCurrency", 3, errors),
    }
    status = data.get("ContactStatus")
    if status is not None and status not in ("ACTIVE", "ARCHIVED"):
        errors.append(f"ContactStatus '{status}' is not valid.")
    if errors:
        raise ElementInvalid(errors)
    contact = contact or XeroContact(org=org)
    if name:
        contact.name = name.strip()
    for attr, value in fields.items():
        if value is not None:
            setattr(contact, attr, value)
    if status:
        contact.status = status
    contact.updated_at = now_ms()
    contact.save()
    return contact


def document_contact(org: XeroOrg, data, errors: list[str], *, customer: bool) -> XeroContact | None:
    """The Contact of a document: by ContactID, ContactNumber, or Name (Xero creates it when unknown)."""
    if not isinstance(data, dict) or not any(data.get(k) for k in ("ContactID", "ContactNumber", "Name")):
        errors.append("A Contact must be specified for this type of transaction")
        return None
    if data.get("ContactID"):
        contact = XeroContact.objects.filter(org=org, contact_id=str(data["ContactID"])).first()
        if contact is None:
            errors.append("The contact specified could not be found.")
        return contact
    if data.get("ContactNumber"):
        contact = XeroContact.objects.filter(org=org, contact_number=data["ContactNumber"]).first()
        if contact is not None:
            return contact
    name = str(data.get("Name") or "").strip()
    if not name:
        errors.append("The contact specified could not be found.")
        return None
    contact = XeroContact.objects.filter(org=org, status="ACTIVE", name__iexact=name).first()
    if contact is None:
        contact = XeroContact.objects.create(
            org=org,
            name=name,
            contact_number=str(data.get("ContactNumber") or "")[:50],
            email=str(data.get("EmailAddress") or "")[:255],
            is_customer=customer,
            is_supplier=not customer,
            updated_at=now_ms(),
        )
    return contact
