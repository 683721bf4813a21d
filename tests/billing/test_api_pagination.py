"""API lists honour `?page_size=` (at most MAX_PAGE_SIZE), the `next` link keeps it, bad values are a 400."""

from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import reverse

from billing.api.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PageSizePagination
from billing.api.urls import router
from billing.models import ServiceType

pytestmark = pytest.mark.django_db

PAGINATED_LISTS = [basename for _prefix, viewset, basename in router.registry if viewset.pagination_class]


def test_every_billing_list_uses_the_page_size_pagination():
    assert PAGINATED_LISTS == [basename for _prefix, _viewset, basename in router.registry]
    assert all(viewset.pagination_class is PageSizePagination for _prefix, viewset, _basename in router.registry)


@pytest.fixture
def service_types(organization):
    ServiceType.objects.bulk_create(
        ServiceType(organization=organization, name=f"Service {n:03}") for n in range(MAX_PAGE_SIZE + 1)
    )


def test_page_size_gives_that_many_rows_and_the_next_link_keeps_it(member_client, service_types):
    body = member_client.get(reverse("api:servicetype-list"), {"page_size": 5}).json()
    assert len(body["results"]) == 5
    assert body["count"] == MAX_PAGE_SIZE + 1
    following = parse_qs(urlparse(body["next"]).query)
    assert following == {"page": ["2"], "page_size": ["5"]}
    second = member_client.get(body["next"]).json()
    assert len(second["results"]) == 5
    assert {row["id"] for row in second["results"]}.isdisjoint(row["id"] for row in body["results"])


def test_without_page_size_a_page_has_the_default_size(member_client, service_types):
    body = member_client.get(reverse("api:servicetype-list")).json()
    assert len(body["results"]) == DEFAULT_PAGE_SIZE


def test_a_page_size_above_the_maximum_is_capped(member_client, service_types):
    body = member_client.get(reverse("api:servicetype-list"), {"page_size": 10**9}).json()
    assert len(body["results"]) == MAX_PAGE_SIZE
    assert parse_qs(urlparse(body["next"]).query)["page_size"] == [str(10**9)]


@pytest.mark.parametrize("basename", PAGINATED_LISTS)
@pytest.mark.parametrize("value", ["0", "-5", "ten", "2.5", ""])
def test_an_invalid_page_size_is_a_400_with_the_field(member_client, basename, value):
    response = member_client.get(reverse(f"api:{basename}-list"), {"page_size": value})
    assert response.status_code == 400
    assert response.json() == {"page_size": [f"A whole number from 1 to {MAX_PAGE_SIZE}."]}


def test_the_schema_documents_page_size_and_its_maximum(member_client):
    schema = member_client.get(reverse("api-schema"), {"format": "json"}).json()
    parameters = schema["paths"]["/api/v1/invoices/"]["get"]["parameters"]
    page_size = next(parameter for parameter in parameters if parameter["name"] == "page_size")
    assert page_size["schema"] == {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": 50}
    assert str(MAX_PAGE_SIZE) in page_size["description"]
