"""Mounted at /sandbox/ by productive/urls.py only when settings.SANDBOX_PROVIDERS is on."""

from .kit.urls import provider_urlpatterns
from .providers import BUILT_IN

app_name = "sandbox"
urlpatterns = [pattern for provider in BUILT_IN for pattern in provider_urlpatterns(provider)]
