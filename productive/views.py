"""Error pages of the whole site, inside the app's frame (templates/403.html extends base.html)."""

from __future__ import annotations

from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

CSRF_EXPIRED = (
    "The form's security check (CSRF) failed: it was open too long or came from another site. "
    "Go back, reload the page and try again."
)


def back_url(request) -> str:
    """Where "Go back" leads: the page the user came from on this site, else the invoice list."""
    referer = request.META.get("HTTP_REFERER", "")
    came_from_here = url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    if came_from_here and referer != request.build_absolute_uri():
        return referer
    return reverse("home")


def forbidden(request, message: str):
    context = {"message": message, "back_url": back_url(request)}
    return render(request, "403.html", context, status=403)


def permission_denied(request, exception=None):
    """handler403: every PermissionDenied raised by a page (the API's DRF views answer JSON themselves)."""
    message = str(exception) if exception is not None and str(exception) else ""
    return forbidden(request, message or "You do not have access to this page.")


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: the same page, with what to do instead of Django's technical reason."""
    return forbidden(request, CSRF_EXPIRED)
