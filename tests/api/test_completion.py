"""Lists of scalars completed in one pass (``schema/completion.py``) answer exactly what
graphql-core's own path answers, errors included."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLString,
    execute,
    parse,
)
from graphql.execution.executor import Executor

from schema.completion import leaf_lists


class Colour(Enum):
    RED = "red"
    BLUE = "blue"


def _day(value: Any) -> str:
    if not isinstance(value, dt.date):
        raise TypeError(f"not a date: {value!r}")
    return value.isoformat()


_COLOUR = GraphQLEnumType("Colour", {"RED": Colour.RED, "BLUE": Colour.BLUE})
_DAY = GraphQLScalarType("Day", coerce_output_value=_day)
_LISTS: dict[str, tuple[Any, list[Any]]] = {
    "ints": (GraphQLList(GraphQLInt), [1, None, 3]),
    "strict": (GraphQLList(GraphQLNonNull(GraphQLInt)), [1, None, 3]),
    "colours": (GraphQLList(_COLOUR), [Colour.RED, None, Colour.BLUE]),
    "strings": (GraphQLNonNull(GraphQLList(GraphQLNonNull(GraphQLString))), ["a", "b"]),
    "days": (GraphQLList(_DAY), [dt.date(2026, 9, 1), None]),
    "wrong": (GraphQLList(GraphQLInt), [1, "x", 3]),
    "unknown": (GraphQLList(_COLOUR), [Colour.RED, "green"]),
}
_SCHEMA = GraphQLSchema(
    GraphQLObjectType(
        "Query",
        {name: GraphQLField(kind, resolve=lambda *_, items=items: items) for name, (kind, items) in _LISTS.items()},
    )
)


def _run(executor: type[Executor[Any]] | None, query: str) -> tuple[Any, list[Any]]:
    result = execute(_SCHEMA, parse(query), executor_class=executor)
    assert not hasattr(result, "__await__")
    return result.data, sorted((e.message, e.path) for e in result.errors or [])


@pytest.mark.parametrize("name", sorted(_LISTS))
def test_one_pass_answers_what_graphql_core_answers(name: str) -> None:
    query = "{ %s }" % name  # noqa: UP031 - a field name of this module's own schema
    ours = _run(leaf_lists(Executor), query)
    assert ours == _run(None, query)
    if name in ("ints", "colours", "strings"):
        assert ours[1] == []  # the plain cases answer without errors
    if name in ("strict", "wrong", "unknown"):
        assert ours[1]  # and the others with graphql-core's own errors
