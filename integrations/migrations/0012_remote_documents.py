# rename_remote_document: skip (this migration renames InvoiceCopy: it must keep naming it)
import django.db.models.deletion
from django.db import migrations, models


def existing_rows_are_sales_invoices(apps, schema_editor):
    apps.get_model("integrations", "RemoteDocument").objects.update(kind="invoice")
    apps.get_model("integrations", "ServiceTypeMapping").objects.update(purpose="sales")
    apps.get_model("integrations", "TaxRateMapping").objects.update(purpose="sales")
    apps.get_model("integrations", "ContactLink").objects.update(role="customer")


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0006_invoice_content_changed_at"),
        ("integrations", "0011_grants"),
    ]

    operations = [
        # The copy record becomes the remote document of any kind; the table (and its rows) is renamed, not copied.
        migrations.RenameModel("InvoiceCopy", "RemoteDocument"),
        migrations.AlterField(
            model_name="remotedocument",
            name="connection",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="remote_documents",
                to="integrations.connection",
            ),
        ),
        migrations.RenameIndex(
            model_name="remotedocument",
            new_name="integration_connect_a362eb_idx",
            old_name="integration_connect_f0d1cd_idx",
        ),
        migrations.AlterModelOptions(
            name="remotedocument",
            options={"ordering": ["-created_at", "-id"]},
        ),
        migrations.RemoveConstraint(
            model_name="contactlink",
            name="unique_contact_link",
        ),
        migrations.RemoveConstraint(
            model_name="servicetypemapping",
            name="unique_service_type_mapping",
        ),
        migrations.RemoveConstraint(
            model_name="taxratemapping",
            name="unique_tax_rate_mapping",
        ),
        migrations.AddField(
            model_name="contactlink",
            name="role",
            field=models.CharField(
                choices=[("customer", "Customer"), ("supplier", "Supplier")], default="customer", max_length=10
            ),
        ),
        migrations.AddField(
            model_name="remotedocument",
            name="expense",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="copies",
                to="billing.expense",
            ),
        ),
        migrations.AddField(
            model_name="remotedocument",
            name="kind",
            field=models.CharField(
                choices=[("invoice", "Invoice"), ("bill", "Bill"), ("purchase_order", "Purchase order")],
                default="invoice",
                max_length=20,
            ),
        ),
        migrations.AddField(
            model_name="remotedocument",
            name="purchase_order",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="copies",
                to="billing.purchaseorder",
            ),
        ),
        migrations.AddField(
            model_name="remotedocument",
            name="remote_state",
            field=models.CharField(
                blank=True,
                choices=[("draft", "Draft"), ("open", "Open"), ("booked", "Booked"), ("voided", "Voided")],
                max_length=20,
            ),
        ),
        migrations.AddField(
            model_name="remotedocument",
            name="remote_version",
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.AddField(
            model_name="servicetypemapping",
            name="purpose",
            field=models.CharField(
                choices=[("sales", "Sales"), ("purchase", "Purchase")], default="sales", max_length=10
            ),
        ),
        migrations.AddField(
            model_name="synclogentry",
            name="expense",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="sync_log",
                to="billing.expense",
            ),
        ),
        migrations.AddField(
            model_name="synclogentry",
            name="purchase_order",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="sync_log",
                to="billing.purchaseorder",
            ),
        ),
        migrations.AddField(
            model_name="taxratemapping",
            name="purpose",
            field=models.CharField(
                choices=[("sales", "Sales"), ("purchase", "Purchase")], default="sales", max_length=10
            ),
        ),
        migrations.AlterField(
            model_name="remotedocument",
            name="invoice",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="copies",
                to="billing.invoice",
            ),
        ),
        migrations.AlterField(
            model_name="remotedocument",
            name="superseded_at",
            field=models.DateTimeField(
                blank=True, help_text="When another remote document became the latest copy of this document.", null=True
            ),
        ),
        # Today's rows, all made by the invoice copy: copies of invoices, sales mappings, customer links. The field
        # defaults already say so; the step states it, so the migration holds whatever the defaults become.
        migrations.RunPython(existing_rows_are_sales_invoices, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="contactlink",
            constraint=models.UniqueConstraint(
                fields=("connection", "company", "role"), name="unique_contact_link_role"
            ),
        ),
        migrations.AddConstraint(
            model_name="remotedocument",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("invoice__isnull", False),
                        ("kind", "invoice"),
                        ("expense__isnull", True),
                        ("purchase_order__isnull", True),
                    ),
                    models.Q(
                        ("expense__isnull", False),
                        ("kind", "bill"),
                        ("invoice__isnull", True),
                        ("purchase_order__isnull", True),
                    ),
                    models.Q(
                        ("kind", "purchase_order"),
                        ("purchase_order__isnull", False),
                        ("invoice__isnull", True),
                        ("expense__isnull", True),
                    ),
                    _connector="OR",
                ),
                name="remote_document_kind_matches",
            ),
        ),
        migrations.AddConstraint(
            model_name="remotedocument",
            constraint=models.UniqueConstraint(
                condition=models.Q(("is_latest", True)), fields=("expense", "connection"), name="one_latest_bill_copy"
            ),
        ),
        migrations.AddConstraint(
            model_name="remotedocument",
            constraint=models.UniqueConstraint(
                condition=models.Q(("is_latest", True)),
                fields=("purchase_order", "connection"),
                name="one_latest_purchase_order_copy",
            ),
        ),
        migrations.AddConstraint(
            model_name="servicetypemapping",
            constraint=models.UniqueConstraint(
                fields=("connection", "service_type", "purpose"), name="unique_service_type_mapping_purpose"
            ),
        ),
        migrations.AddConstraint(
            model_name="taxratemapping",
            constraint=models.UniqueConstraint(
                fields=("connection", "tax_rate", "purpose"), name="unique_tax_rate_mapping_purpose"
            ),
        ),
    ]
