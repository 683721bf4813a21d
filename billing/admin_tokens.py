"""API tokens in the admin: support staff issue them and see the key exactly once, on the page that answers the
"Save" (never in a message: messages are stored in the session or a cookie, and Django's default one would quote
the object). The token's title, its history and "Recent actions" show only its name and key prefix.
Tokens are never edited or deleted: they are revoked (kept, with the time) and replaced.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils import timezone
from rest_framework.authtoken.models import TokenProxy

from . import api_tokens
from .models import ApiToken

admin.site.unregister(TokenProxy)  # DRF's admin of its plain-text tokens


class ApiTokenAddForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ("user", "name", "expires_at")
        help_texts = {"expires_at": "The token stops working then (API_TOKEN_TTL_DAYS from today by default)."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "expires_at" in self.fields:  # the add form (an issued token's page is read-only)
            self.fields["expires_at"].initial = api_tokens.default_expiry

    def clean_expires_at(self):
        expires_at = self.cleaned_data["expires_at"]
        if expires_at <= timezone.now():
            raise ValidationError("Choose a moment in the future.")
        return expires_at


class StatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("active", "Active"), ("expired", "Expired"), ("revoked", "Revoked")]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "active":
            return queryset.filter(revoked_at__isnull=True, expires_at__gt=now)
        if self.value() == "expired":
            return queryset.filter(revoked_at__isnull=True, expires_at__lte=now)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    form = ApiTokenAddForm
    list_display = ("name", "user", "key_prefix", "status", "created_at", "expires_at", "last_used_at")
    list_filter = (StatusFilter,)
    list_select_related = ("user",)
    search_fields = ("name", "prefix", "user__email")
    autocomplete_fields = ("user",)
    readonly_fields = ("key_prefix", "status", "created_at", "revoked_at", "last_used_at")
    actions = ("revoke_selected",)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("user", "name", "expires_at")
        return ("name", "user", "key_prefix", "status", "created_at", "expires_at", "revoked_at", "last_used_at")

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.get_fields(request, obj)

    @admin.display(description="key starts with", ordering="prefix")
    def key_prefix(self, obj):
        return f"{obj.prefix}…"

    @admin.display(description="status")
    def status(self, obj):
        if obj.revoked_at is not None:
            return "Revoked"
        return "Expired" if obj.expires_at <= timezone.now() else "Active"

    def has_change_permission(self, request, obj=None):
        return False  # revoked and replaced, never edited

    def has_delete_permission(self, request, obj=None):
        return False  # revoked instead, so the record (who, when, last use) stays

    def has_revoke_permission(self, request):
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")

    @admin.action(description="Revoke selected tokens (they stop working at once)", permissions=["revoke"])
    def revoke_selected(self, request, queryset):
        revoked = api_tokens.tokens_revoke(queryset)
        self.message_user(request, f"{revoked} API token{'s' if revoked != 1 else ''} revoked.", messages.SUCCESS)

    def save_model(self, request, obj, form, change):
        issued = api_tokens.token_issue(user=obj.user, name=obj.name, expires_at=obj.expires_at)
        for field in ApiToken._meta.concrete_fields:  # the admin logs the addition with this object
            setattr(obj, field.attname, getattr(issued.token, field.attname))
        obj._state.adding = False
        obj.issued_key = issued.key  # for response_add only; never saved

    def response_add(self, request, obj, post_url_continue=None):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "API token issued",
            "token": obj,
            "key": obj.issued_key,
        }
        response = TemplateResponse(request, "admin/billing/apitoken/issued.html", context)
        response["Cache-Control"] = "no-store"
        return response
