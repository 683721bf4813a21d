from django.core.management.base import BaseCommand

from billing.demo import DEMO_LOGINS, demo_seed


class Command(BaseCommand):
    help = "Load the demo agencies, users and billing history (idempotent: a second run changes nothing)."

    def handle(self, *args, **options):
        result = demo_seed()
        if result.created:
            created = ", ".join(f"{count} {name}" for name, count in sorted(result.created.items()))
            self.stdout.write(self.style.SUCCESS(f"Demo data created: {created}."))
        else:
            self.stdout.write("Demo data already present; nothing changed.")
        for login in DEMO_LOGINS:
            extra = " + Django admin" if login.is_superuser else ""
            self.stdout.write(f"  {login.email} / {login.password}  ({login.organization}, {login.role}{extra})")
