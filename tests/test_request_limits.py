"""Request bodies are bounded before any view runs: a JSON body nested deeper than JSON_MAX_DEPTH is a 400, a body
larger than DATA_UPLOAD_MAX_MEMORY_SIZE a 413 (DRF's parsers read the stream themselves and never applied it).

Generated from the URL configuration: every API route and unsafe method. The requests are anonymous and name ids
that do not exist, so a 400 (not the 401 or 404 the view would give) shows the body was refused first.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.conf import settings
from django.test import Client, override_settings

from billing.models import ServiceType
from tests.routes import UNSAFE_METHODS, routes
from tests.test_route_security import logged_in, url_for

pytestmark = pytest.mark.django_db

API_UNSAFE = [
    pytest.param(route, method, id=f"{method} {route}")
    for route in routes()
    if route.is_api
    for method in route.methods
    if method in UNSAFE_METHODS
]
DEEP = "[" * 5000  # about 5 KB, far past Python's recursion limit


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def _url(route):
    return url_for(route, {kwarg: SimpleNamespace(pk=10**6) for kwarg in route.object_kwargs})


@pytest.mark.parametrize("who", ["anonymous", "admin"])
@pytest.mark.parametrize("route, method", API_UNSAFE)
def test_a_deeply_nested_json_body_is_a_400_before_the_view(route, method, who, admin_user):
    client = logged_in(admin_user) if who == "admin" else Client()
    response = getattr(client, method.lower())(_url(route), DEEP, content_type="application/json")
    assert response.status_code == 400, f"{response.status_code}: {response.content[:300]}"
    assert "nested" in response.json()["detail"]


@pytest.mark.parametrize("route, method", API_UNSAFE)
def test_a_body_over_the_size_cap_is_a_413_before_the_view(route, method):
    body = '{"name": "' + "x" * 2000 + '"}'
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000):
        response = getattr(Client(), method.lower())(_url(route), body, content_type="application/json")
    assert response.status_code == 413, f"{response.status_code}: {response.content[:300]}"
    assert "1000 bytes" in response.json()["detail"]


def test_non_api_pages_are_guarded_too():
    response = Client().post("/", DEEP, content_type="application/json")
    assert response.status_code == 400
    response = Client().post("/", DEEP, content_type="text/plain")  # some views json.loads() any body
    assert response.status_code == 400


def test_the_cap_applies_to_form_bodies_that_drf_parses_itself(admin_user):
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000):
        response = logged_in(admin_user).post(
            "/api/v1/service-types/", f"name=Design&note={'x' * 2000}", content_type="application/x-www-form-urlencoded"
        )
    assert response.status_code == 413, response.content[:300]
    assert not ServiceType.objects.exists()


def test_a_body_as_deep_as_allowed_reaches_the_view(admin_user):
    """The control: JSON_MAX_DEPTH levels (the name object included) pass; one more does not."""
    limit = settings.JSON_MAX_DEPTH
    client = logged_in(admin_user)
    ok = client.post(
        "/api/v1/service-types/", f'{{"name": "Design", "extra": {nested(limit - 1)}}}', content_type="application/json"
    )
    assert ok.status_code == 201, ok.content[:300]
    refused = client.post(
        "/api/v1/service-types/", f'{{"name": "Print", "extra": {nested(limit)}}}', content_type="application/json"
    )
    assert refused.status_code == 400
    assert list(ServiceType.objects.values_list("name", flat=True)) == ["Design"]


def test_brackets_inside_strings_do_not_count(admin_user):
    body = '{"name": "Design", "note": "\\"' + DEEP + '", "more": "]]]' + DEEP + '"}'
    response = logged_in(admin_user).post("/api/v1/service-types/", body, content_type="application/json")
    assert response.status_code == 201, response.content[:300]


def test_deep_but_malformed_json_is_refused_as_well():
    assert Client().post("/api/v1/service-types/", "{" * 5000, content_type="application/json").status_code == 400
    unterminated = '"' + '\\"' * 5000  # one string that never ends: no bracket of it counts, and no quadratic scan
    response = Client().post("/api/v1/service-types/", unterminated, content_type="application/json")
    assert response.status_code == 401  # not refused here: the view's parser reports it (after authentication)


def test_multipart_bodies_are_left_to_djangos_own_limits(admin_user):
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000):
        response = logged_in(admin_user).post("/api/v1/service-types/", {"name": "Design", "note": "x" * 500})
    assert response.status_code == 201, response.content[:300]


def test_raw_body_paths_are_left_to_their_view_and_other_paths_are_still_capped():
    """A raw file (RAW_BODY_PATHS) is bounded by the view that takes it, not by the JSON cap or depth check."""
    body = DEEP + "x" * 2000
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000, RAW_BODY_PATHS=[r"^/raw/"]):
        raw = Client().put("/raw/file.pdf", body, content_type="application/octet-stream")
        other = Client().put("/other/file.pdf", body, content_type="application/octet-stream")
    assert raw.status_code == 404  # reached URL resolution: no such view, but not refused by the middleware
    assert other.status_code == 413
