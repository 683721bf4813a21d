"""Who is asking, for which organization: the request's tenant, and the guards every view uses.

Every query of tenant data goes through `request.organization`; another organization's object is a 404.
"""

from functools import wraps

from allauth.account.adapter import DefaultAccountAdapter
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.utils.functional import SimpleLazyObject

from .models import Membership

SESSION_KEY = "organization_id"


def _membership_for(request):
    user = request.user
    if not user.is_authenticated:
        return None
    memberships = Membership.objects.select_related("organization").filter(user=user)
    wanted = request.session.get(SESSION_KEY)
    if wanted:
        chosen = memberships.filter(organization_id=wanted).first()
        if chosen:
            return chosen
    return memberships.order_by("created_at", "id").first()


class CurrentOrganizationMiddleware:
    """Sets request.membership and request.organization (None when logged out or without a membership)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = SimpleLazyObject(lambda: _membership_for(request))
        request.organization = SimpleLazyObject(lambda: request.membership.organization if request.membership else None)
        return self.get_response(request)


def current_membership(request):
    membership = getattr(request, "membership", None)
    # Unwrap the lazy object so `is None` checks work.
    return membership if membership else None


def organization_context(request):
    membership = current_membership(request)
    return {
        "current_membership": membership,
        "current_organization": membership.organization if membership else None,
        "is_org_admin": bool(membership and membership.is_admin),
    }


class OrganizationMemberRequiredMixin(LoginRequiredMixin):
    """Logged in and a member of an organization; anonymous users go to the login page."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if current_membership(request) is None:
            raise PermissionDenied("You are not a member of any organization.")
        return super().dispatch(request, *args, **kwargs)


class OrganizationAdminRequiredMixin(OrganizationMemberRequiredMixin):
    """Settings and integrations: admins only; members get 403."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            membership = current_membership(request)
            if membership is not None and not membership.is_admin:
                raise PermissionDenied("Only organization admins can change settings.")
        return super().dispatch(request, *args, **kwargs)


def organization_member_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if current_membership(request) is None:
            raise PermissionDenied("You are not a member of any organization.")
        return view(request, *args, **kwargs)

    return wrapper


def organization_admin_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        membership = current_membership(request)
        if membership is None or not membership.is_admin:
            raise PermissionDenied("Only organization admins can change settings.")
        return view(request, *args, **kwargs)

    wrapper.admin_only = True  # read by the route security matrix test
    return wrapper


class ClosedSignupAccountAdapter(DefaultAccountAdapter):
    """Accounts are created by organization admins or support staff, never by public sign-up."""

    def is_open_for_signup(self, request):
        return False
