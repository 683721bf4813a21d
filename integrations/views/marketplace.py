from django.views.generic import TemplateView

from billing.tenancy import OrganizationAdminRequiredMixin

from ..attention import attention_counts
from ..marketplace import marketplace_entries


class MarketplaceView(OrganizationAdminRequiredMixin, TemplateView):
    """Settings > App marketplace (admins only): a card per configured provider with its connections."""

    template_name = "integrations/marketplace.html"
    extra_context = {"nav": "settings", "settings_nav": "marketplace"}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["entries"] = marketplace_entries(organization=self.request.organization)
        context["plan"] = self.request.organization.get_plan_display()
        context["attention"] = attention_counts(organization=self.request.organization)  # the rows' badges
        return context
