"""`Authorization: Token <key>` against the hashed keys of billing.api_tokens (DRF's own Token stores keys in
plain text)."""

from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from billing import api_tokens


class ApiTokenAuthentication(TokenAuthentication):
    keyword = "Token"

    def authenticate_credentials(self, key):
        try:
            token = api_tokens.token_authenticate(key)
        except api_tokens.TokenRefused as refusal:
            raise exceptions.AuthenticationFailed(str(refusal)) from None
        return token.user, token
