"""Every sandbox view answers 404 unless settings.SANDBOX_PROVIDERS is on (checked per request, not only when
the URLs are mounted, so flipping the setting can never expose a sandbox)."""

from functools import wraps

from django.conf import settings
from django.http import Http404


def sandbox_enabled(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not getattr(settings, "SANDBOX_PROVIDERS", False):
            raise Http404("No sandbox here.")
        return view(request, *args, **kwargs)

    return wrapper
