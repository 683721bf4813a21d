"""API authentication, CSRF, the OpenAPI schema and Swagger UI."""

import datetime

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from billing import api_tokens
from billing.models import ApiToken, ServiceType
from tests.factories import CompanyFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_anonymous_gets_401_with_a_token_challenge(organization):
    response = Client().get(reverse("api:invoice-list"))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_gets_401_on_every_kind_of_request(organization, method):
    response = getattr(Client(), method)(reverse("api:company-list"))
    assert response.status_code == 401


def test_token_authentication_works_without_a_session(admin_user, organization):
    CompanyFactory(organization=organization, name="Globex")
    key = api_tokens.token_issue(user=admin_user, name="Reports").key
    response = Client().get(reverse("api:company-list"), HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200
    assert [row["name"] for row in response.json()["results"]] == ["Globex"]


def test_token_requests_need_no_csrf_token(admin_user, organization):
    key = api_tokens.token_issue(user=admin_user, name="Reports").key
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        reverse("api:servicetype-list"),
        {"name": "Design"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {key}",
    )
    assert response.status_code == 201, response.content


def test_a_wrong_token_is_401(organization):
    response = Client().get(reverse("api:invoice-list"), HTTP_AUTHORIZATION="Token not-a-real-token")
    assert response.status_code == 401


def test_an_expired_token_is_401_saying_so(admin_user, organization):
    issued = api_tokens.token_issue(user=admin_user, name="Reports")
    with time_machine.travel(issued.token.expires_at + datetime.timedelta(seconds=1)):
        response = Client().get(reverse("api:invoice-list"), HTTP_AUTHORIZATION=f"Token {issued.key}")
    assert response.status_code == 401
    assert "expired" in response.json()["detail"] and "new one" in response.json()["detail"]


def test_a_token_expires_after_the_configured_days_by_default(admin_user, settings):
    settings.API_TOKEN_TTL_DAYS = 7
    token = api_tokens.token_issue(user=admin_user, name="Reports").token
    assert abs(token.expires_at - timezone.now() - datetime.timedelta(days=7)) < datetime.timedelta(minutes=1)


def test_a_revoked_token_is_401_saying_so(admin_user, organization):
    issued = api_tokens.token_issue(user=admin_user, name="Reports")
    api_tokens.tokens_revoke(ApiToken.objects.all())
    response = Client().get(reverse("api:invoice-list"), HTTP_AUTHORIZATION=f"Token {issued.key}")
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_an_inactive_users_token_is_401(admin_user, organization):
    key = api_tokens.token_issue(user=admin_user, name="Reports").key
    admin_user.is_active = False
    admin_user.save()
    assert Client().get(reverse("api:invoice-list"), HTTP_AUTHORIZATION=f"Token {key}").status_code == 401


def test_a_plain_text_drf_token_no_longer_authenticates(admin_user, organization):
    token = Token.objects.create(user=admin_user)
    assert Client().get(reverse("api:invoice-list"), HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 401


def test_last_use_is_recorded_at_most_once_an_hour(admin_user, organization):
    issued = api_tokens.token_issue(user=admin_user, name="Reports")
    headers = {"HTTP_AUTHORIZATION": f"Token {issued.key}"}
    Client().get(reverse("api:servicetype-list"), **headers)
    issued.token.refresh_from_db()
    assert issued.token.last_used_at is not None
    with CaptureQueriesContext(connection) as queries:
        Client().get(reverse("api:servicetype-list"), **headers)
    assert not [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]


def test_session_unsafe_request_without_csrf_token_is_403_and_changes_nothing(admin_user, organization):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    assert client.get(reverse("api:servicetype-list")).status_code == 200
    response = client.post(reverse("api:servicetype-list"), {"name": "Design"}, content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not ServiceType.objects.exists()


def test_session_unsafe_request_with_csrf_token_passes(admin_user, organization):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    client.get(reverse("admin:login"))  # any page that sets the CSRF cookie
    csrf = client.cookies["csrftoken"].value
    response = client.post(
        reverse("api:servicetype-list"), {"name": "Design"}, content_type="application/json", HTTP_X_CSRFTOKEN=csrf
    )
    assert response.status_code == 201, response.content


def test_a_user_without_an_organization_is_403():
    client = Client()
    client.force_login(UserFactory())
    assert client.get(reverse("api:invoice-list")).status_code == 403


def test_schema_generates_and_validates_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    # --fail-on-warn raises on any drf-spectacular warning or error; --validate checks it against OpenAPI 3.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    for path in [
        "/api/v1/invoices/{id}/finalize/",
        "/api/v1/invoices/{id}/void/",
        "/api/v1/payments/{id}/",
        "/api/v1/purchase-orders/",
        "/api/v1/tax-rates/{id}/",
    ]:
        assert path in text


def test_schema_and_docs_are_served_without_a_cdn(member_client):
    schema = member_client.get(reverse("api-schema"))
    assert schema.status_code == 200
    assert b"openapi:" in schema.content
    docs = member_client.get(reverse("api-docs"))
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "drf_spectacular_sidecar/swagger-ui-dist" in html
    assert "cdn." not in html and "unpkg" not in html
