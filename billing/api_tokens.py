"""REST API tokens: issued with a random key that is shown once, stored as its SHA-256 digest, expiring after
API_TOKEN_TTL_DAYS unless told otherwise, revoked (kept on record) rather than deleted.

A key has 256 random bits, so a plain SHA-256 digest is enough (no salt or slow hash: nothing to guess), and
the lookup by digest is an index hit that reveals nothing about other keys.
"""

import datetime
import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from .models import ApiToken

PREFIX_LENGTH = 8
LAST_USED_PRECISION = datetime.timedelta(hours=1)  # at most one write per token and hour


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    key: str  # exists only here: show it once, never store or log it


class TokenRefused(Exception):
    """A key that does not authenticate; the message says why and what to do."""


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def default_expiry() -> datetime.datetime:
    return timezone.now() + datetime.timedelta(days=settings.API_TOKEN_TTL_DAYS)


def token_issue(*, user, name: str, expires_at: datetime.datetime | None = None) -> IssuedToken:
    key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=key[:PREFIX_LENGTH],
        digest=key_digest(key),
        expires_at=expires_at or default_expiry(),
    )
    return IssuedToken(token=token, key=key)


def tokens_revoke(tokens: QuerySet[ApiToken]) -> int:
    """Revoke the tokens not revoked yet; returns how many were."""
    return tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


def token_authenticate(key: str) -> ApiToken:
    """The live token of this key (its user loaded), or TokenRefused. Records the use, once an hour at most."""
    token = ApiToken.objects.select_related("user").filter(digest=key_digest(key)).first()
    if token is None:
        raise TokenRefused("Invalid token.")
    if token.revoked_at is not None:
        raise TokenRefused("This API token was revoked; ask support staff for a new one.")
    now = timezone.now()
    if token.expires_at <= now:
        expired = timezone.localtime(token.expires_at).strftime("%Y-%m-%d %H:%M %Z")
        raise TokenRefused(f"This API token expired on {expired}; ask support staff for a new one.")
    if not token.user.is_active:
        raise TokenRefused("User inactive or deleted.")
    if token.last_used_at is None or token.last_used_at < now - LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
