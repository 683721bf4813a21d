from django.apps import AppConfig


class SandboxConfig(AppConfig):
    """Built-in stand-ins for the accounting providers, served over real HTTP (never in production)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "integrations.sandbox"
    label = "sandbox"
    verbose_name = "Provider sandboxes"

    def ready(self):
        from . import providers  # noqa: F401 (registers the built-in sandboxes with the kit)
