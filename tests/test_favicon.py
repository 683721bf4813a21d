"""Every page shows the app's favicon: each template that opens an HTML document links it, and the file is served."""

from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.urls import reverse

pytestmark = pytest.mark.django_db

FAVICON = "favicon.svg"
LINK = f'<link rel="icon" href="{static(FAVICON)}" type="image/svg+xml">'
TEMPLATE_ROOT = Path(settings.BASE_DIR) / "templates"


def document_templates():
    """Our templates that open an HTML document themselves (the rest extend one of them)."""
    return sorted(path for path in TEMPLATE_ROOT.rglob("*.html") if "<head" in path.read_text())


def test_the_favicon_is_a_static_file():
    path = finders.find(FAVICON)
    assert path and Path(path).read_text().startswith("<svg")


@pytest.mark.parametrize("template", document_templates(), ids=lambda path: str(path.relative_to(TEMPLATE_ROOT)))
def test_every_document_template_links_the_favicon(template):
    assert "{% static 'favicon.svg' %}" in template.read_text()


@pytest.mark.parametrize(
    "url_name",
    ["account_login", "admin:login", "sandbox:xero-index", "billing:invoice-list", "billing:settings-organization"],
)
def test_pages_of_every_base_template_show_the_favicon(client, admin_user, url_name):
    if url_name.startswith("billing:"):
        client.force_login(admin_user)
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    assert LINK in response.content.decode()
