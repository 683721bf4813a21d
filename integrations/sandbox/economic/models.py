"""Visma e-conomic's sandbox state: pretend agreements, their documents and the customer payments a person books.

Every document (customer, layout, payment term, VAT zone, product, customer group, draft or booked invoice) is
one row holding its e-conomic JSON body without links; the links (`self`, `pdf.download`, …) are added when it
is answered, so the same body serves any host. Money inside bodies is kept as decimal strings (never float).
A booked invoice's remainder is not stored: it is its gross amount less the payments not reversed.
"""

from django.db import models


class EcoAgreement(models.Model):
    agreement_number = models.PositiveIntegerField(unique=True)
    name = models.CharField(max_length=255)
    country = models.CharField(max_length=20)  # e-conomic's agreementType name: "denmark", "sweden", …
    currency = models.CharField(max_length=3)
    vat_rate = models.DecimalField(max_digits=5, decimal_places=2)  # the domestic rate of VAT-liable products
    # The booked-invoice number series: the next number handed out when booking without bookWithNumber.
    next_booked_number = models.PositiveIntegerField(default=1)
    next_draft_number = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["agreement_number"]

    def __str__(self):
        return f"{self.name} ({self.agreement_number})"


class EcoDocument(models.Model):
    agreement = models.ForeignKey(EcoAgreement, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=20)  # the collection's path: "customers", "invoices/drafts", …
    number = models.CharField(max_length=30)  # its number as e-conomic spells it (products have text numbers)
    body = models.JSONField(default=dict)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["agreement", "kind", "id"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "kind", "number"], name="sandbox_eco_document_unique")
        ]

    def __str__(self):
        return f"{self.kind} {self.number} of {self.agreement_id}"


class EcoPayment(models.Model):
    """A customer payment booked against one booked invoice; a reversal keeps the row and marks it."""

    agreement = models.ForeignKey(EcoAgreement, on_delete=models.CASCADE, related_name="payments")
    booked_invoice_number = models.PositiveIntegerField()
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    date = models.DateField()
    reversed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["agreement", "created_at", "id"]
        indexes = [
            models.Index(fields=["agreement", "booked_invoice_number"], name="sandbox_eco_payment_invoice"),
        ]

    def __str__(self):
        return f"payment {self.pk} of {self.amount} on invoice {self.booked_invoice_number}"
