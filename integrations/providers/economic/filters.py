"""e-conomic's `filter=` syntax (restdocs "Filtering"): `<property>$<operator>:<value>`, joined with `$and:` /
`$or:`. Special characters in values are escaped ($ → $$, ( → $(, ) → $), * → $*, , → $,, [ → $[, ] → $]);
`$in:` / `$nin:` take a bracketed list of at most 200 numbers. Requests URL-encode the whole expression."""

from __future__ import annotations

IN_MAX = 200  # values in one $in: list
_SPECIAL = "$()*,[]"


def escape(value: str) -> str:
    return "".join(f"${char}" if char in _SPECIAL else char for char in str(value))


def equals(prop: str, value: str) -> str:
    return f"{prop}$eq:{escape(value)}"


def any_of(prop: str, numbers: list[int]) -> str:
    """`prop$in:[1,2,3]` for at most IN_MAX whole numbers."""
    if not numbers or len(numbers) > IN_MAX:
        raise ValueError(f"An $in: filter takes 1 to {IN_MAX} numbers, not {len(numbers)}.")
    return f"{prop}$in:[{','.join(str(int(number)) for number in numbers)}]"


def either(expressions: list[str]) -> str:
    return "$or:".join(expressions)


def chunks(items: list, size: int = IN_MAX) -> list[list]:
    return [items[start : start + size] for start in range(0, len(items), size)]
