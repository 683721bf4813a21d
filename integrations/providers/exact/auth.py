"""What Exact's token endpoint says that the shared OAuth base reads otherwise.

- `401 {"error": "unauthorized_client", "error_description": "Old refresh token used."}`: the refresh token was
  spent (rotated by an earlier refresh); only a new consent helps (picqer/exact-php-client#644), so the grant is
  dead (TerminalError), not a client-credentials problem.
- `400 {"error": "access_denied", "error_description": "Rate limit exceeded: access_token not expired"}`
  (TooEarlyToRefreshTokens, websmurf/laravel-exact-online#31): asked before the token's 9.5 minutes; the
  TokenPolicy prevents it, a clock skew may not: wait a minute (ThrottledError).
"""

from __future__ import annotations

from integrations.exceptions import TerminalError, ThrottledError
from integrations.providers.oauth2 import OAuth2TokenClient, _json_or_none

TOO_EARLY_WAIT = 60


class ExactTokenClient(OAuth2TokenClient):
    """Also reads the API's own error shape: current/Me and system/Divisions are asked with it while connecting."""

    def error_messages(self, response) -> list[str]:
        from .odata import error_messages

        return error_messages(response) or super().error_messages(response)

    def error_for(self, response):
        body = _json_or_none(response)
        error = str(body.get("error") or "") if isinstance(body, dict) else ""
        description = str(body.get("error_description") or "") if isinstance(body, dict) else ""
        detail = "; ".join(self.error_messages(response))
        if "old refresh token" in description.lower() or "refresh token expired" in description.lower():
            return TerminalError(
                "Exact Online no longer accepts this connection's authorisation (its refresh token was already "
                "used or expired): reconnect it.",
                detail,
                response.status_code,
            )
        if error == "access_denied" and "not expired" in description.lower():
            return ThrottledError(
                "Exact Online refused an early token refresh: trying again shortly.",
                detail,
                response.status_code,
                retry_after=TOO_EARLY_WAIT,
                problem="token-minimum-age",
            )
        return super().error_for(response)
