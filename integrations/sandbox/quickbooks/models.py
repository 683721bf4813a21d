"""QuickBooks Online's sandbox state: pretend companies (realms) and their entities.

Every entity (Customer, Item, TaxCode, TaxRate, Term, Invoice, Payment, Attachable, …) is one row holding its
Intuit JSON body; Id, SyncToken and MetaData live in columns and are added when the entity is answered, so the
query language, CDC and sparse updates work the same way for every entity. Money inside bodies is kept as
decimal strings (never float) and answered as JSON numbers, as Intuit does.
"""

from django.db import models


class QboCompany(models.Model):
    realm_id = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=255)
    country = models.CharField(max_length=2)
    currency = models.CharField(max_length=3)
    timezone = models.CharField(max_length=60)
    # Preferences.SalesFormsPrefs.CustomTxnNumbers: on → the app must send DocNumber, else the sandbox numbers.
    custom_txn_numbers = models.BooleanField(default=False)
    next_doc_number = models.PositiveIntegerField(default=1001)
    next_entity_id = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class QboEntity(models.Model):
    company = models.ForeignKey(QboCompany, on_delete=models.CASCADE, related_name="entities")
    entity = models.CharField(max_length=30)  # Intuit's entity name: "Invoice", "Payment", …
    entity_id = models.CharField(max_length=20)
    sync_token = models.PositiveIntegerField(default=0)
    body = models.JSONField(default=dict)
    content = models.BinaryField(null=True, blank=True)  # an Attachable's uploaded bytes
    deleted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["company", "entity", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "entity", "entity_id"], name="sandbox_qbo_entity_unique")
        ]
        indexes = [models.Index(fields=["company", "entity", "updated_at"], name="sandbox_qbo_entity_changed")]

    def __str__(self):
        return f"{self.entity} {self.entity_id} of {self.company_id}"
