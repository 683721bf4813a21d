import integrations.fields
from django.db import migrations


class Migration(migrations.Migration):
    """Store the token expiry encrypted like the tokens. Dropping the old clear-text column loses only the
    expiry: the provider's next 401 makes the client refresh once and store a new one."""

    dependencies = [
        ("integrations", "0002_authorizationstate_options"),
    ]

    operations = [
        migrations.RemoveField(model_name="connection", name="token_expires_at"),
        migrations.AddField(
            model_name="connection",
            name="token_expires_at",
            field=integrations.fields.EncryptedDateTimeField(blank=True, null=True),
        ),
    ]
