from django.db import migrations, models
import django.db.models.deletion


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0008_sync_log_http_call_flag"),
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
    ]
