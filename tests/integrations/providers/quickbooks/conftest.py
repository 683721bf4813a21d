import pytest


@pytest.fixture(autouse=True)
def quickbooks_configured(settings):
    """QuickBooks with credentials (the test settings configure only Xero)."""
    settings.QUICKBOOKS_CLIENT_ID = "test-qbo-client-id"
    settings.QUICKBOOKS_CLIENT_SECRET = "test-qbo-client-secret"
