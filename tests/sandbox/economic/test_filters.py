"""The `filter=` parser and evaluator on their own: precedence, escapes, $null:, $like: wildcards, $in: lists."""

import pytest

from integrations.sandbox.economic.filters import FilterError, Group, Predicate, matches, parse

FILTERABLE = {"name": "str", "city": "str", "age": "int", "customerNumber": "int", "barred": "bool"}
JOE = {"name": "Joe", "city": "Newport", "age": 41, "customerNumber": 5}


def test_and_binds_tighter_than_or_and_parentheses_override():
    tree = parse("name$eq:Ann$or:name$eq:Joe$and:age$lt:40", FILTERABLE)
    assert isinstance(tree, Group) and tree.op == "or" and tree.parts[1].op == "and"
    assert not matches(tree, JOE, FILTERABLE)
    grouped = parse("(name$eq:Ann$or:name$eq:Joe)$and:age$gt:40", FILTERABLE)
    assert matches(grouped, JOE, FILTERABLE)


def test_the_documented_examples():
    assert matches(parse("name$eq:Joe$and:city$like:*port", FILTERABLE), JOE, FILTERABLE)
    example = "name$eq:Joe$and:(city$like:*port$or:age$lt:40)"
    assert matches(parse(example, FILTERABLE), JOE, FILTERABLE)
    assert matches(parse("customerNumber$in:[2,5,7,22,45]", FILTERABLE), JOE, FILTERABLE)
    assert not matches(parse("customerNumber$nin:[2,5,7,22,45]", FILTERABLE), JOE, FILTERABLE)


def test_escapes_and_null():
    tree = parse("name$eq:a$$b$,c$[d$]$(e$)", FILTERABLE)
    assert tree == Predicate("name", "eq", "a$b,c[d](e)")
    literal_star = parse("name$like:5$*", FILTERABLE)
    assert matches(literal_star, {"name": "Discount 5*"}, FILTERABLE)
    assert not matches(literal_star, {"name": "Discount 50"}, FILTERABLE)
    assert matches(parse("city$eq:$null:", FILTERABLE), {"name": "x"}, FILTERABLE)
    assert matches(parse("customerNumber$in:[$null:,3]", FILTERABLE), {"name": "x"}, FILTERABLE)
    assert not matches(parse("city$ne:$null:", FILTERABLE), {"name": "x"}, FILTERABLE)


def test_like_is_contains_without_wildcards_and_case_insensitive():
    assert matches(parse("city$like:EWPO", FILTERABLE), JOE, FILTERABLE)
    assert not matches(parse("city$like:EWPO*", FILTERABLE), JOE, FILTERABLE)
    assert matches(parse("city$like:n*t", FILTERABLE), JOE, FILTERABLE)


@pytest.mark.parametrize(
    "text",
    ["unknown$eq:1", "name$in:[a]", "age$eq:old", "age$in:[1,x]", "name$eq:Joe)", "name", "name$eq:a$%", "age$in:1"],
)
def test_refused(text):
    with pytest.raises(FilterError):
        parse(text, FILTERABLE)
