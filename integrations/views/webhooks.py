"""POST /integrations/<key>/webhooks/: where a provider delivers its signed events.

No login and no CSRF token: the provider authenticates each delivery by signing the raw body with the app's webhook
key, and nothing is read from the body before that signature checks out (a bad or missing one is a 401 with
nothing stored or logged). The answer is fast and empty (Xero wants a 200 within 5 s): the work is one insert
and, at most, one queued payment sync per connection.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import Http404, HttpResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from .. import registry
from ..providers.base import WebhookPayloadError
from ..services.webhooks import webhook_receive

logger = logging.getLogger("integrations.webhooks")


def _bounded_body(request) -> bytes | None:
    """The raw body, or None when it is larger than INTEGRATIONS_WEBHOOK_MAX_BYTES (refused unread if it says so)."""
    limit = settings.INTEGRATIONS_WEBHOOK_MAX_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return None
    body = request.read(limit + 1)
    return None if len(body) > limit else body


@method_decorator(csrf_exempt, name="dispatch")
class WebhookView(View):
    http_method_names = ["post"]
    # Declared for the route-security suite (tests/routes.py): authenticated by the provider's signature.
    signed_webhook = True

    def post(self, request, provider):
        provider = registry.get_configured_or_404(provider)
        if not provider.webhooks_on():
            raise Http404("This integration receives no webhooks.")
        body = _bounded_body(request)
        if body is None:
            return HttpResponse(status=413)
        if not body and provider.webhook_validation_ping:
            # The provider checks a new subscription's URL with an empty, unsigned POST (Exact): nothing to
            # read or store, and a 2xx makes the subscription live.
            return HttpResponse(status=200)
        if not provider.verify_webhook(request.headers, body):
            logger.warning("%s webhook refused: missing or wrong signature", provider.key)
            return HttpResponse(status=401)
        try:
            notices = provider.parse_webhook(body)
        except WebhookPayloadError as exc:
            logger.warning("%s webhook refused: %s", provider.key, exc)
            return HttpResponse(status=400)
        receipt = webhook_receive(provider=provider, notices=notices)
        logger.info(
            "%s webhook: %s new, %s duplicate, syncs queued for %s",
            provider.key,
            receipt.stored,
            receipt.duplicates,
            receipt.queued or "none",
        )
        return HttpResponse(status=200)
