"""One change feed for payments: RemotePayment becomes one row per allocation (unique on connection, remote
payment id and allocation key), and PendingPaymentChange keeps the changes that could not be applied.

Every existing RemotePayment is one Xero payment on one invoice: its one allocation is keyed by its
remote_invoice_id (rows recorded before that was kept have "" for both, still one per remote payment).
"""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models
from django.db.models import Count, F


def key_allocations_by_remote_invoice(apps, schema_editor):
    RemotePayment = apps.get_model("integrations", "RemotePayment")
    RemotePayment.objects.update(allocation_key=F("remote_invoice_id"))


def refuse_split_payments(apps, schema_editor):
    """Back to one row per remote payment: only possible while no payment has several allocations."""
    RemotePayment = apps.get_model("integrations", "RemotePayment")
    split = (
        RemotePayment.objects.values("connection_id", "remote_id")
        .annotate(rows=Count("id"))
        .filter(rows__gt=1)
        .count()
    )
    if split:
        raise RuntimeError(
            f"{split} remote payments are split over several invoices; "
            "unapply this migration only after removing their extra allocations."
        )


class Migration(migrations.Migration):

    dependencies = [
        ('integrations', '0009_webhook_events'),
    ]

    operations = [
        migrations.CreateModel(
            name='PendingPaymentChange',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('remote_id', models.CharField(help_text='The remote payment, or the document of a remainder.', max_length=100)),
                ('record', models.JSONField(help_text='The change as the provider gave it (amounts as strings).')),
                ('error', models.TextField()),
                ('attempts', models.PositiveIntegerField(default=1)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('last_tried_at', models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                'ordering': ['last_tried_at', 'id'],
            },
        ),
        migrations.RemoveConstraint(
            model_name='remotepayment',
            name='unique_remote_payment',
        ),
        migrations.AddField(
            model_name='remotepayment',
            name='allocation_key',
            field=models.CharField(blank=True, max_length=120),
        ),
        migrations.RunPython(key_allocations_by_remote_invoice, refuse_split_payments),
        migrations.AddIndex(
            model_name='remotepayment',
            index=models.Index(fields=['connection', 'remote_invoice_id'], name='remote_payment_document_idx'),
        ),
        migrations.AddConstraint(
            model_name='remotepayment',
            constraint=models.UniqueConstraint(fields=('connection', 'remote_id', 'allocation_key'), name='unique_remote_payment_allocation'),
        ),
        migrations.AddField(
            model_name='pendingpaymentchange',
            name='connection',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='pending_payment_changes', to='integrations.connection'),
        ),
        migrations.AddConstraint(
            model_name='pendingpaymentchange',
            constraint=models.UniqueConstraint(fields=('connection', 'remote_id'), name='unique_pending_payment'),
        ),
    ]
