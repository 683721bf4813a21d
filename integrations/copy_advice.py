"""What to do about a failed copy, in one place: the invoice panel, the expense and purchase order panel, and Needs
attention all word it from the attempt's `error_kind` and the provider's advice for its words."""

from . import registry
from .models import Connection, CopyErrorKind, CopyStatus, RemoteDocument


def panel_row(connection: Connection, copy: RemoteDocument | None, attempt: RemoteDocument | None, verb: str) -> dict:
    """One connection's row of a document's panel: its copy (the latest successful one, else the newest attempt),
    the newest attempt when that failed (its badge shows above the copy), and what to do about it."""
    provider = registry.get(connection.provider)
    failed = attempt if attempt is not None and attempt.status == CopyStatus.FAILED else None
    return {
        "connection": connection,
        "provider": provider,
        "copy": copy,
        "failed_attempt": failed,
        "next_step": panel_next_step(failed=failed, copy=copy, provider=provider, verb=verb) if failed else "",
    }


def provider_advice(failed: RemoteDocument, provider, operation: str) -> str:
    """The provider's own next step for the words it refused with ("" when it has none, or nothing was refused)."""
    if provider is None or not failed.error_refused:
        return ""
    return provider.refusal_action(failed.error.splitlines(), operation)


def panel_next_step(*, failed: RemoteDocument, copy: RemoteDocument | None, provider, verb: str = "copy") -> str:
    """The panel's "What to do" for the newest attempt that failed. `verb` is the panel's word for sending
    ("copy" for invoices, "send" for bills and purchase orders); with a copy already there, again is an update.
    Rows are active connections: a lost grant's failure shows once reconnected, when copying again is all."""
    updating = copy is not None and copy.status == CopyStatus.SUCCEEDED
    advice = provider_advice(failed, provider, "update" if updating else "copy")
    if advice:
        return advice
    name = provider.name
    update = " with “Update existing”" if updating else ""
    if not failed.error_refused:
        soon = " in a few minutes" if failed.error_kind == CopyErrorKind.TRANSIENT else ""
        return (
            f"nothing to correct: the {verb} did not get through to {name} (nothing was refused). "
            f"{verb.capitalize()} again{soon}{update}."
        )
    return f"correct what {name} named above (here or in {name}), then {verb} again{update}."
