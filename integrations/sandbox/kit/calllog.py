"""The call log the sandbox pages show: API calls answered and webhooks sent, per provider and tenant."""

from .clock import now_ms
from .models import ApiCall, CallDirection

LOG_KEEP = 2000  # rows kept; older ones are pruned every 100 rows


def log_call(
    provider_key: str,
    tenant_key: str,
    *,
    method: str,
    path: str,
    status: int,
    note: str = "",
    direction: str = CallDirection.IN,
) -> ApiCall:
    row = ApiCall.objects.create(
        provider=provider_key,
        tenant_key=str(tenant_key or ""),
        direction=direction,
        at=now_ms(),
        method=method,
        path=path[:2000],
        status_code=status,
        note=note[:255],
    )
    if row.pk % 100 == 0:
        oldest_kept = ApiCall.objects.order_by("-id").values_list("id", flat=True)[LOG_KEEP : LOG_KEEP + 1]
        if oldest_kept:
            ApiCall.objects.filter(id__lt=oldest_kept[0]).delete()
    return row


def recent_calls(provider_key: str, tenant_key: str, limit: int = 40):
    return ApiCall.objects.filter(provider=provider_key, tenant_key=str(tenant_key))[:limit]
