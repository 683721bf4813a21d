"""Exact Online's sandbox state: pretend divisions (per country site) and their OData entities.

Every entity (Account, GLAccount, Journal, VATCode, SalesEntry, SalesInvoice, TransactionLine, Receivable,
WebhookSubscription, …) is one row holding its Exact JSON body; the key, the sync `Timestamp` (a per-division row
version, raised on every change) and deletion live in columns, so OData paging, `$filter`, the sync endpoints and
`sync/Deleted` work the same way for every entity. Money inside bodies is kept as decimal strings (never float).
"""

from django.db import models


class ExactDivision(models.Model):
    code = models.PositiveIntegerField(unique=True)  # Exact's division number, in every API path
    locale = models.CharField(max_length=2)  # the country site: be, nl, de
    description = models.CharField(max_length=255)
    country = models.CharField(max_length=2)
    currency = models.CharField(max_length=3)
    last_timestamp = models.PositiveBigIntegerField(default=0)
    next_entry_number = models.PositiveIntegerField(default=26000001)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["locale", "code"]

    def __str__(self):
        return f"{self.code} {self.description}"


class ExactEntity(models.Model):
    division = models.ForeignKey(ExactDivision, on_delete=models.CASCADE, related_name="entities")
    entity = models.CharField(max_length=30)  # "Account", "SalesEntry", "TransactionLine", …
    key = models.CharField(max_length=36)  # the GUID primary key (lower case, as Exact answers it)
    timestamp = models.PositiveBigIntegerField()
    body = models.JSONField(default=dict)
    deleted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    modified_at = models.DateTimeField()

    class Meta:
        ordering = ["division", "entity", "key"]
        constraints = [
            models.UniqueConstraint(fields=["division", "entity", "key"], name="sandbox_exact_entity_unique")
        ]
        indexes = [models.Index(fields=["division", "entity", "timestamp"], name="sandbox_exact_entity_sync")]

    def __str__(self):
        return f"{self.entity} {self.key} of {self.division_id}"
