from django.core.management.base import BaseCommand

from integrations.schedules import SCHEDULES, schedules_sync


class Command(BaseCommand):
    help = "Create, update or remove the app's periodic django-q2 schedules (listed in integrations/schedules.py)."

    def handle(self, *args, **options):
        result = schedules_sync()
        reasons = {task.name: f"every {task.minutes()} min: {task.why}" for task in SCHEDULES}
        for label, names in (
            ("created", result.created),
            ("updated", result.updated),
            ("unchanged", result.unchanged),
            ("removed", result.removed),
        ):
            for name in names:
                self.stdout.write(f"{label:>9}  {name}  {reasons.get(name, '')}".rstrip())
        self.stdout.write(self.style.SUCCESS("Schedules are up to date."))
