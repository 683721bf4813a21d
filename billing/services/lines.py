"""Lines shared by invoices and purchase orders: input, validation against the column limits, amounts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError

from ..amount_limits import too_large
from ..models import (
    Organization,
    PricedLine,
    ServiceType,
    TaxRate,
)
from ..money import LineAmounts, line_amounts, totals_of


@dataclass(frozen=True)
class LineInput:
    description: str
    quantity: Decimal
    unit_price: Decimal
    service_type: ServiceType | None = None
    tax_rate: TaxRate | None = None


def decimal_input(value, field: str) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError({field: "Enter a number."}) from None


def check_same_organization(organization: Organization, **objects) -> None:
    """Refuse objects of another tenant (an id smuggled into a form or an API payload)."""
    errors = {
        field: "Not found."
        for field, obj in objects.items()
        if obj is not None and obj.organization_id != organization.pk
    }
    if errors:
        raise ValidationError(errors)


def sentence(text: str) -> str:
    return f"{text[:1].upper()}{text[1:]}."


def clean_lines(
    organization: Organization, lines: Iterable[LineInput], line_model: type[PricedLine], parent_model: type
) -> list[LineInput]:
    cleaned = []
    for index, line in enumerate(lines):
        quantity = decimal_input(line.quantity, "lines")
        unit_price = decimal_input(line.unit_price, "lines")
        if not (line.description or "").strip():
            raise ValidationError({"lines": f"Line {index + 1}: enter a description."})
        too_wide = too_large(line_model, {"quantity": quantity, "unit_price": unit_price})
        if too_wide:
            raise ValidationError({"lines": [f"Line {index + 1}: {problem}." for problem in too_wide]})
        if quantity <= 0:
            raise ValidationError({"lines": f"Line {index + 1}: the quantity must be greater than zero."})
        if unit_price < 0:
            raise ValidationError({"lines": f"Line {index + 1}: the unit price cannot be negative."})
        try:
            check_same_organization(organization, service_type=line.service_type, tax_rate=line.tax_rate)
        except ValidationError:
            raise ValidationError({"lines": f"Line {index + 1}: unknown service type or tax rate."}) from None
        cleaned.append(LineInput(line.description.strip(), quantity, unit_price, line.service_type, line.tax_rate))
    _check_line_amounts(line_model, parent_model, cleaned)
    return cleaned


def _amounts_of(line: LineInput) -> LineAmounts:
    return line_amounts(
        quantity=line.quantity,
        unit_price=line.unit_price,
        tax_percentage=line.tax_rate.percentage if line.tax_rate else None,
    )


def _check_line_amounts(line_model: type[PricedLine], parent_model: type, lines: list[LineInput]) -> None:
    """Refuse lines whose net or tax, or a document whose subtotal, tax or total, its column cannot hold."""
    amounts = [_amounts_of(line) for line in lines]
    problems = [
        f"Line {index}: {problem}."
        for index, line in enumerate(amounts, start=1)
        for problem in too_large(line_model, {"amount": line.net, "tax_amount": line.tax})
    ]
    if not problems:
        totals = totals_of(amounts)
        derived = {"subtotal": totals.subtotal, "tax_total": totals.tax, "total": totals.total}
        problems = [sentence(problem) for problem in too_large(parent_model, derived)]
    if problems:
        raise ValidationError({"lines": problems})


def write_lines(parent_field: str, parent, line_model: type[PricedLine], lines: list[LineInput]) -> None:
    line_model.objects.filter(**{parent_field: parent}).delete()
    rows = []
    for position, line in enumerate(lines):
        amounts = _amounts_of(line)
        rows.append(
            line_model(
                **{parent_field: parent},
                position=position,
                description=line.description,
                quantity=line.quantity,
                unit_price=line.unit_price,
                service_type=line.service_type,
                tax_rate=line.tax_rate,
                amount=amounts.net,
                tax_amount=amounts.tax,
            )
        )
    line_model.objects.bulk_create(rows)
    totals = totals_of(line_amounts_of(rows))
    parent.subtotal, parent.tax_total, parent.total = totals.subtotal, totals.tax, totals.total
    parent.save(update_fields=["subtotal", "tax_total", "total", "updated_at"])


def line_amounts_of(rows: Iterable[PricedLine]) -> list[LineAmounts]:
    return [LineAmounts(net=row.amount, tax=row.tax_amount) for row in rows]
