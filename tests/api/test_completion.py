"""Lists of scalars, and lists of objects whose fields are plain reads, completed in one pass
(``schema/completion.py``) answer exactly what graphql-core's own path answers, errors included."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Any

import pytest
import strawberry
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
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema import direct_resolvers
from schema.completion import PlainReads, leaf_lists


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


# --- lists of objects whose fields are plain reads -------------------------------------------


@strawberry.enum
class Shade(Enum):
    DARK = "dark"
    LIGHT = "light"


@strawberry.type
class Mark:
    value: str
    weight: int | None = None


@strawberry.type
class Line:
    name: str
    shade: Shade
    score: int
    mark: Mark | None = None
    marks: list[Mark] = strawberry.field(default_factory=list)
    scores: list[int] = strawberry.field(default_factory=list)

    @strawberry.field
    def doubled(self) -> int:
        return 2 * self.score

    @strawberry.field
    def broken(self) -> int:
        raise ValueError("broken")

    @strawberry.field
    def seen_by(self, info: strawberry.Info) -> str:
        return f"{info.context['who']}:{self.name}"

    @strawberry.field
    def times(self, n: int) -> int:
        return n * self.score


def _lines() -> list[Line]:
    return [
        Line(name="a", shade=Shade.DARK, score=1, mark=Mark(value="5", weight=2), marks=[Mark(value="4")], scores=[1]),
        Line(name="b", shade=Shade.LIGHT, score=2, scores=[2, 3]),
    ]


@strawberry.type
class LineQuery:
    @strawberry.field
    def lines(self) -> list[Line]:
        return _lines()

    @strawberry.field
    def nameless(self) -> list[Line]:  # a non-null field answering null: graphql-core's error
        return [*_lines(), Line(name=None, shade=Shade.DARK, score=3)]  # type: ignore[arg-type]


_FIELD_EXECUTIONS: list[str] = []


def _line_schema(plain: bool, wrap: bool = False) -> strawberry.Schema:
    """The schema above as ``build_schema`` sets it up; ``plain=False`` finds no plain read (every
    list takes graphql-core's path), ``wrap`` wraps ``Line.score`` as ``guard_faces`` wraps a
    face's fields, once the plain reads are found."""
    reads = PlainReads()

    class Counting(leaf_lists(StrawberryGraphQLCoreExecutionContext, reads)):  # type: ignore[misc]
        def execute_field(self, parent_type: Any, *args: Any, **kwargs: Any) -> Any:
            _FIELD_EXECUTIONS.append(parent_type.name)
            return super().execute_field(parent_type, *args, **kwargs)

    schema = strawberry.Schema(query=LineQuery, execution_context_class=Counting)
    direct: set[Any] = set()
    direct_resolvers(schema, direct)
    if plain:
        reads.found(schema, direct)
    if wrap:
        line = schema._schema.type_map["Line"]
        assert isinstance(line, GraphQLObjectType)
        score = line.fields["score"]
        read = score.resolve
        assert read is not None
        score.resolve = lambda source, info: -1 if source.name == "a" else read(source, info)
    return schema


def _answer(schema: strawberry.Schema, query: str) -> tuple[Any, list[Any]]:
    result = schema.execute_sync(query, context_value={"who": "me"})
    return result.data, sorted((e.message, e.path) for e in result.errors or [])


_QUERIES = {
    "plain": "{ lines { name shade score doubled __typename mark { value weight } marks { value } scores } }",
    "aliases and fragments": "{ lines { n: name ...L } } fragment L on Line { s: score name mark { v: value } }",
    "info": "{ lines { name seenBy } }",
    "argument": "{ lines { name times(n: 3) } }",
    "raises": "{ lines { name broken } }",
    "null in a non-null field": "{ nameless { name score } }",
}


@pytest.mark.parametrize("name", sorted(_QUERIES))
def test_a_list_of_plain_objects_answers_what_graphql_core_answers(name: str) -> None:
    ours = _answer(_line_schema(plain=True), _QUERIES[name])
    assert ours == _answer(_line_schema(plain=False), _QUERIES[name])
    if name == "raises":
        assert ours[1] == [("broken", ["lines", 0, "broken"])]
    if name == "null in a non-null field":
        assert ours[1] == [("Cannot return null for non-nullable field Line.name.", ["nameless", 2, "name"])]


def test_a_list_of_plain_objects_executes_no_field_per_item_and_the_others_do() -> None:
    schema = _line_schema(plain=True)
    _FIELD_EXECUTIONS.clear()
    data, errors = _answer(schema, _QUERIES["plain"])
    assert errors == []
    assert data["lines"][0] == {
        "name": "a",
        "shade": "DARK",
        "score": 1,
        "doubled": 2,
        "__typename": "Line",
        "mark": {"value": "5", "weight": 2},
        "marks": [{"value": "4"}],
        "scores": [1],
    }
    assert _FIELD_EXECUTIONS == ["LineQuery"]  # the root field only: every item's fields read in one pass
    _FIELD_EXECUTIONS.clear()
    _answer(schema, _QUERIES["info"])  # a field that takes an Info is not a plain read
    assert _FIELD_EXECUTIONS.count("Line") == 4


def test_a_resolver_wrapped_after_the_schema_is_built_is_no_longer_a_plain_read() -> None:
    """As ``guard_faces`` wraps a face's fields: the wrapper answers, not the attribute."""
    data, errors = _answer(_line_schema(plain=True, wrap=True), "{ lines { name score } }")
    assert errors == []
    assert data == {"lines": [{"name": "a", "score": -1}, {"name": "b", "score": 2}]}
