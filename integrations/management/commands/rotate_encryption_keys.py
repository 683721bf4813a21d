from django.core.management.base import BaseCommand

from integrations.services.credentials import encryption_keys_rotate


class Command(BaseCommand):
    help = "Re-encrypt every stored credential under the first key of INTEGRATIONS_ENCRYPTION_KEYS."

    def handle(self, *args, **options):
        for label, count in encryption_keys_rotate().items():
            self.stdout.write(f"{label}: {count} row(s) re-encrypted")
