"""Before an export sends anything: may this document go to this connection (document_export_check), and what
would it send (the CopyContext: the document's adapter, the provider's mapper, our lines and the connection's
mappings of the document's purpose). Refusals are ValidationErrors; nothing is saved or sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from billing.models import Invoice

from .. import registry
from ..documents import DocumentAdapter, adapter_of
from ..models import Connection, ServiceTypeMapping, TaxRateMapping


def document_export_check(*, document, connection: Connection) -> None:
    """Refuse (ValidationError) what may not be exported, before anything is saved or sent."""
    _document_refusal(document, connection)
    _connection_refusal(adapter_of(document), connection, document.organization)
    _number_refusal(document, connection)


def document_export_checks(*, documents: list, connection: Connection) -> dict:
    """document_export_check for many documents of one kind and connection, the connection's part checked once:
    document pk → the ValidationError refusing it (the exportable ones are absent)."""
    refusals: dict = {}
    connection_checked: ValidationError | bool = False
    for document in documents:
        try:
            _document_refusal(document, connection)
            if connection_checked is False:
                try:
                    _connection_refusal(adapter_of(document), connection, document.organization)
                    connection_checked = True
                except ValidationError as exc:
                    connection_checked = exc
            if isinstance(connection_checked, ValidationError):
                raise connection_checked
            _number_refusal(document, connection)
        except ValidationError as exc:
            refusals[document.pk] = exc
    return refusals


def _document_refusal(document, connection: Connection) -> None:
    adapter = adapter_of(document)
    if connection.organization_id != document.organization_id:
        raise ValidationError({"connection": "Not found."})
    if connection.subsidiary_id != adapter.subsidiary_id(document):
        raise ValidationError(
            {"connection": f"{connection.name} is connected for another subsidiary than this {adapter.label}'s."}
        )
    refusal = adapter.export_refusal(document)
    if refusal:
        raise ValidationError(refusal)


def _connection_refusal(adapter: DocumentAdapter, connection: Connection, organization) -> None:
    try:
        provider = registry.get(connection.provider)
    except registry.ProviderNotFound:
        raise ValidationError({"connection": "This integration is not available."}) from None
    capability = adapter.capability
    if (
        not provider.is_configured()
        or capability not in provider.capabilities
        or adapter.kind not in provider.export_kinds
    ):
        raise ValidationError({"connection": f"{provider.name} cannot copy {adapter.label}s here."})
    if not provider.allows(organization, capability):
        raise ValidationError({"connection": f"Copying {adapter.label}s to {provider.name} needs a higher plan."})
    if not connection.is_active:
        raise ValidationError(
            {
                "connection": f"{connection.name} is {connection.get_status_display().lower()}: "
                "reconnect it in Settings > App marketplace first."
            }
        )
    if not provider.exports_enabled(connection, adapter.kind):
        raise ValidationError(
            {
                "connection": f"Sending {adapter.label}s to {provider.name} is off for {connection.name}: "
                "turn it on in its setup first."
            }
        )
    missing = provider.setup_missing(connection)
    if missing:  # what the setup still needs, in the provider's words (e.g. Exact: VAT codes set up there first)
        needs = "; ".join(missing)
        raise ValidationError(
            {"connection": f"Finish the setup of {connection.name} before copying: it needs {needs}."}
        )


def _number_refusal(document, connection: Connection) -> None:
    adapter = adapter_of(document)
    if not adapter.number(document) and not registry.get(connection.provider).numbers_documents(
        connection, adapter.kind
    ):
        raise ValidationError(
            f"This {adapter.label} has no number yet: it takes the number of the accounting tool that numbers "
            f"{document.subsidiary}'s {adapter.label}s. Copy it there first."
        )


def invoice_copy_check(*, invoice: Invoice, connection: Connection) -> None:
    document_export_check(document=invoice, connection=connection)


@dataclass
class CopyContext:
    """What an export sends, loaded once: the document's adapter, the provider's mapper, our lines and the
    connection's mappings of the document's purpose."""

    adapter: DocumentAdapter
    mapper: object
    lines: list
    mappings: object
    previews: list = field(default_factory=list)
    provider_numbers: bool = False  # the provider numbers documents that have no number of ours


def _copy_context(
    document, connection: Connection, options: dict | None = None, *, prompt: bool = False
) -> CopyContext:
    adapter = adapter_of(document)
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
    context = CopyContext(
        adapter=adapter,
        mapper=mapper,
        lines=adapter.lines(document),
        mappings=mappings,
        provider_numbers=mapper.provider_numbers(connection, adapter.kind),
    )
    # Mapping problems raise here; the prompt's own preview leaves out what the prompt is about to ask.
    preview = mapper.prompt_preview if prompt else mapper.preview
    context.previews = preview(adapter.kind, document, context.lines, mappings)
    return context


def invoice_copy_preview(*, invoice: Invoice, connection: Connection, options: dict | None = None) -> list:
    """The lines, accounts and tax types a copy would send with these prompt options (for the prompt);
    ValidationError if it can't."""
    invoice_copy_check(invoice=invoice, connection=connection)
    return _copy_context(invoice, connection, options, prompt=options is None).previews
