"""API tokens in the admin: support staff create them, the key is shown once and never listed again."""

from django.contrib import admin, messages
from rest_framework.authtoken.admin import TokenAdmin as DRFTokenAdmin
from rest_framework.authtoken.models import TokenProxy

admin.site.unregister(TokenProxy)


@admin.register(TokenProxy)
class ApiTokenAdmin(DRFTokenAdmin):
    list_display = ("user", "created")
    search_fields = ("user__email",)
    fields = ("user",)
    ordering = ("-created",)

    def get_readonly_fields(self, request, obj=None):
        return ("user",) if obj else ()

    def has_change_permission(self, request, obj=None):
        return False  # a token is replaced, not edited

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        messages.warning(request, f"API token for {obj.user}: {obj.key} — copy it now; it will not be shown again.")
