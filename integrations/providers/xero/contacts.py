"""Mixed into XeroApi: contacts: the contact search of the copy prompt, and making a contact from one of our
companies (with a numbered name when Xero already has another contact of that name).
https://developer.xero.com/documentation/api/accounting/contacts
"""

from __future__ import annotations

import uuid

from integrations.exceptions import ProviderValidationError
from integrations.providers.base import RemoteContact

NAME_CLASH = "is already assigned to another contact"
MAX_NAME_SUFFIX = 5


def where_string(value: str) -> str:
    """A string literal for Xero's `where` filter."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class XeroContacts:
    @staticmethod
    def _contact(element: dict) -> RemoteContact:
        return RemoteContact(
            id=str(element["ContactID"]),
            name=str(element.get("Name") or ""),
            email=str(element.get("EmailAddress") or ""),
        )

    def search_contacts(self, term: str) -> list[RemoteContact]:
        term = (term or "").strip()
        if not term:
            return []
        data = self._get("Contacts", params={"searchTerm": term, "summaryOnly": "true", "page": 1})
        return [self._contact(c) for c in data.get("Contacts") or [] if c.get("ContactStatus", "ACTIVE") == "ACTIVE"]

    def contact_by_name(self, name: str) -> dict | None:
        data = self._get("Contacts", params={"where": f"Name=={where_string(name)}"})
        for element in data.get("Contacts") or []:
            if element.get("Name", "").strip().lower() == name.strip().lower():
                return element
        return None

    def create_contact(self, company) -> RemoteContact:
        from .mapping import contact_number, contact_payload

        ours = contact_number(company)
        name = company.name
        for attempt in range(1, MAX_NAME_SUFFIX + 1):
            try:
                data = self._write(
                    "PUT",
                    "Contacts",
                    {"Contacts": [contact_payload(company, name=name)]},
                    idempotency_key=f"contact-{uuid.uuid4()}",
                    action="contact.create",
                )
                return self._contact(self._first(data, "Contacts"))
            except ProviderValidationError as exc:
                if not any(NAME_CLASH in message for message in exc.messages):
                    raise
            existing = self.contact_by_name(name)
            if existing and existing.get("ContactNumber", "") in ("", ours):
                return self._contact(existing)  # the same client, created earlier or by hand
            name = f"{company.name} ({attempt + 1})"
        raise ProviderValidationError(
            "Xero already has several contacts with this company's name: pick one in the contact search.",
            messages=[f"The contact name {company.name} is already assigned to another contact."],
        )
