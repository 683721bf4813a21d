"""URLs for the kit's tests: the test-only provider mounted under /sandbox/ like a built-in one."""

from django.urls import include, path

from integrations.sandbox.kit.urls import provider_urlpatterns

from .tiny_provider import TINY, TINY_HOSTED, TINY_STATIC

urlpatterns = [
    path(
        "sandbox/", include(([u for p in (TINY, TINY_STATIC, TINY_HOSTED) for u in provider_urlpatterns(p)], "sandbox"))
    )
]
