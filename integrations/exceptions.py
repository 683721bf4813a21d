"""One error hierarchy for every provider: what the caller should do next, not which HTTP status it was.

IntegrationError                   anything a provider call can raise; `message` is ours, `provider_message` theirs
├ TerminalError                    revoked / invalid_grant / 401 after a refresh → the connection needs reconnecting
├ ThrottledError                   429: wait `retry_after` seconds (`problem` names the limit that was hit)
├ TransientError                   5xx, timeouts, connection errors, invalid JSON, after bounded retries
│ └ AmbiguousWriteError            a write whose outcome is unknown: look the record up before writing again
└ ProviderValidationError          400: the provider refused the data; `messages` are its words, verbatim

`message` and `provider_message` are what users read (pages, API, Connection.last_error): `provider_message` only
ever carries what the provider said in its documented error shape. `raw_body` is the provider's answer as it came
(an HTML error page, say), trimmed: for the support log (SyncLogEntry.provider_response) only, never shown.
"""

from __future__ import annotations


class IntegrationError(Exception):
    raw_body: str = ""  # set by ApiClient on HTTP errors; support log only

    def __init__(self, message: str, provider_message: str = "", http_status: int | None = None):
        super().__init__(message)
        self.message = message
        self.provider_message = provider_message
        self.http_status = http_status

    def __str__(self) -> str:
        if self.provider_message and self.provider_message not in self.message:
            return f"{self.message} {self.provider_message}"
        return self.message


class TerminalError(IntegrationError):
    """The grant is gone (revoked, invalid_grant, unauthorized after a refresh): only a reconnect helps."""


class ThrottledError(IntegrationError):
    def __init__(
        self,
        message: str,
        provider_message: str = "",
        http_status: int | None = 429,
        *,
        retry_after: int | None = None,
        problem: str = "",
    ):
        super().__init__(message, provider_message, http_status)
        self.retry_after = retry_after
        self.problem = problem


class TransientError(IntegrationError):
    """Worth retrying later; never a reason to change the connection's status."""


class AmbiguousWriteError(TransientError):
    """A write may or may not have happened (timeout or drop after sending, 5xx on a write)."""


class ProviderValidationError(IntegrationError):
    def __init__(
        self,
        message: str,
        provider_message: str = "",
        http_status: int | None = 400,
        *,
        messages: list[str] | None = None,
    ):
        self.messages = list(messages or ([provider_message] if provider_message else []))
        super().__init__(message, provider_message or "; ".join(self.messages), http_status)
