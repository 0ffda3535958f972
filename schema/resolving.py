"""Fields whose resolver needs nothing of Strawberry's per-field work are called directly.

Strawberry resolves every field that has a resolver through the same path: an ``Info`` built,
the arguments converted (``get_arguments``), the field extensions chained, the result awaited
again for an async resolver. A diary of 50 lessons runs that path some 700 times for fields
like ``Lesson.period`` (``return self.model.period``): about a tenth of the request's CPU, and
the difference to a bare graphql-core server. ``direct_resolvers`` gives such a field, once,
when the schema is built, a graphql-core resolver that calls the method itself, with the
same ``Info`` when it asks for one. Only a field that takes no argument, has no field
extension (permission classes are one), no exception handler for its type and is no
subscription: for the others Strawberry's path does work, and they keep it."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import strawberry
from graphql import GraphQLObjectType, GraphQLResolveInfo
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField


def direct(field: StrawberryField, schema: strawberry.Schema) -> Callable[..., Any] | None:
    """A graphql-core resolver for ``field`` calling its method as Strawberry would, or None
    when Strawberry's path has something to do for it."""
    resolver = field.base_resolver
    if resolver is None or field.extensions or field.arguments or not resolver.self_parameter:
        return None
    if resolver.parent_parameter or resolver.root_parameter or inspect.isasyncgenfunction(resolver.wrapped_func):
        return None
    if not inspect.isfunction(resolver.wrapped_func):  # a staticmethod or classmethod
        return None
    if schema.schema_converter._get_field_exception_handlers(field):
        return None
    method = resolver.wrapped_func
    info_parameter = resolver.info_parameter
    if info_parameter is None:

        def resolve(source: Any, _info: GraphQLResolveInfo[Any]) -> Any:
            return method(source)

        return resolve
    info_class, name = schema.config.info_class, info_parameter.name

    def resolve_with_info(source: Any, info: GraphQLResolveInfo[Any]) -> Any:
        return method(source, **{name: info_class(_raw_info=info, _field=field)})

    return resolve_with_info


def direct_resolvers(schema: strawberry.Schema) -> int:
    """Every field of the query and mutation types that ``direct`` can call, called so (how
    many): the subscription root keeps its event-stream resolvers."""
    subscription = schema._schema.subscription_type
    count = 0
    for graphql_type in schema._schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType) or graphql_type is subscription:
            continue
        for graphql_field in graphql_type.fields.values():
            field = (graphql_field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if not isinstance(field, StrawberryField) or graphql_field.subscribe is not None:
                continue
            resolve = direct(field, schema)
            if resolve is not None:
                graphql_field.resolve = resolve
                count += 1
    return count
