"""URLs for the kit's tests: the test-only provider mounted under /sandbox/ like a built-in one."""

from django.urls import include, path

from integrations.sandbox.kit.urls import provider_urlpatterns

from .tiny_provider import TINY

urlpatterns = [path("sandbox/", include((provider_urlpatterns(TINY), "sandbox")))]
