"""schema.direct_resolvers: fields called directly answer as through Strawberry's path; the others keep it."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLObjectType
from strawberry.permission import BasePermission

from schema import build_schema, direct_resolvers


class Never(BasePermission):
    message = "never"

    def has_permission(self, source: Any, info: strawberry.Info[Any, Any], **kwargs: Any) -> bool:
        return False


@strawberry.type
class Toy:
    @strawberry.field
    def plain(self) -> int:
        return 1

    @strawberry.field
    def named(self, info: strawberry.Info) -> str:
        return f"{info.field_name}:{info.context['who']}"

    @strawberry.field
    async def later(self, info: strawberry.Info) -> str:
        return f"{info.path.key} later"

    @strawberry.field
    def doubled(self, n: int) -> int:
        return 2 * n

    @strawberry.field(permission_classes=[Never])  # type: ignore[untyped-decorator]
    def hidden(self) -> int:
        return 3


@strawberry.type
class ToyQuery:
    @strawberry.field
    def toy(self) -> Toy:
        return Toy()


def _resolver_name(schema: strawberry.Schema, type_name: str, field: str) -> str:
    graphql_type = schema._schema.type_map[type_name]
    assert isinstance(graphql_type, GraphQLObjectType)
    resolve = graphql_type.fields[field].resolve
    assert resolve is not None
    return str(resolve.__name__)


async def test_a_direct_field_answers_as_strawberry_does_and_the_others_keep_its_path() -> None:
    schema = strawberry.Schema(query=ToyQuery)
    before = await schema.execute("{ toy { plain named later doubled(n: 2) } }", context_value={"who": "me"})
    assert direct_resolvers(schema) == 4  # toy, plain, named, later
    after = await schema.execute("{ toy { plain named later doubled(n: 2) } }", context_value={"who": "me"})
    assert before.errors is None
    assert after.errors is None
    assert after.data == before.data == {"toy": {"plain": 1, "named": "named:me", "later": "later later", "doubled": 4}}
    assert _resolver_name(schema, "Toy", "doubled") == "_resolver"  # an argument to convert
    assert _resolver_name(schema, "Toy", "hidden") == "_resolver"  # permission classes are a field extension
    refused = await schema.execute("{ toy { hidden } }", context_value={"who": "me"})
    assert refused.errors is not None
    assert refused.errors[0].message == "never"


def test_the_diary_schema_calls_its_plain_fields_directly_and_keeps_gates_arguments_and_faces() -> None:
    schema = build_schema()
    assert _resolver_name(schema, "DiaryDay", "date") == "resolve"
    assert _resolver_name(schema, "Lesson", "subject") == "resolve_with_info"
    assert _resolver_name(schema, "Query", "viewer") == "_async_resolver"  # IsAuthenticated
    assert _resolver_name(schema, "Viewer", "notifications") == "_async_resolver"  # arguments to convert
    assert _resolver_name(schema, "SchoolClass", "students") == "guarded"  # a face answers null here (schema/faces.py)
