"""Lists completed in one pass: graphql-core completes every item of a list through the whole
value-completion path (a ``Path`` per item, the checks for errors, nulls, lists, leaves,
objects), which for a grid sent in columns (``JournalRow.line``: a few lists of 40 scalars per
row, 30 rows) cost more than the rest of the request; and every field of every object of a list
through the whole field-execution path (an info built, the middleware looked up, the arguments
read, the value completed), which for a class's progress (30 children x 5 lines x 12 fields)
was most of the request's CPU.

So a list of scalars or enums whose items are all plain values is coerced item by item, and a
list of objects whose selected fields are all **plain reads** (``PlainReads``: a Strawberry
field without a resolver, or one ``schema.direct_resolvers`` calls without an ``Info``, sync,
without arguments, extensions or exception handlers: a read of the object's own attributes that
cannot reach the request's context, its loaders or its policy) is completed by reading those
fields and coercing their values with their types, as graphql-core would. Anything else takes
graphql-core's own path for the whole list, which then raises the errors it always raised."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from enum import Enum
from typing import Any, NamedTuple, TypeVar

import strawberry
from graphql import (
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLScalarType,
)
from graphql.execution.executor import Executor
from graphql.pyutils import Path, Undefined
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.field import StrawberryField

E = TypeVar("E", bound=Executor[Any])

# Items completed in the one pass: what the leaf types' own coercion takes as it is. Anything
# else (an awaitable, an error, a date for a custom scalar) takes graphql-core's own path.
_PLAIN = (str, int, float, Enum)
# A value that needs no awaitable check before its coercion.
_SIMPLE = frozenset({str, int, float, bool})


class PlainReads:
    """The resolvers of a schema's plain reads (above), found when the schema is built, before
    anything wraps them (``schema.faces.guard_faces`` wraps a face's fields: a field whose
    resolver is no longer the one found is not a plain read), and the ``is_type_of`` checks
    Strawberry made (they read only the object)."""

    def __init__(self) -> None:
        self.resolvers: frozenset[Callable[..., Any]] = frozenset()
        self.type_checks: frozenset[Callable[..., Any]] = frozenset()

    def found(self, schema: strawberry.Schema, direct: set[Callable[..., Any]]) -> None:
        """Strawberry's attribute reads and ``direct`` (the resolvers ``direct_resolvers`` made
        that call a sync method without an ``Info``), as they are before anything wraps them."""
        resolvers, checks = set(direct), set()
        for graphql_type in schema._schema.type_map.values():
            if not isinstance(graphql_type, GraphQLObjectType) or graphql_type.name.startswith("__"):
                continue
            definition = (graphql_type.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if not isinstance(definition, StrawberryObjectDefinition):
                continue
            if graphql_type.is_type_of is not None and definition.is_type_of is None:
                checks.add(graphql_type.is_type_of)
            for graphql_field in graphql_type.fields.values():
                field = (graphql_field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
                resolve = graphql_field.resolve
                if isinstance(field, StrawberryField) and resolve is not None and _attribute(field, schema):
                    resolvers.add(resolve)
        self.resolvers, self.type_checks = frozenset(resolvers), frozenset(checks)


def _attribute(field: StrawberryField, schema: strawberry.Schema) -> bool:
    """Whether Strawberry resolves the field by reading the attribute itself (no resolver, no
    extension, no argument, no exception handler for its type)."""
    return (
        field.base_resolver is None
        and not field.extensions
        and not field.arguments
        and not schema.schema_converter._get_field_exception_handlers(field)
    )


# How a plain read's value is completed.
_TYPENAME, _LEAF, _OBJECT, _LEAF_LIST, _OBJECT_LIST = range(5)
_FALLBACK: Any = object()


class _Read(NamedTuple):
    key: str
    resolve: Callable[..., Any] | None
    kind: int
    non_null: bool
    item_non_null: bool
    leaf: Any  # coerce_output_value of a leaf (or a list's leaf); the type name for __typename
    plan: _Plan | None  # an object's (or a list's object's) fields


class _Plan(NamedTuple):
    is_type_of: Callable[..., Any] | None
    reads: tuple[_Read, ...]


def leaf_lists(base: type[E], reads: PlainReads | None = None) -> type[E]:
    """``base`` (a graphql-core executor class) completing a list of a scalar or an enum whose
    items are all plain values by coercing each with its type, as graphql-core would, and a list
    of objects whose selected fields are all plain ``reads`` by reading them; any other list, an
    item that is not plain, a null in a list of non-null items, a coercion that fails, a read
    that raises or answers an awaitable, and a streamed or deferred list go graphql-core's way,
    which raises the errors it always raised."""
    plain = reads or PlainReads()

    class LeafLists(base):  # type: ignore[valid-type,misc]
        def complete_list_value(
            self,
            return_type: GraphQLList[GraphQLOutputType],
            field_details_list: Any,
            info: GraphQLResolveInfo[Any],
            path: Path,
            result: Any,
            position_context: Any,
        ) -> Any:
            item_type = return_type.of_type
            non_null = isinstance(item_type, GraphQLNonNull)
            leaf = item_type.of_type if isinstance(item_type, GraphQLNonNull) else item_type
            if type(result) is list and self.get_stream_usage(field_details_list, path) is None:
                if isinstance(leaf, GraphQLScalarType | GraphQLEnumType):
                    completed = _coerced(result, leaf.coerce_output_value, non_null)
                    if completed is not None:
                        return completed
                elif isinstance(leaf, GraphQLObjectType):
                    plan = self._plan(leaf, field_details_list)
                    if plan is not None:
                        objects = self._objects(plan, result, non_null)
                        if objects is not _FALLBACK:
                            return objects
            return super().complete_list_value(return_type, field_details_list, info, path, result, position_context)

        def _plan(self, object_type: GraphQLObjectType, field_details_list: Any) -> _Plan | None:
            """How to read the selection of ``object_type`` under these fields (once per
            operation and selection), or None when a field is not a plain read."""
            plans = self.__dict__.setdefault("_plans", {})
            key = (object_type, id(field_details_list))
            if key not in plans:
                plans[key] = (field_details_list, self._make_plan(object_type, field_details_list))
            return plans[key][1]  # type: ignore[no-any-return]

        def _make_plan(self, object_type: GraphQLObjectType, field_details_list: Any) -> _Plan | None:
            if self.middleware_manager is not None and self.middleware_manager.middlewares:
                return None
            check = object_type.is_type_of
            if check is not None and check not in plain.type_checks:
                return None
            grouped, deferred, forbidden = self.collect_subfields(object_type, field_details_list)
            if deferred or forbidden:
                return None
            found = []
            for key, details in grouped.items():
                node = details[0].node
                if any(d.defer_usage is not None for d in details) or node.arguments:
                    return None
                if node.name.value == "__typename":
                    found.append(_Read(key, None, _TYPENAME, True, False, object_type.name, None))
                    continue
                field = object_type.fields.get(node.name.value)
                if field is None or field.args or field.resolve not in plain.resolvers:
                    return None
                read = self._read(key, field.resolve, field.type, details)
                if read is None:
                    return None
                found.append(read)
            return _Plan(check, tuple(found))

        def _read(self, key: str, resolve: Any, field_type: Any, details: Any) -> _Read | None:
            non_null = isinstance(field_type, GraphQLNonNull)
            named = field_type.of_type if non_null else field_type
            if isinstance(named, GraphQLScalarType | GraphQLEnumType):
                return _Read(key, resolve, _LEAF, non_null, False, named.coerce_output_value, None)
            if isinstance(named, GraphQLObjectType):
                plan = self._plan(named, details)
                return None if plan is None else _Read(key, resolve, _OBJECT, non_null, False, None, plan)
            if isinstance(named, GraphQLList):
                item = named.of_type
                item_non_null = isinstance(item, GraphQLNonNull)
                item = item.of_type if item_non_null else item
                if isinstance(item, GraphQLScalarType | GraphQLEnumType):
                    return _Read(key, resolve, _LEAF_LIST, non_null, item_non_null, item.coerce_output_value, None)
                if isinstance(item, GraphQLObjectType):
                    plan = self._plan(item, details)
                    if plan is not None:
                        return _Read(key, resolve, _OBJECT_LIST, non_null, item_non_null, None, plan)
            return None  # an interface, a union: graphql-core's way

        def _objects(self, plan: _Plan, items: list[Any], non_null: bool) -> Any:
            completed: list[Any] = []
            append = completed.append
            try:
                for item in items:
                    if item is None:
                        if non_null:
                            return _FALLBACK
                        append(None)
                        continue
                    value = self._object(plan, item)
                    if value is _FALLBACK:
                        return _FALLBACK
                    append(value)
            except Exception:  # noqa: BLE001 - graphql-core's path raises it with the field's path
                return _FALLBACK
            return completed

        def _object(self, plan: _Plan, source: Any) -> Any:
            if self.is_awaitable(source):
                _close(source)
                return _FALLBACK
            if plan.is_type_of is not None and not plan.is_type_of(source, None):
                return _FALLBACK
            answer: dict[str, Any] = {}
            for read in plan.reads:
                kind = read.kind
                if kind == _TYPENAME:
                    answer[read.key] = read.leaf
                    continue
                value = read.resolve(source, None)  # type: ignore[misc]
                if value is None or value is Undefined:
                    if read.non_null:
                        return _FALLBACK
                    answer[read.key] = None
                    continue
                if type(value) not in _SIMPLE and self.is_awaitable(value):
                    _close(value)
                    return _FALLBACK
                if kind == _LEAF:
                    value = read.leaf(value)
                    if value is None or value is Undefined:
                        return _FALLBACK
                elif kind == _OBJECT:
                    value = self._object(read.plan, value)  # type: ignore[arg-type]
                elif kind == _LEAF_LIST:
                    value = _coerced(value, read.leaf, read.item_non_null) if type(value) is list else None
                    if value is None:
                        return _FALLBACK
                elif type(value) is list:
                    value = self._objects(read.plan, value, read.item_non_null)  # type: ignore[arg-type]
                else:
                    return _FALLBACK
                if value is _FALLBACK:
                    return _FALLBACK
                answer[read.key] = value
            return answer

    return LeafLists


def _close(value: Any) -> None:
    """A coroutine answered where a plain value was expected, closed before graphql-core's path
    calls its resolver again (never awaited, it would warn when collected)."""
    close = getattr(value, "close", None)
    if inspect.iscoroutine(value) and close is not None:
        close()


def _coerced(items: list[Any], coerce: Any, non_null: bool) -> list[Any] | None:
    """Each item coerced, or ``None`` when one needs graphql-core's own path."""
    completed: list[Any] = []
    append = completed.append
    for item in items:
        if item is None or item is Undefined:
            if non_null:
                return None
            append(None)
            continue
        if not isinstance(item, _PLAIN):
            return None
        try:
            value = coerce(item)
        except Exception:  # noqa: BLE001 - graphql-core's path raises it as the item's error
            return None
        if value is None or value is Undefined:
            return None
        append(value)
    return completed
