"""Out-of-range ids and numbers never reach the database as a 500: generated from the router, the filtersets and
the OpenAPI request bodies, so a new endpoint, filter or field is checked the moment it exists.

- every filter of every list endpoint: a huge number is never a 500; on an integer-valued filter (an id) a value
  outside the column's range is a 400 naming the filter, on SQLite and PostgreSQL alike;
- every path id of every route: a huge id is a 404;
- every integer or decimal field of every request body (nested lines included): a huge value is a 400 on that field.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.db import connection, models
from django.urls import resolve
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.generators import SchemaGenerator

from tests.routes import routes
from tests.test_route_security import build, logged_in, url_for

pytestmark = pytest.mark.django_db

HUGE = 10**30
BIGINT_MAX = 2**63 - 1  # the widest integer column of both SQLite and PostgreSQL
ROUTES = routes()


# --- Filters of every list endpoint ---------------------------------------------------------------------------


def _filterset_class(route):
    view = route.view_class(**getattr(route.callback, "initkwargs", {}))
    view.action = (getattr(route.callback, "actions", None) or {}).get("get")
    view.request = None
    view.swagger_fake_view = True  # the views' get_queryset() answers .none() without a request organization
    if not any(issubclass(backend, DjangoFilterBackend) for backend in getattr(view, "filter_backends", ())):
        return None
    return DjangoFilterBackend().get_filterset_class(view, view.get_queryset())


def _model_field(model, path: str):
    """The model field a filter's field_name ends on (`company_id`, `connection__organization`, ...)."""
    field = None
    for part in path.split("__"):
        field = model._meta.get_field(part)
        if field.is_relation:
            model = field.related_model
    return field.target_field if field.is_relation else field


LIST_ROUTES = [
    r for r in ROUTES if r.is_api and "GET" in r.methods and not r.object_kwargs and _filterset_class(r) is not None
]
FILTERS = [
    (route, name, filter_) for route in LIST_ROUTES for name, filter_ in _filterset_class(route).base_filters.items()
]
# Integer-valued filters (ids above all), told by the model field they end on, not by the filter's class.
INTEGER_FILTERS = [
    (route, name, field)
    for route, name, filter_ in FILTERS
    if isinstance(field := _model_field(_filterset_class(route)._meta.model, filter_.field_name), models.IntegerField)
]


def test_the_generated_cases_cover_the_known_filters():
    covered = {(route.name, name) for route, name, _ in INTEGER_FILTERS}
    assert {
        ("api:invoice-list", "company"),
        ("api:invoice-list", "subsidiary"),
        ("api:payment-list", "invoice"),
        ("api:expense-list", "vendor"),
        ("api:expense-list", "budget"),
        ("api:purchaseorder-list", "vendor"),
        ("integrations_api:syncrun-list", "connection"),
    } <= covered


def _out_of_range(field) -> list[int]:
    low, high = connection.ops.integer_field_range(field.get_internal_type())
    return [HUGE, -HUGE, high + 1, low - 1]


@pytest.mark.parametrize(
    "route, name, field",
    [pytest.param(route, name, field, id=f"{route} ?{name}") for route, name, field in INTEGER_FILTERS],
)
def test_an_out_of_range_id_filter_is_a_400_naming_the_filter(route, name, field, admin_user):
    client = logged_in(admin_user)
    for value in _out_of_range(field):
        response = client.get(url_for(route, {}), {name: value}, HTTP_ACCEPT="application/json")
        assert response.status_code == 400, f"?{name}={value}: {response.status_code} {response.content[:300]}"
        assert name in response.json(), response.json()


@pytest.mark.parametrize(
    "route, name, field",
    [pytest.param(route, name, field, id=f"{route} ?{name}") for route, name, field in INTEGER_FILTERS],
)
def test_the_largest_id_is_an_empty_list(route, name, field, admin_user):
    """The control: the range check rejects only what no row can have."""
    high = connection.ops.integer_field_range(field.get_internal_type())[1]
    response = logged_in(admin_user).get(url_for(route, {}), {name: high}, HTTP_ACCEPT="application/json")
    assert response.status_code == 200, response.content[:300]
    assert response.json()["results"] == []


@pytest.mark.parametrize(
    "route, name", [pytest.param(route, name, id=f"{route} ?{name}") for route, name, _ in FILTERS]
)
def test_no_filter_fails_on_a_huge_number(route, name, admin_user):
    response = logged_in(admin_user).get(url_for(route, {}), {name: HUGE}, HTTP_ACCEPT="application/json")
    assert response.status_code in (200, 400), f"{response.status_code}: {response.content[:300]}"


@pytest.mark.parametrize("route", [pytest.param(r, id=str(r)) for r in LIST_ROUTES])
def test_a_huge_page_number_is_a_404(route, admin_user):
    response = logged_in(admin_user).get(url_for(route, {}), {"page": HUGE}, HTTP_ACCEPT="application/json")
    assert response.status_code == 404, response.content[:300]


# --- Path ids -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "route, method",
    [pytest.param(r, m, id=f"{m} {r}") for r in ROUTES if r.object_kwargs for m in r.methods],
)
def test_a_huge_path_id_is_a_404(route, method, admin_user):
    url = url_for(route, {kwarg: SimpleNamespace(pk=HUGE) for kwarg in route.object_kwargs})
    kwargs = {"content_type": "application/json", "data": "{}"} if route.is_api and method != "GET" else {}
    response = getattr(logged_in(admin_user), method.lower())(url, HTTP_ACCEPT="application/json", **kwargs)
    assert response.status_code == 404, f"{response.status_code}: {response.content[:300]}"


# --- Numbers in request bodies --------------------------------------------------------------------------------


def _schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def _component(schema, ref: str) -> dict:
    return schema["components"]["schemas"][ref.rsplit("/", 1)[1]]


def _numeric_paths(schema, component: dict, prefix=()):
    """Paths (tuples of keys; 0 for a list's first item) to every integer or decimal property of a body."""
    for name, prop in component.get("properties", {}).items():
        if prop.get("readOnly"):
            continue
        if "$ref" in prop:
            yield from _numeric_paths(schema, _component(schema, prop["$ref"]), (*prefix, name))
        elif prop.get("type") == "array" and "$ref" in prop.get("items", {}):
            yield from _numeric_paths(schema, _component(schema, prop["items"]["$ref"]), (*prefix, name, 0))
        elif prop.get("type") in ("integer", "number") or prop.get("format") == "decimal":
            yield (*prefix, name), prop


def _body_cases():
    schema = _schema()
    cases = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if not content:
                continue
            for field_path, prop in _numeric_paths(schema, _component(schema, content["schema"]["$ref"])):
                label = f"{method.upper()} {path} {'.'.join(str(part) for part in field_path)}"
                cases.append(pytest.param(path, method.upper(), field_path, prop, id=label))
    return cases


def _nest(field_path, value):
    for part in reversed(field_path):
        value = [value] if part == 0 else {part: value}
    return value


def _error_at(errors, field_path):
    for part in field_path:
        errors = errors[str(part)] if isinstance(errors, dict) else errors[part]  # DRF keys a list's errors "0"
    return errors


def _url(path: str, organization) -> str:
    """The schema path with every {param} an id of one of the organization's own rows."""
    if "{" not in path:
        return path
    view = resolve(path.replace("{id}", "1").replace("{pk}", "1")).func
    view_class = getattr(view, "cls", None)
    model = getattr(view_class, "model", None) or view_class.queryset.model
    own = build(model, organization)
    return path.replace("{id}", str(own.pk)).replace("{pk}", str(own.pk))


BODY_CASES = _body_cases()


def test_the_generated_body_cases_cover_the_known_ids():
    labels = {(case.values[0], case.values[1], case.values[2]) for case in BODY_CASES}
    assert ("/api/v1/payments/", "POST", ("invoice",)) in labels
    assert ("/api/v1/invoices/", "POST", ("lines", 0, "tax_rate")) in labels
    assert ("/api/v1/invoices/{id}/", "PATCH", ("company",)) in labels
    assert ("/api/v1/invoices/{id}/copies/", "POST", ("connection",)) in labels


@pytest.mark.parametrize("path, method, field_path, prop", BODY_CASES)
def test_a_huge_number_in_a_body_is_a_field_error(path, method, field_path, prop, organization, admin_user):
    url = _url(path, organization)
    client = logged_in(admin_user)
    for value in (HUGE, BIGINT_MAX + 1) if prop.get("type") == "integer" else (str(HUGE),):
        response = getattr(client, method.lower())(url, _nest(field_path, value), content_type="application/json")
        assert response.status_code == 400, f"{value}: {response.status_code} {response.content[:300]}"
        assert _error_at(response.json(), field_path), response.json()
