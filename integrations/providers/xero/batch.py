"""Xero's batch writes: up to 50 invoices or bills in one `PUT /Invoices?summarizeErrors=false` (purchase orders on
`PUT /PurchaseOrders`), contacts likewise on
`PUT /Contacts`. With summarizeErrors=false Xero answers 200 and marks each failed element (`HasErrors` /
`StatusAttributeString` "ERROR" with its `ValidationErrors`), so one bad element never hides its neighbours'
results (developer.xero.com/documentation/api/accounting/overview, "Summarize errors").

The batch carries one Idempotency-Key derived from its elements' keys: a retry of the same elements is answered,
not repeated; a batch of other elements is another call.
"""

from __future__ import annotations

import hashlib
from contextlib import contextmanager

from integrations.exceptions import IntegrationError, ProviderValidationError, TerminalError, ThrottledError
from integrations.providers.accounting_api import BatchLimits, DocumentWrite, WriteResult

from .contacts import MAX_NAME_SUFFIX, NAME_CLASH, where_string

# Xero's advice: at most 50 elements a request (and 3.5 MB a body).
BATCH_SIZE = 50
BATCH_KEY_PREFIX = "batch-"


def batch_key(keys: list[str]) -> str:
    """One Idempotency-Key for a batch (Xero takes 128 characters): the same elements give the same key."""
    return BATCH_KEY_PREFIX + hashlib.sha256("\n".join(keys).encode()).hexdigest()


def element_failed(element: dict) -> bool:
    return bool(element.get("HasErrors") or element.get("HasValidationErrors")) or (
        element.get("StatusAttributeString") == "ERROR"
    )


def element_error(element: dict) -> ProviderValidationError:
    messages = [str(e["Message"]) for e in element.get("ValidationErrors") or [] if e.get("Message")]
    return ProviderValidationError("Xero refused the data.", messages=messages or ["(no message)"])


def or_names_where(names: list[str]) -> str:
    """`Name=="a" OR Name=="b"`: Xero's where filter for several contacts by name, in one GET."""
    return " OR ".join(f"Name=={where_string(name)}" for name in names)


class XeroBatchWrites:
    """Mixed into XeroApi: AccountingApi.create_documents / create_contacts on Xero's batch endpoints."""

    batch_limits = BatchLimits(documents=BATCH_SIZE, contacts=BATCH_SIZE)
    _per_element = False  # while True, validate_response leaves failed elements to the batch reader

    @contextmanager
    def _elements_read_one_by_one(self):
        self._per_element = True
        try:
            yield
        finally:
            self._per_element = False

    def _batch_put(self, collection: str, elements: list[dict], keys: list[str], action: str, params=None):
        """The answer's elements, in the order sent; an error that refused the whole call is raised."""
        with self._elements_read_one_by_one():
            data = self._write(
                "PUT", collection, {collection: elements}, idempotency_key=batch_key(keys), action=action, params=params
            )
        answered = data.get(collection) or []
        if len(answered) != len(elements):
            raise ProviderValidationError(f"Xero answered {len(answered)} {collection} for {len(elements)} sent.")
        return answered

    # --- documents -------------------------------------------------------------------------------------------

    def create_documents(self, kind: str, writes: list[DocumentWrite]) -> list[WriteResult]:
        from .client import INVOICE_WRITE_PARAMS
        from .documents import DOCUMENTS

        self.check_export_kind(kind)
        if not writes:
            return []
        keys = [write.key for write in writes]
        try:
            answered = self._batch_put(
                DOCUMENTS[kind].collection,
                [write.payload for write in writes],
                keys,
                f"{kind}.create_batch",
                params=INVOICE_WRITE_PARAMS,
            )
        except (ThrottledError, TerminalError) as exc:
            return [WriteResult(key, error=exc, sent=False) for key in keys]
        except IntegrationError as exc:  # the whole call failed (or its outcome is unknown): each element says so
            return [WriteResult(key, error=exc) for key in keys]
        return [
            WriteResult(key, error=element_error(element))
            if element_failed(element)
            else WriteResult(key, answer=self.remote_document(kind, element))
            for key, element in zip(keys, answered, strict=True)
        ]

    # --- contacts --------------------------------------------------------------------------------------------

    def create_contacts(self, companies: list) -> list[WriteResult]:
        """Each company's contact; a name that is taken is looked up (all of a round's clashes in ONE
        `GET /Contacts?where=Name=="a" OR Name=="b"`): the same client (its ContactNumber ours or empty) is
        adopted, another gets "Name (2)", "Name (3)"… as create_contact does."""
        from .mapping import contact_number, contact_payload

        results: dict[str, WriteResult] = {}
        todo = [(key, company, company.name) for key, company in companies]
        for attempt in range(1, MAX_NAME_SUFFIX + 1):
            if not todo:
                break
            payloads = [contact_payload(company, name=name) for _, company, name in todo]
            try:
                answered = self._batch_put(
                    "Contacts", payloads, [f"{key}:{name}" for key, _, name in todo], "contact.create_batch"
                )
            except (ThrottledError, TerminalError) as exc:
                results.update({key: WriteResult(key, error=exc, sent=False) for key, _, _ in todo})
                todo = []
                break
            except IntegrationError as exc:
                results.update({key: WriteResult(key, error=exc) for key, _, _ in todo})
                todo = []
                break
            clashes = []
            for (key, company, name), element in zip(todo, answered, strict=True):
                if not element_failed(element):
                    results[key] = WriteResult(key, answer=self._contact(element))
                    continue
                error = element_error(element)
                if any(NAME_CLASH in message for message in error.messages):
                    clashes.append((key, company, name))
                else:
                    results[key] = WriteResult(key, error=error)
            todo = []
            if not clashes:
                break
            try:
                existing = self._contacts_named([name for _, _, name in clashes])
            except IntegrationError as exc:
                results.update({key: WriteResult(key, error=exc, sent=False) for key, _, _ in clashes})
                break
            for key, company, name in clashes:
                found = existing.get(name.strip().lower())
                if found and found.get("ContactNumber", "") in ("", contact_number(company)):
                    results[key] = WriteResult(key, answer=self._contact(found))  # the same client
                else:
                    todo.append((key, company, f"{company.name} ({attempt + 1})"))
        for key, company, _ in todo:
            results[key] = WriteResult(
                key,
                error=ProviderValidationError(
                    "Xero already has several contacts with this company's name: pick one in the contact search.",
                    messages=[f"The contact name {company.name} is already assigned to another contact."],
                ),
            )
        return [results[key] for key, _ in companies]

    def _contacts_named(self, names: list[str]) -> dict[str, dict]:
        data = self._get("Contacts", params={"where": or_names_where(names)})
        return {str(c.get("Name", "")).strip().lower(): c for c in data.get("Contacts") or []}
