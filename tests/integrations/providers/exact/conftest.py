import pytest


@pytest.fixture(autouse=True)
def exact_configured(settings):
    """Exact Online with credentials (the test settings configure only Xero)."""
    settings.EXACT_CLIENT_ID = "test-exact-client-id"
    settings.EXACT_CLIENT_SECRET = "test-exact-client-secret"
    settings.EXACT_BASE_URLS = {
        "be": "https://start.exactonline.be",
        "nl": "https://start.exactonline.nl",
        "de": "https://start.exactonline.de",
    }
