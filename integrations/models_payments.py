"""Payments mirrored from a provider: which of our payments each remote payment allocation owns, and the changes
billing refused, kept for retry. Imported by integrations.models (split out for size)."""

from django.conf import settings as django_settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from billing.models import ExpensePayment, Payment

from .models import Connection


class RemotePayment(models.Model):
    """One allocation of a payment seen in the provider (a payment split over two of our invoices is two rows),
    keyed by (connection, remote payment id, allocation key), and the payment it became: an invoice's Payment, or
    an expense's ExpensePayment for a bill we exported (exactly one of the two)."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="remote_payments")
    remote_id = models.CharField(max_length=100)
    # PaymentAllocation.key: the remote document's id, or "number:<its number>" where the provider gives only that.
    allocation_key = models.CharField(max_length=120, blank=True)
    # The remote invoice (copy) it was recorded on; "" for rows recorded before this was kept.
    remote_invoice_id = models.CharField(max_length=100, blank=True)
    payment = models.OneToOneField(Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="remote")
    expense_payment = models.OneToOneField(
        ExpensePayment, null=True, blank=True, on_delete=models.PROTECT, related_name="remote"
    )
    remote_updated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "remote_id", "allocation_key"], name="unique_remote_payment_allocation"
            ),
            models.CheckConstraint(
                condition=Q(payment__isnull=False, expense_payment__isnull=True)
                | Q(payment__isnull=True, expense_payment__isnull=False),
                name="remote_payment_one_payment",
            ),
        ]
        indexes = [models.Index(fields=["connection", "remote_invoice_id"], name="remote_payment_document_idx")]

    def __str__(self):
        return f"{self.connection} payment {self.remote_id}" + (
            f" on {self.allocation_key}" if self.allocation_key else ""
        )

    @property
    def mirrored(self):
        """The payment of ours this allocation became: a Payment or an ExpensePayment."""
        return self.payment if self.payment_id is not None else self.expense_payment

    @property
    def document_log_fields(self) -> dict:
        """log() arguments pointing an entry at the document the payment is on (its invoice or expense)."""
        if self.payment_id is not None:
            return {"invoice_id": self.payment.invoice_id}
        return {"expense_id": self.expense_payment.expense_id}


class PendingPaymentChange(models.Model):
    """A payment change that could not be applied (currency, amount, a refusal of billing), kept so later runs
    retry it first; the newest change of a remote payment replaces the kept one, and applying it removes the row."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="pending_payment_changes")
    remote_id = models.CharField(max_length=100, help_text="The remote payment, or the document of a remainder.")
    record = models.JSONField(help_text="The change as the provider gave it (amounts as strings).")
    error = models.TextField()
    attempts = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    last_tried_at = models.DateTimeField(default=timezone.now)
    # Dismissed under Needs attention (services.attention): no longer retried, until a newer change replaces it.
    dismissed_at = models.DateTimeField(null=True, blank=True)
    dismissed_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    dismissed_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["last_tried_at", "id"]
        constraints = [models.UniqueConstraint(fields=["connection", "remote_id"], name="unique_pending_payment")]

    def __str__(self):
        return f"{self.connection} payment {self.remote_id} (kept after {self.attempts} attempts)"
