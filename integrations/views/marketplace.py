from django.views.generic import TemplateView

from billing.tenancy import OrganizationAdminRequiredMixin


class MarketplaceView(OrganizationAdminRequiredMixin, TemplateView):
    """Settings > App marketplace. Admins only. The provider cards arrive with the integrations framework."""

    template_name = "integrations/marketplace.html"
    extra_context = {"nav": "settings", "settings_nav": "marketplace"}
