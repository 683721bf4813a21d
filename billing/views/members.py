"""Settings > Members (admins only): list, add by email, change role, remove. The last admin stays."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.views.generic import ListView

from billing import memberships, selectors
from billing.forms import add_service_error
from billing.models import Membership
from billing.settings_forms import MemberAddForm, MemberRoleForm

from .base import ObjectActionView
from .settings import SettingsMixin


def member_list_url():
    return reverse("billing:settings-member-list")


class MemberListView(SettingsMixin, ListView):
    """GET: the members and the add form. POST: add a member (existing account or a new one)."""

    model = Membership
    template_name = "settings/members.html"
    settings_nav = "members"

    def get_queryset(self):
        return selectors.membership_list(organization=self.request.organization)

    def get_context_data(self, **kwargs):
        kwargs.setdefault("add_form", MemberAddForm())
        return super().get_context_data(role_form=MemberRoleForm(), **kwargs)

    def post(self, request, *args, **kwargs):
        form = MemberAddForm(request.POST)
        if form.is_valid():
            try:
                membership = memberships.membership_add(organization=request.organization, **form.cleaned_data)
            except ValidationError as error:
                add_service_error(form, error)
            else:
                messages.success(request, f"{membership.user.email} added as {membership.get_role_display()}.")
                return HttpResponseRedirect(member_list_url())
        self.object_list = self.get_queryset()
        return self.render_to_response(self.get_context_data(add_form=form))


class MemberActionView(SettingsMixin, ObjectActionView):
    model = Membership

    def get_success_url(self, membership):
        return member_list_url()


class MemberRoleView(MemberActionView):
    success_message = "{obj.user.email} is now {obj.role}."

    def perform(self, membership):
        form = MemberRoleForm(self.request.POST)
        if not form.is_valid():
            raise ValidationError("Choose a role.")
        return memberships.membership_set_role(membership=membership, role=form.cleaned_data["role"])


class MemberRemoveView(MemberActionView):
    success_message = "{obj.user.email} removed from the organization."

    def perform(self, membership):
        memberships.membership_remove(membership=membership)
        return membership
