"""e-conomic's installation page: the app (by its public token) is added to one demo agreement and the person is
sent back to the redirect URL with the agreement grant token in `token`; the API then takes the two tokens."""

import re

import pytest
import requests

from integrations.sandbox.economic.demo import DANISH_AGREEMENT, SWEDISH_AGREEMENT
from integrations.sandbox.models import Connection
from productive.settings.sandbox import sandbox_provider_settings

from .conftest import Eco, callback, install_url


def test_the_page_offers_both_agreements_and_refuses_unknown_apps_and_redirects(client):
    page = client.get(install_url()).content.decode()
    assert "Sandbox Studio ApS" in page and "Sandbox Konsult AB" in page
    assert client.get(install_url(appPublicToken="someone-else")).status_code == 400
    assert client.get(install_url(redirectUrl="http://testserver/elsewhere/")).status_code == 400
    assert client.get(install_url(redirectUrl="javascript:alert(1)")).status_code == 400


def test_adding_the_app_redirects_with_the_grant_token_and_cancel_without(client):
    assert "token" not in callback(client.post(install_url(), {"cancel": "1"}))
    got = callback(client.post(install_url(), {"tenant": [str(SWEDISH_AGREEMENT)], "allow": "1"}))
    assert set(got) == {"token"} and len(got["token"]) >= 32
    nothing = client.post(install_url(), {"allow": "1"})
    assert nothing.status_code == 400 and "Select the agreement" in nothing.content.decode()


def test_the_redirect_url_keeps_its_own_query_such_as_the_apps_state(client):
    url = install_url(redirectUrl="http://testserver/integrations/economic/callback/?state=st-9")
    got = callback(client.post(url, {"tenant": [str(DANISH_AGREEMENT)]}))
    assert got["state"] == "st-9" and got["token"]
    assert callback(client.post(url, {"cancel": "1"})) == {"state": "st-9"}


def test_one_grant_token_is_one_agreement(client):
    danish, swedish = Eco(client), Eco(client)
    danish.install(DANISH_AGREEMENT)
    swedish.install(SWEDISH_AGREEMENT)
    assert danish.get("self").json()["agreementNumber"] == DANISH_AGREEMENT
    assert swedish.get("self").json()["company"]["name"] == "Sandbox Konsult AB"
    assert swedish.get("customers").json()["collection"][0]["currency"] == "SEK"
    # ticking both agreements still grants one (e-conomic installs into the agreement you are logged into)
    both = callback(client.post(install_url(), {"tenant": [str(DANISH_AGREEMENT), str(SWEDISH_AGREEMENT)]}))
    assert Eco(client).get("self", grant=both["token"]).json()["agreementNumber"] == DANISH_AGREEMENT


def test_self_names_the_agreement_its_company_and_the_app(eco):
    body = eco.get("self").json()
    assert body["agreementNumber"] == DANISH_AGREEMENT and body["settings"]["baseCurrency"] == "DKK"
    assert body["application"]["appPublicToken"] == "sandbox-economic-public-token"
    assert body["self"] == "http://testserver/sandbox/economic/api/self"


@pytest.fixture
def urls(live_server, transactional_db):
    return sandbox_provider_settings(live_server.url)


def test_the_whole_installation_over_real_http_at_the_settings_urls(urls, live_server):
    session = requests.Session()
    redirect = f"{live_server.url}/integrations/economic/callback/"
    query = {"appPublicToken": urls["ECONOMIC_APP_PUBLIC_TOKEN"], "redirectUrl": redirect}
    page = session.get(urls["ECONOMIC_INSTALL_URL"], params=query, timeout=10)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    refused = session.post(page.url, {"tenant": str(DANISH_AGREEMENT)}, allow_redirects=False, timeout=10)
    assert refused.status_code == 403  # CSRF protects the page
    answer = session.post(
        page.url, {"csrfmiddlewaretoken": csrf, "tenant": str(DANISH_AGREEMENT)}, allow_redirects=False, timeout=10
    )
    assert answer.status_code == 302 and answer.headers["Location"].startswith(redirect + "?token=")
    token = answer.headers["Location"].split("token=", 1)[1]
    headers = {
        "X-AppSecretToken": urls["ECONOMIC_APP_SECRET_TOKEN"],
        "X-AgreementGrantToken": token,
        "Content-Type": "application/json",
    }
    me = requests.get(f"{urls['ECONOMIC_API_URL']}/self", headers=headers, timeout=10)
    assert me.status_code == 200 and me.json()["company"]["name"] == "Sandbox Studio ApS"
    assert me.json()["self"] == f"{urls['ECONOMIC_API_URL']}/self"
    layouts = requests.get(f"{urls['ECONOMIC_API_URL']}/layouts", headers=headers, timeout=10).json()
    assert layouts["collection"][0]["self"].startswith(urls["ECONOMIC_API_URL"] + "/layouts/")
    assert Connection.objects.filter(provider="economic", tenant_key=str(DANISH_AGREEMENT), is_active=True).exists()
