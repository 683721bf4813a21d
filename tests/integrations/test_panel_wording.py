import pytest
from django.urls import reverse

from tests.factories import SubsidiaryFactory, make_invoice


@pytest.mark.parametrize(("name", "expected"), [("Acme B.V.", "Acme B.V. Connect"), ("Acme Ltd", "Acme Ltd. Connect")])
def test_unconnected_subsidiary_sentence_ends_once(admin_client, organization, name, expected):
    subsidiary = SubsidiaryFactory(organization=organization, name=name)
    invoice = make_invoice(subsidiary=subsidiary, finalize=True)
    page = admin_client.get(reverse("billing:invoice-detail", args=[invoice.pk])).content.decode()
    assert f"No accounting tool is connected for {expected} one in the" in page
