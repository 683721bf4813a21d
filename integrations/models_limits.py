"""What a provider's limits leave behind between calls, shared by every worker and host. Imported by
integrations.models (split out for size)."""

from django.db import models

from .models import Connection


class ErrorBudgetHit(models.Model):
    """One answer of a counted status (Exact: 400, 401, 403, 404) to a connection's call of an endpoint: the
    database store of integrations/error_budget.py, used when Django's cache is not shared by every process.
    Rows older than the budget's window are pruned when the next one is written."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="error_budget_hits")
    endpoint = models.CharField(max_length=200)  # the path template, lower case: "crm/accounts"
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["connection", "endpoint", "at"], name="integrations_errbudget_at")]

    def __str__(self):
        return f"error on {self.endpoint} for connection {self.connection_id} at {self.at:%H:%M:%S}"
