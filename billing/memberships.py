"""Membership writes (Settings > Members): who belongs to an organization and with which role.

An organization always keeps at least one admin: removing or demoting the last one is refused.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from .choices import Role
from .models import Membership, Organization


def _lock_admins(organization: Organization) -> list[int]:
    """Lock the organization's admin rows so two concurrent demotions cannot both pass the check."""
    return list(
        Membership.objects.select_for_update()
        .filter(organization=organization, role=Role.ADMIN)
        .values_list("pk", flat=True)
    )


def _refuse_losing_last_admin(membership: Membership) -> None:
    admins = _lock_admins(membership.organization)
    if admins == [membership.pk]:
        raise ValidationError(
            f"{membership.user.email} is the organization's last admin; make someone else admin first."
        )


@transaction.atomic
def membership_add(*, organization: Organization, email: str, role: str) -> Membership:
    """Add a user by email; a user without an account gets one (they set a password via "Forgot your password?")."""
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": "Enter a valid email address."}) from None
    if role not in Role.values:
        raise ValidationError({"role": "Choose a role."})
    User = get_user_model()
    user = User.objects.filter(email__iexact=email).order_by("pk").first()
    if user is None:
        user = User(email=email, username=email[:150])
        user.set_unusable_password()
        user.save()
    elif Membership.objects.filter(organization=organization, user=user).exists():
        raise ValidationError({"email": f"{email} is already a member of {organization.name}."})
    return Membership.objects.create(organization=organization, user=user, role=role)


@transaction.atomic
def membership_set_role(*, membership: Membership, role: str) -> Membership:
    if role not in Role.values:
        raise ValidationError({"role": "Choose a role."})
    if membership.role == Role.ADMIN and role != Role.ADMIN:
        _refuse_losing_last_admin(membership)
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership) -> None:
    if membership.role == Role.ADMIN:
        _refuse_losing_last_admin(membership)
    membership.delete()
