from rest_framework.permissions import BasePermission

from billing.tenancy import current_membership


class IsOrganizationMember(BasePermission):
    """Authenticated and a member of an organization (every API query is scoped to it)."""

    message = "You are not a member of any organization."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and current_membership(request) is not None)


class IsOrganizationAdmin(IsOrganizationMember):
    message = "Only organization admins can do this."

    def has_permission(self, request, view):
        membership = current_membership(request) if request.user and request.user.is_authenticated else None
        return bool(membership and membership.is_admin)
