import pytest

from .fake_economic import APP_PUBLIC, APP_SECRET


@pytest.fixture(autouse=True)
def economic_configured(settings):
    """e-conomic with the app's two tokens (the test settings configure only Xero)."""
    settings.ECONOMIC_APP_PUBLIC_TOKEN = APP_PUBLIC
    settings.ECONOMIC_APP_SECRET_TOKEN = APP_SECRET
