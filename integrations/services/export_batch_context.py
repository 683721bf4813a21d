"""What a batch of exports sends, loaded with the queries shared: the connection's mappings of the documents'
purpose once, each document's lines (CopyContext, as export_checks._copy_context builds it for one)."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from .. import registry
from ..documents import adapter_of
from ..models import Connection, ServiceTypeMapping, TaxRateMapping
from .export_checks import CopyContext


def batch_contexts(documents: list, connection: Connection, options: dict | None = None) -> dict:
    """document pk → its CopyContext, or the ValidationError its mapping problems raise (nothing saved or sent)."""
    if not documents:
        return {}
    adapter = adapter_of(documents[0])
    mapper = registry.get(connection.provider).mapper()
    purpose = adapter.mapping_purpose
    service_type_codes = dict(
        ServiceTypeMapping.objects.filter(connection=connection, purpose=purpose).values_list(
            "service_type_id", "remote_code"
        )
    )
    tax_codes = dict(
        TaxRateMapping.objects.filter(connection=connection, purpose=purpose).values_list("tax_rate_id", "remote_code")
    )
    mappings = mapper.mappings(
        connection=connection,
        kind=adapter.kind,
        service_type_codes=service_type_codes,
        tax_codes=tax_codes,
        options=options or {},
    )
    provider_numbers = mapper.provider_numbers(connection, adapter.kind)
    contexts: dict = {}
    for document in documents:
        context = CopyContext(
            adapter=adapter,
            mapper=mapper,
            lines=adapter.lines(document),
            mappings=mappings,
            provider_numbers=provider_numbers,
        )
        try:
            context.previews = mapper.preview(adapter.kind, document, context.lines, mappings)
        except ValidationError as exc:
            contexts[document.pk] = exc
        else:
            contexts[document.pk] = context
    return contexts
