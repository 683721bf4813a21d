"""The provider sandboxes the kit serves, by key (each provider's package registers itself on import)."""

from .declaration import SandboxProvider

_PROVIDERS: dict[str, SandboxProvider] = {}


def register(provider: SandboxProvider) -> SandboxProvider:
    _PROVIDERS[provider.key] = provider
    return provider


def unregister(key: str) -> None:
    _PROVIDERS.pop(key, None)


def get(key: str) -> SandboxProvider | None:
    return _PROVIDERS.get(key)


def all_providers() -> list[SandboxProvider]:
    return list(_PROVIDERS.values())
