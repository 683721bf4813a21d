"""The route security matrix, generated from the URL configuration so that a new route cannot escape it.

For every route (except the explicit allow-list in tests/routes.py) and every method its view accepts:
- anonymous: HTML → redirect to the login page; API → 401;
- a member on an admin-only route → 403;
- an admin of organization A asking for organization B's object → 404, and B's rows do not change;
- an unsafe request with session auth and no CSRF token → 403.
Positive controls keep the 404s honest: the same routes open for A's own objects.

Signed webhooks (views declaring `signed_webhook = True`) are the only CSRF-exempt views and need no login: an
unsigned request, anonymous or with an admin's session, is a 401 and stores nothing.
"""

from __future__ import annotations

import datetime
import itertools
import uuid
from decimal import Decimal

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from billing import models as billing
from billing import services
from billing.choices import Role
from tests import factories
from tests.routes import (
    ALLOWED,
    HINTS,
    UNSAFE_METHODS,
    all_patterns,
    allow_reason,
    csrf_exempt_routes,
    routes,
    signed_webhook_routes,
)

ROUTES = routes()
LOGIN_URL = reverse(settings.LOGIN_URL)
DAY = datetime.date(2026, 11, 1)
_counter = itertools.count(1)


# --- Objects of one organization, built through the real services ---------------------------------------------


def _invoice(org, related):
    subsidiary = related.get(billing.Subsidiary) or factories.SubsidiaryFactory(organization=org)
    company = related.get(billing.Company) or factories.CompanyFactory(organization=org)
    return factories.make_invoice(organization=org, subsidiary=subsidiary, company=company, finalize=True)


def _payment(org, related):
    invoice = related.get(billing.Invoice) or build(billing.Invoice, org, related)
    return services.payment_record(invoice=invoice, amount=Decimal("10.00"), date=DAY)


def _expense(org, related):
    vendor = related.get(billing.Company) or factories.CompanyFactory(organization=org, is_supplier=True)
    budget = related.get(billing.Budget) or factories.BudgetFactory(organization=org, company=vendor)
    return services.expense_create(
        organization=org, budget=budget, vendor=vendor, description="Fonts", amount=Decimal("50"), date=DAY
    )


def _expense_payment(org, related):
    expense = related.get(billing.Expense) or build(billing.Expense, org, related)
    return services.expense_payment_record(expense=expense, amount=Decimal("5.00"), date=DAY)


def _purchase_order(org, related):
    subsidiary = related.get(billing.Subsidiary) or factories.SubsidiaryFactory(organization=org)
    vendor = related.get(billing.Company) or factories.CompanyFactory(organization=org, is_supplier=True)
    return services.purchase_order_create(
        organization=org,
        subsidiary=subsidiary,
        vendor=vendor,
        issue_date=DAY,
        lines=[services.LineInput("Paper", Decimal("2"), Decimal("5"))],
    )


def _remote_document(org, related):
    """A failed copy of one of the organization's invoices (what Needs attention acts on)."""
    from integrations.models import Connection, CopyStatus, RemoteDocument

    invoice = related.get(billing.Invoice) or build(billing.Invoice, org, related)
    connection = related.get(Connection) or build(Connection, org, related)
    return RemoteDocument.objects.create(
        organization=org,
        invoice=invoice,
        connection=connection,
        idempotency_key=str(uuid.uuid4()),
        status=CopyStatus.FAILED,
        error="Refused.",
    )


def _user(org, related):
    membership = factories.MembershipFactory(organization=org, role=Role.MEMBER)
    return membership.user


BUILDERS = {
    billing.Organization: lambda org, related: org,
    billing.Membership: lambda org, related: factories.MembershipFactory(organization=org, role=Role.MEMBER),
    billing.Subsidiary: lambda org, related: factories.SubsidiaryFactory(organization=org),
    billing.Company: lambda org, related: factories.CompanyFactory(organization=org),
    billing.ServiceType: lambda org, related: factories.ServiceTypeFactory(organization=org),
    billing.TaxRate: lambda org, related: factories.TaxRateFactory(organization=org),
    billing.Budget: lambda org, related: factories.BudgetFactory(organization=org),
    billing.Invoice: _invoice,
    billing.Payment: _payment,
    billing.Expense: _expense,
    billing.ExpensePayment: _expense_payment,
    billing.PurchaseOrder: _purchase_order,
    get_user_model(): _user,
    apps.get_model("integrations", "RemoteDocument"): _remote_document,
}

# Values for required fields of models without a builder above (e.g. the integrations' models).
FIELD_VALUES = {"provider": "xero"}


def _generic_value(model, field, org, related):
    if field.name in FIELD_VALUES:
        return FIELD_VALUES[field.name]
    if field.is_relation:
        target = field.related_model
        return related.get(target) or build(target, org, related)
    if field.choices:
        return field.choices[0][0]
    n = next(_counter)
    if isinstance(field, models.EmailField):
        return f"route{n}@example.test"
    if isinstance(field, models.CharField | models.TextField):
        return f"{model.__name__.lower()}-{n}"[: field.max_length or 100]
    if isinstance(field, models.DateTimeField):
        return timezone.now()
    if isinstance(field, models.DateField):
        return DAY
    if isinstance(field, models.DecimalField):
        return Decimal("1")
    if isinstance(field, models.IntegerField):
        return 1
    if isinstance(field, models.BooleanField):
        return False
    if isinstance(field, models.JSONField):
        return {}
    if isinstance(field, models.UUIDField):
        return uuid.uuid4()
    raise NotImplementedError(f"cannot fill {model.__name__}.{field.name}")


def build(model, org, related=None):
    """One `model` row belonging to `org`, reusing the rows in `related` (parents built for the same route)."""
    related = related if related is not None else {}
    if model in BUILDERS:
        obj = BUILDERS[model](org, related)
    else:
        values = {}
        for field in model._meta.concrete_fields:
            if field.primary_key or field.has_default() or field.null or getattr(field, "auto_now_add", False):
                continue
            if getattr(field, "auto_now", False) or (field.blank and not field.is_relation):
                continue
            try:
                values[field.name] = _generic_value(model, field, org, related)
            except NotImplementedError as error:
                pytest.fail(f"{error}: add a builder for {model.__name__} in tests/test_route_security.py BUILDERS")
        obj = model.objects.create(**values)
    related[model] = obj
    return obj


def build_for(route, org, *, foreign=None, foreign_org=None):
    """The route's objects, of `org`; with `foreign`, that one kwarg's object belongs to `foreign_org`."""
    related: dict = {}
    objects = {}
    # Parents first: a kwarg whose model others point to is built before them.
    order = sorted(
        route.models.items(),
        key=lambda item: sum(
            1
            for other in route.models.values()
            if any(f.is_relation and f.related_model is other for f in item[1]._meta.concrete_fields)
        ),
    )
    for kwarg, model in order:
        if kwarg == foreign:
            objects[kwarg] = build(model, foreign_org, {})
        else:
            objects[kwarg] = build(model, org, related)
    return objects


def url_for(route, objects):
    kwargs = {}
    for kw in route.kwargs:
        if kw in objects:
            kwargs[kw] = objects[kw].pk
        else:  # a kwarg that is not an object id, e.g. <str:provider>
            kwargs[kw] = route.hint.get("kwargs", {}).get(kw, FIELD_VALUES.get(kw, "x"))
    assert route.name, f"route {route.path} has no name: name it so it can be reversed and linked"
    return reverse(route.name, kwargs=kwargs)


def snapshot(objects):
    return {kw: type(obj).objects.filter(pk=obj.pk).values().first() for kw, obj in objects.items()}


def send(client, route, method, url):
    kwargs = {"content_type": "application/json", "data": "{}"} if route.is_api and method != "GET" else {}
    if route.is_api:
        kwargs["HTTP_ACCEPT"] = "application/json"
    return getattr(client, method.lower())(url, **kwargs)


def assert_refusal_page(route, response):
    """A refused page is the app's 403 page (inside the app frame, with a way back); the API answers JSON."""
    if route.is_api:
        assert response["Content-Type"] == "application/json", response["Content-Type"]
        return
    assert [t.name for t in response.templates][:2] == ["403.html", "base.html"], response.content[:300]
    assert 'class="topbar"' in response.content.decode()
    assert response.context["back_url"] and "Go back</a>" in response.content.decode()


def logged_in(user, **client_kwargs):
    client = Client(**client_kwargs)
    client.force_login(user)
    return client


def _param_id(route, method, suffix=""):
    return f"{method} {route}{suffix}"


def _pairs(predicate=lambda route, method: True):
    return [
        pytest.param(route, method, id=_param_id(route, method))
        for route in ROUTES
        for method in route.methods
        if predicate(route, method)
    ]


# --- The walk itself -------------------------------------------------------------------------------------------


def test_the_walk_finds_the_known_routes():
    names = {route.name for route in ROUTES}
    assert {"billing:invoice-list", "billing:invoice-detail", "integrations:marketplace"} <= names
    assert any(route.is_api for route in ROUTES), "no API route found under /api/v1/"
    assert all(route.methods for route in ROUTES), [str(r) for r in ROUTES if not r.methods]


def test_allow_list_leaves_out_only_what_it_says():
    assert allow_reason("admin/", "")
    assert allow_reason("accounts/login/", "account_login")
    assert not allow_reason("invoices/", "billing:invoice-list")
    assert not allow_reason("settings/marketplace/", "integrations:marketplace")


@pytest.mark.parametrize("kind, value, reason", ALLOWED, ids=[value for _, value, _ in ALLOWED])
def test_every_allow_list_entry_is_still_needed(kind, value, reason):
    patterns = all_patterns()
    matched = [p for p in patterns if (p[0].startswith(value) if kind == "path" else p[1] == value)]
    assert matched, f"allow-list entry {kind}={value!r} matches no route any more: remove it"
    assert len(reason) > 20, "say why the route is safe to leave out"


def test_hints_name_existing_routes():
    names = {route.name for route in ROUTES}
    assert set(HINTS) <= names, f"HINTS for routes that no longer exist: {set(HINTS) - names}"


@pytest.mark.parametrize("route", [pytest.param(r, id=str(r)) for r in ROUTES if r.object_kwargs])
def test_every_object_route_declares_its_models(route):
    if route.model_error:
        pytest.fail(route.model_error)


@pytest.mark.parametrize(
    "route", [pytest.param(r, id=str(r)) for r in ROUTES if r.path.startswith("settings/") and not r.is_api]
)
def test_settings_pages_are_admin_only(route):
    assert route.admin_methods == frozenset(route.methods), (
        f"{route} is a settings page but not admin-only: use OrganizationAdminRequiredMixin "
        "or @organization_admin_required"
    )


# --- Anonymous --------------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("route, method", _pairs())
def test_anonymous_is_sent_to_login_or_gets_401(route, method, organization):
    if route.model_error:
        pytest.fail(route.model_error)
    objects = build_for(route, organization)
    before = snapshot(objects)
    response = send(Client(), route, method, url_for(route, objects))
    if route.is_api:
        assert response.status_code == 401, response.content[:300]
    else:
        assert response.status_code == 302, f"{response.status_code}: {response.content[:300]}"
        assert response["Location"].startswith(LOGIN_URL + "?next="), response["Location"]
    assert snapshot(objects) == before


# --- Member on admin-only routes ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("route, method", _pairs(lambda route, method: route.is_admin_only(method)))
def test_member_gets_403_on_admin_only_routes(route, method, organization, member_user):
    if route.model_error:
        pytest.fail(route.model_error)
    objects = build_for(route, organization)
    before = snapshot(objects)
    response = send(logged_in(member_user), route, method, url_for(route, objects))
    assert response.status_code == 403, f"{response.status_code}: {response.content[:300]}"
    assert_refusal_page(route, response)
    assert snapshot(objects) == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "route",
    [
        pytest.param(r, id=str(r))
        for r in ROUTES
        if "GET" in r.methods and not r.is_admin_only("GET") and not r.hint.get("no_control")
    ],
)
def test_member_opens_the_pages_members_may_use(route, organization, member_user):
    if route.model_error:
        pytest.fail(route.model_error)
    response = send(logged_in(member_user), route, "GET", url_for(route, build_for(route, organization)))
    assert response.status_code < 400, f"{response.status_code}: {response.content[:300]}"


# --- Another organization's objects -----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("route, method", _pairs(lambda route, method: bool(route.object_kwargs)))
def test_another_organizations_object_is_404(route, method, organization, admin_user, other_organization):
    if route.model_error:
        pytest.fail(route.model_error)
    objects = build_for(route, other_organization)
    before = snapshot(objects)
    response = send(logged_in(admin_user), route, method, url_for(route, objects))
    assert response.status_code == 404, f"{response.status_code}: {response.content[:300]}"
    assert snapshot(objects) == before, "another organization's rows changed"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "route, method, foreign",
    [
        pytest.param(route, method, kwarg, id=_param_id(route, method, f" foreign {kwarg}"))
        for route in ROUTES
        if len(route.object_kwargs) > 1
        for method in route.methods
        for kwarg in route.object_kwargs
    ],
)
def test_one_foreign_object_among_own_ones_is_404(route, method, foreign, organization, admin_user, other_organization):
    """/invoices/<own pk>/payments/<B's payment pk>/... and the reverse: every object kwarg is scoped on its own."""
    if route.model_error:
        pytest.fail(route.model_error)
    objects = build_for(route, organization, foreign=foreign, foreign_org=other_organization)
    before = snapshot(objects)
    response = send(logged_in(admin_user), route, method, url_for(route, objects))
    assert response.status_code == 404, f"{response.status_code}: {response.content[:300]}"
    assert snapshot(objects) == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "route",
    [
        pytest.param(r, id=str(r))
        for r in ROUTES
        if r.object_kwargs and "GET" in r.methods and not r.hint.get("no_control")
    ],
)
def test_control_own_object_opens(route, organization, admin_user):
    """The positive control of the 404 test: the same route answers for the organization's own object."""
    if route.model_error:
        pytest.fail(route.model_error)
    response = send(logged_in(admin_user), route, "GET", url_for(route, build_for(route, organization)))
    assert response.status_code < 400, f"{response.status_code}: {response.content[:300]}"


# --- CSRF -----------------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("route, method", _pairs(lambda route, method: method in UNSAFE_METHODS))
def test_unsafe_request_without_csrf_token_is_403(route, method, organization, admin_user):
    if route.model_error:
        pytest.fail(route.model_error)
    objects = build_for(route, organization)
    before = snapshot(objects)
    client = logged_in(admin_user, enforce_csrf_checks=True)
    response = send(client, route, method, url_for(route, objects))
    assert response.status_code == 403, f"{response.status_code}: {response.content[:300]}"
    assert b"CSRF" in response.content, response.content[:300]
    assert_refusal_page(route, response)
    assert snapshot(objects) == before


# --- Signed webhooks --------------------------------------------------------------------------------------------

WEBHOOKS = signed_webhook_routes()


def test_the_webhook_receiver_is_a_declared_signed_webhook():
    assert "integrations:webhooks" in {name for _, name, _ in WEBHOOKS}
    assert not {name for _, name, _ in WEBHOOKS} & {route.name for route in ROUTES}


def test_only_signed_webhooks_are_csrf_exempt():
    assert {name for _, name in csrf_exempt_routes()} == {name for _, name, _ in WEBHOOKS}


def _webhook_providers():
    from integrations import registry

    return [provider for provider in registry.all() if provider.has_webhooks]


@pytest.mark.django_db
@pytest.mark.parametrize("name", [name for _, name, _ in WEBHOOKS])
def test_an_unsigned_webhook_is_401_with_or_without_a_session(name, settings, admin_user):
    from integrations.models import WebhookEvent

    providers = _webhook_providers()
    assert providers, "no provider declares webhooks"
    for provider in providers:
        for required in provider.required_settings:  # configured, so the route answers (404 otherwise)
            if not getattr(settings, required, ""):
                setattr(settings, required, "route-security-credential")
        setattr(settings, provider.webhook_key_setting, "route-security-webhook-key")
        url = reverse(name, kwargs={"provider": provider.key})
        body = b'{"events": []}'
        for client in (Client(enforce_csrf_checks=True), logged_in(admin_user, enforce_csrf_checks=True)):
            response = client.post(url, body, content_type="application/json")
            assert response.status_code == 401, f"{provider.key}: {response.status_code}"
            assert client.get(url).status_code == 405
    assert not WebhookEvent.objects.exists()
