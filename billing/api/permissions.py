from rest_framework.permissions import SAFE_METHODS, BasePermission

from billing.tenancy import current_membership


def _membership(request):
    return current_membership(request) if request.user and request.user.is_authenticated else None


class IsOrganizationMember(BasePermission):
    """Authenticated and a member of an organization (every API query is scoped to it)."""

    message = "You are not a member of any organization."

    def has_permission(self, request, view):
        return _membership(request) is not None


class IsOrganizationAdmin(IsOrganizationMember):
    message = "Only organization admins can do this."

    def has_permission(self, request, view):
        membership = _membership(request)
        return bool(membership and membership.is_admin)


class IsOrganizationAdminOrReadOnly(BasePermission):
    """Settings-type endpoints: every member reads, only admins create or change (members get 403).

    Use it after IsOrganizationMember, which answers for users without an organization.

    `admin_only_methods` tells the route security matrix which methods need an admin.
    """

    admin_only_methods = frozenset({"POST", "PUT", "PATCH", "DELETE"})
    message = IsOrganizationAdmin.message

    def has_permission(self, request, view):
        membership = _membership(request)
        return bool(membership and (request.method in SAFE_METHODS or membership.is_admin))
