"""What to do about a failed copy, in one place: the invoice panel, the expense and purchase order panel, and Needs
attention all word it from the attempt's `error_kind` and the provider's advice for its words."""

from .models import CopyErrorKind, CopyStatus, RemoteDocument


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
