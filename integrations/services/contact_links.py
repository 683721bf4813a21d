"""Which provider contact stands for a company, per connection and role (ContactLink): the customer our invoices
go to, the supplier our bills and purchase orders come from (the role is the document adapter's contact_role).

A contact someone names is checked against the provider's form of ids before anything is saved or sent; a link
is remembered only once the provider has accepted a document sent to that contact (so an id it never issued
cannot poison later copies, bulk ones included); an admin can forget a wrong one.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

from billing.models import Company

from .. import registry
from ..documents import adapter_for
from ..models import Connection, ContactLink, ContactRole, LogLevel, RemoteDocument
from ..synclog import document_log_fields, log


def contact_id_clean(*, connection: Connection, contact_id: str) -> str:
    """The contact id named for a copy, in the connection's provider's form ("" for none); ValidationError keyed
    `contact_id` otherwise, before anything is saved or sent."""
    try:
        provider = registry.get(connection.provider)
    except registry.ProviderNotFound:
        raise ValidationError({"connection": "This integration is not available."}) from None
    try:
        return provider.clean_contact_id(contact_id or "")
    except ValidationError as exc:
        raise ValidationError({"contact_id": exc.messages}) from None


def contact_link_usable(connection: Connection, link: ContactLink) -> bool:
    """Whether a remembered id still has the provider's form (links saved before ids were checked may not)."""
    try:
        return bool(contact_id_clean(connection=connection, contact_id=link.remote_id))
    except ValidationError:
        return False


def copy_role(copy: RemoteDocument) -> str:
    """The role of the contact a remote document is sent to (customer for invoices, supplier for bills)."""
    return adapter_for(copy.kind).contact_role


def _log(connection_id: int, organization_id: int, action: str, message: str, remote_id: str, **document):
    log(
        organization_id=organization_id,
        connection_id=connection_id,
        **document,
        level=LogLevel.INFO,
        action=action,
        message=message,
        remote_id=remote_id,
    )


def contact_link_remember(*, copy: RemoteDocument, company: Company) -> None:
    """After the provider accepted the copy: remember the contact it was sent to (`copy.contact_sent`, set while
    sending; None when an earlier copy was adopted and nothing was sent)."""
    sent = copy.contact_sent
    if sent is None or not sent.id:
        return
    role = copy_role(copy)
    link = ContactLink.objects.filter(connection_id=copy.connection_id, company=company, role=role).first()
    same_contact = link is not None and link.remote_id == sent.id
    name = sent.name or (link.remote_name if same_contact else "")
    if same_contact and link.remote_name == name:
        return
    ContactLink.objects.update_or_create(
        connection_id=copy.connection_id,
        company=company,
        role=role,
        defaults={"remote_id": sent.id, "remote_name": name},
    )
    _log(
        copy.connection_id,
        copy.organization_id,
        "contact.linked",
        f"{company} is linked to the contact “{name or sent.id}”.",
        sent.id,
        **document_log_fields(copy),
    )


def contact_link_forget(
    *, connection: Connection, company: Company, user=None, role: str = ContactRole.CUSTOMER
) -> ContactLink | None:
    """Forget the contact remembered for the company in this role on this connection (the next copy asks, or
    creates one). Returns the forgotten link, None when there was none."""
    if company.organization_id != connection.organization_id:
        raise ValidationError({"company": "Not found."})
    link = ContactLink.objects.filter(connection=connection, company=company, role=role).first()
    if link is None:
        return None
    link.delete()
    who = f" by {user}" if getattr(user, "is_authenticated", False) else ""
    _log(
        connection.pk,
        connection.organization_id,
        "contact.unlinked",
        f"{company} is no longer linked to the contact “{link.remote_name or link.remote_id}” (forgotten{who}).",
        link.remote_id,
    )
    return link
