from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

handler403 = "productive.views.permission_denied"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="billing:invoice-list", permanent=False), name="home"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("", include("billing.urls")),
    path("", include("integrations.urls")),
    path("api/v1/", include("productive.api_urls")),
]
if settings.SANDBOX_PROVIDERS:  # the provider stand-ins (integrations.sandbox); never mounted in production
    urlpatterns.append(path("sandbox/", include("integrations.sandbox.urls")))
