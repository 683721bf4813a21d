"""Building blocks shared by the billing pages: tenant-scoped lookups and service-backed form handling."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.views.generic import View
from django.views.generic.base import TemplateResponseMixin
from django.views.generic.detail import SingleObjectMixin
from django_htmx.http import HttpResponseClientRedirect

from billing.forms import add_service_error
from billing.tenancy import OrganizationMemberRequiredMixin


class OrganizationScopedMixin:
    """Every queryset is the request organization's rows; another organization's pk is a 404."""

    model = None
    nav = ""

    def get_queryset(self):
        return self.model.objects.filter(organization=self.request.organization)

    def get_context_data(self, **kwargs):
        return super().get_context_data(nav=self.nav, **kwargs)


class FilteredListMixin:
    """A list page narrowed by a GET filter form; `list_rows(filters)` calls the page's selector.

    Invalid filters (a bad date, another organization's id) show their errors and leave the list unfiltered.
    """

    filter_form_class = None

    def list_rows(self, filters: dict):
        raise NotImplementedError

    def get_queryset(self):
        self.filter_form = self.filter_form_class(self.request.GET or None, organization=self.request.organization)
        return self.list_rows(self.filter_form.cleaned_data if self.filter_form.is_valid() else {})

    def get_context_data(self, **kwargs):
        query = self.request.GET.copy()
        query.pop("page", None)
        return super().get_context_data(
            filter_form=self.filter_form,
            filtered=any(value for key, value in self.request.GET.items() if key != "page"),
            querystring=query.urlencode(),
            **kwargs,
        )


def redirect_to(request, url):
    """A redirect that also works for HTMX requests (full page navigation, not a swap)."""
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)
    return HttpResponseRedirect(url)


def run_service(form, call):
    """Run a service call; on ValidationError put its messages on the form and return None."""
    try:
        return call()
    except ValidationError as error:
        add_service_error(form, error)
        return None


class ObjectActionView(OrganizationMemberRequiredMixin, OrganizationScopedMixin, SingleObjectMixin, View):
    """POST-only button on an object (finalize, void, ...): run `perform`, flash the outcome, go back."""

    http_method_names = ["post"]
    success_message = ""

    def perform(self, obj):
        raise NotImplementedError

    def get_success_url(self, obj):
        return obj.get_absolute_url()

    def post(self, request, *args, **kwargs):
        obj = self.get_object()
        try:
            obj = self.perform(obj) or obj
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, self.success_message.format(obj=obj))
        return redirect_to(request, self.get_success_url(obj))


class LinesFormView(OrganizationMemberRequiredMixin, OrganizationScopedMixin, TemplateResponseMixin, View):
    """Create or edit a document with a header form and a formset of priced lines, saved by one service call."""

    form_class = None
    formset_class = None
    success_message = "Saved."

    def get_object(self):
        if "pk" not in self.kwargs:
            return None
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def get_form_kwargs(self, obj) -> dict:
        return {}

    def get_line_initial(self, obj) -> list[dict]:
        return []

    def save(self, obj, form, formset):
        """Call the service; return the saved object (ValidationError is shown on the form)."""
        raise NotImplementedError

    def render(self, obj, form, formset):
        return self.render_to_response({"object": obj, "form": form, "formset": formset, "nav": self.nav, "view": self})

    def forms(self, obj, data=None):
        organization = self.request.organization
        form = self.form_class(data, organization=organization, **self.get_form_kwargs(obj))
        formset = self.formset_class(
            data, organization=organization, initial=self.get_line_initial(obj), prefix="lines"
        )
        return form, formset

    def get(self, request, *args, **kwargs):
        obj = self.get_object()
        return self.render(obj, *self.forms(obj))

    def post(self, request, *args, **kwargs):
        obj = self.get_object()
        form, formset = self.forms(obj, request.POST)
        if form.is_valid() and formset.is_valid():
            saved = run_service(form, lambda: self.save(obj, form, formset))
            if saved is not None:
                messages.success(request, self.success_message.format(obj=saved))
                return HttpResponseRedirect(saved.get_absolute_url())
        return self.render(obj, form, formset)
