"""Serializer fields that resolve ids only inside the request's organization."""

from rest_framework import serializers

from billing.tenancy import current_membership


def request_organization(context):
    """The organization of the request in a serializer/view context (None without one, e.g. in schema runs)."""
    request = context.get("request")
    membership = current_membership(request) if request is not None else None
    return membership.organization if membership else None


class OrganizationPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A primary key among the current organization's objects only.

    Another tenant's id is answered exactly like an id that does not exist (400 on that field), so ids of
    other organizations can neither be used nor probed.
    """

    def get_queryset(self):
        queryset = super().get_queryset()
        organization = request_organization(self.context)
        if organization is None:
            return queryset.none()
        return queryset.filter(organization=organization)
