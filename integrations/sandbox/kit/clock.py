"""The kit's clock: now at millisecond precision (what providers report), so stored equals reported."""

import datetime as dt

from django.utils import timezone


def now_ms() -> dt.datetime:
    now = timezone.now()
    return now.replace(microsecond=now.microsecond // 1000 * 1000)
