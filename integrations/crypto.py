"""Encryption at rest for provider credentials: Fernet with a rotating key list from the environment.

Keys are NOT derived from SECRET_KEY, so rotating SECRET_KEY never makes stored tokens unreadable.
INTEGRATIONS_ENCRYPTION_KEYS is a comma-separated list: the first key encrypts, every key decrypts
(MultiFernet); `manage.py rotate_encryption_keys` re-encrypts every row under the first key.
"""

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@lru_cache(maxsize=8)
def _fernet_for(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("INTEGRATIONS_ENCRYPTION_KEYS is empty: set at least one Fernet key.")
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(f"INTEGRATIONS_ENCRYPTION_KEYS holds an invalid Fernet key: {exc}") from None


def fernet() -> MultiFernet:
    return _fernet_for(tuple(settings.INTEGRATIONS_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str) -> str:
    try:
        return fernet().decrypt(ciphertext.encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured(
            "A stored credential cannot be decrypted with INTEGRATIONS_ENCRYPTION_KEYS (was a key removed?)."
        ) from None


def rotate(ciphertext: str) -> str:
    return fernet().rotate(ciphertext.encode()).decode()
