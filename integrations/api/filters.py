"""Query-string filters of the integration API, on querysets already scoped to the organization."""

from django_filters import rest_framework as filters

from billing.api.filters import id_filter

from ..models import SyncRun


class SyncRunFilter(filters.FilterSet):
    connection = id_filter("connection")

    class Meta:
        model = SyncRun
        fields = []
