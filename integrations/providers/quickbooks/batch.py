"""POST /batch: up to 30 creates in one call (developer.intuit.com "Batch"; Intuit blog "Batch without a
Scratch": 30 items at most, each metered like a call, executed in order without seeing each other).

`bId` may be only 10 characters, so each element is named by its position ("b1".."b30") and mapped back to the
write's key. The batch's `requestid` (36 characters at most for /batch) is a digest of the elements' keys in
order: a retried batch of the same writes is answered by Intuit from the first execution, applied once. A Fault
in one element is that element's error; a throttle or a dead grant stops the whole batch unsent.
"""

from __future__ import annotations

import hashlib

from integrations.exceptions import (
    AmbiguousWriteError,
    IntegrationError,
    ProviderValidationError,
    TerminalError,
    ThrottledError,
)
from integrations.providers.base import DocumentWrite, WriteResult

from . import faults

BATCH_MAX = 30
BATCH_REQUESTID_MAX = 36


def batch_request_id(keys: list[str]) -> str:
    return hashlib.sha256("\n".join(keys).encode()).hexdigest()[:BATCH_REQUESTID_MAX]


def element_error(fault: faults.Fault) -> IntegrationError:
    if fault.type.lower().startswith("validation") or fault.codes - {faults.THROTTLE_EXCEEDED}:
        error = ProviderValidationError("QuickBooks refused the data.", messages=fault.messages or [fault.type])
        error.codes = fault.codes
        return error
    return IntegrationError("QuickBooks could not process this element.", "; ".join(fault.messages))


class BatchMixin:
    def _batch(self, entity: str, writes: list[DocumentWrite], action: str) -> list[tuple[str, object]]:
        """[(key, entity dict | IntegrationError)] per write, in order; raises what stops the whole batch."""
        if len(writes) > BATCH_MAX:
            raise ValueError(f"QuickBooks takes at most {BATCH_MAX} operations per batch.")
        body = {
            "BatchItemRequest": [
                {"bId": f"b{index}", "operation": "create", entity: write.payload}
                for index, write in enumerate(writes, start=1)
            ]
        }
        response = self.request(
            "POST",
            "batch",
            json=body,
            idempotency_key=batch_request_id([write.key for write in writes]),
            action=action,
        )
        answers = {str(item.get("bId")): item for item in (response.data or {}).get("BatchItemResponse") or [] if item}
        results: list[tuple[str, object]] = []
        for index, write in enumerate(writes, start=1):
            item = answers.get(f"b{index}")
            fault = faults.fault_from_json(item) if item else None
            if item is None:
                results.append((write.key, AmbiguousWriteError("QuickBooks' batch answer left this element out.")))
            elif fault is not None:
                results.append((write.key, element_error(fault)))
            elif isinstance(item.get(entity), dict):
                results.append((write.key, item[entity]))
            else:
                results.append((write.key, AmbiguousWriteError("QuickBooks' batch answer has no record here.")))
        return results

    def _batch_or_stop(self, entity, writes, action):
        try:
            return self._batch(entity, writes, action), None
        except (ThrottledError, TerminalError) as exc:
            return None, WriteResultFactory(exc, sent=False)
        except IntegrationError as exc:  # ambiguous or refused as a whole: every element shares the outcome
            return None, WriteResultFactory(exc, sent=True)

    def create_documents(self, kind: str, writes: list[DocumentWrite]) -> list[WriteResult]:
        self.check_export_kind(kind)
        if not writes:
            return []
        results, stop = self._batch_or_stop("Invoice", writes, f"{kind}.create")
        if stop is not None:
            return [stop(write.key) for write in writes]
        return [
            WriteResult(key, error=answer)
            if isinstance(answer, IntegrationError)
            else WriteResult(key, answer=self.remote_invoice(answer))
            for key, answer in results
        ]

    def create_contacts(self, companies: list) -> list[WriteResult]:
        """Customers in one batch; an element refused for a duplicate name (6240) is resolved as create_contact
        resolves it (the customer of that name, or "Name (2)")."""
        from .mapping import customer_payload

        if not companies:
            return []
        writes = [DocumentWrite(key, customer_payload(company)) for key, company in companies]
        results, stop = self._batch_or_stop("Customer", writes, "contact.create")
        if stop is not None:
            return [stop(key) for key, _company in companies]
        out: list[WriteResult] = []
        for (key, answer), (_key, company) in zip(results, companies, strict=True):
            if isinstance(answer, ProviderValidationError) and faults.DUPLICATE_NAME in getattr(answer, "codes", ()):
                try:
                    out.append(WriteResult(key, answer=self.create_contact(company)))
                except IntegrationError as exc:
                    out.append(WriteResult(key, error=exc))
            elif isinstance(answer, IntegrationError):
                out.append(WriteResult(key, error=answer))
            else:
                out.append(WriteResult(key, answer=self._contact(answer)))
        return out


class WriteResultFactory:
    """The same outcome for every element of a batch that failed as a whole."""

    def __init__(self, error: IntegrationError, *, sent: bool):
        self.error, self.sent = error, sent

    def __call__(self, key: str) -> WriteResult:
        return WriteResult(key, error=self.error, sent=self.sent)
