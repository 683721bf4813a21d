"""The daily Needs attention e-mail: off by default, switched on per admin (AttentionDigest), sent through
Django's e-mail backend by a daily schedule (integrations.schedules) only when something needs attention, and only
to users who are still admins of the organization. At most one e-mail per admin and day, however often it runs."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from billing.choices import Role
from billing.models import Membership

from .. import registry
from ..attention import attention_counts, attention_for
from ..models import AttentionDigest, Connection

# A day, less a margin: a schedule that ticks a little early does not skip a day.
MIN_INTERVAL = timedelta(hours=20)


def attention_digest_set(*, organization, user, enabled: bool) -> AttentionDigest:
    digest, _ = AttentionDigest.objects.update_or_create(
        organization=organization, user=user, defaults={"enabled": bool(enabled)}
    )
    return digest


def attention_digest_enabled(*, organization, user) -> bool:
    return AttentionDigest.objects.filter(organization=organization, user=user, enabled=True).exists()


def _summary(organization) -> list[dict]:
    """Each connection needing attention: its name, provider, what is waiting, and the page's address."""
    counts = attention_counts(organization=organization)
    rows = []
    for connection in Connection.objects.filter(pk__in=counts).order_by("provider", "name"):
        item = attention_for(connection=connection)
        provider = registry.get(connection.provider)
        rows.append(
            {
                "connection": connection,
                "provider": provider.name,
                "copies": len(item.copies),
                "payments": len(item.payments),
                "mismatches": item.mismatches,
                "needs_reconnect": item.needs_reconnect,
                "count": item.count,
                "url": settings.SITE_URL + reverse("integrations:connection-attention", args=[connection.pk]),
            }
        )
    return rows


def attention_digests_send(*, now=None) -> int:
    """Send the day's e-mails; returns how many went."""
    now = now or timezone.now()
    still_admin = Membership.objects.filter(
        user_id=OuterRef("user_id"), organization_id=OuterRef("organization_id"), role=Role.ADMIN
    )
    due = (
        AttentionDigest.objects.filter(enabled=True)
        .filter(Exists(still_admin))
        .exclude(last_sent_at__gt=now - MIN_INTERVAL)
        .select_related("organization", "user")
        .order_by("organization_id", "pk")
    )
    sent = 0
    summaries: dict[int, list[dict]] = {}
    for digest in due:
        if digest.organization_id not in summaries:
            summaries[digest.organization_id] = _summary(digest.organization)
        rows = summaries[digest.organization_id]
        if not rows or not digest.user.email:
            continue
        total = sum(row["count"] for row in rows)
        context = {"organization": digest.organization, "rows": rows, "total": total}
        subject = f"{total} {'item needs' if total == 1 else 'items need'} attention in {digest.organization.name}"
        body = render_to_string("integrations/activity/digest_email.txt", context)
        send_mail(subject, body, None, [digest.user.email])
        AttentionDigest.objects.filter(pk=digest.pk).update(last_sent_at=now)
        sent += 1
    return sent
