"""URLs for the kit's tests: the test-only provider mounted under /sandbox/ like a built-in one."""

from django.urls import include, path

from integrations.sandbox.kit.urls import provider_urlpatterns

from .tiny_provider import TINY, TINY_STATIC

urlpatterns = [
    path("sandbox/", include(([*provider_urlpatterns(TINY), *provider_urlpatterns(TINY_STATIC)], "sandbox")))
]
