"""A provider's setup schema (integrations.setup_schema) read against one connection: what the saved setup still
needs before copying (`setup_missing`), the page's warnings, and what the provider would refuse in submitted
values (`setup_problems`).
"""

from __future__ import annotations

from integrations.setup_schema import (
    NEEDED_NONE,
    Pick,
    PickList,
    Radio,
    SetupContext,
    SetupField,
    SetupSchema,
    SetupValues,
)


def setup_missing(schema: SetupSchema, context: SetupContext) -> list[str]:
    """What the saved setup still needs before copying, in the page's order; [] when ready."""
    missing = []
    for section in schema.sections:
        for item in section.items:
            if isinstance(item, SetupField):
                if item.needed and item.stored(context.settings) in ("", None, False):
                    missing.append(item.missing or f"{item.label[:1].lower()}{item.label[1:]}")
            elif item.needed != NEEDED_NONE:
                stored = context.stored_mappings(item)
                missing += [
                    item.missing.format(row=row)
                    for row in context.rows(item)
                    if context.row_needed(item, row) and row.pk not in stored
                ]
    return missing


def setup_warnings(schema: SetupSchema, context: SetupContext) -> list[str]:
    return [warning for hook in schema.warnings for warning in hook(context)]


def unknown_option(pick_list: PickList, context: SetupContext) -> str:
    return f"Not an active {pick_list.singular} in {context.provider.name}: refresh the lists."


def setup_problems(schema: SetupSchema, values: SetupValues, context: SetupContext) -> dict[str, str]:
    """What the provider would refuse, per form field name; {} when the setup can be saved."""
    problems: dict[str, str] = {}
    for item in schema.fields:
        value = values.fields.get(item.name, item.default())
        problem = _field_problem(item, value, context)
        if not problem:
            problem = next((p for check in item.validators if (p := check(value, context))), "")
        if problem:
            problems[item.name] = problem
    for table in schema.tables:
        for row in context.rows(table):
            code = values.mappings.get(table.name, {}).get(row.pk, "")
            if not code:
                continue
            option = context.option(table.pick_list, code, table.accept)
            if option is None:
                problem = unknown_option(context.pick_list(table.pick_list), context)
            else:
                problem = next((p for check in table.row_validators if (p := check(row, option, context))), "")
            if problem:
                problems[table.field_name(row.pk)] = problem
    if not problems:
        for check in schema.checks:
            problems.update(check(values, context))
    return problems


def _field_problem(item: SetupField, value, context: SetupContext) -> str:
    if isinstance(item, Radio) and value not in {choice for choice, _label in item.choices}:
        return item.refusal
    if isinstance(item, Pick) and value and context.option(item.pick_list, value, item.accept) is None:
        return unknown_option(context.pick_list(item.pick_list), context)
    return ""
