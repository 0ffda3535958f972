"""Lists of scalars completed in one pass: graphql-core completes every item of a list through
the whole value-completion path (a ``Path`` per item, the checks for errors, nulls, lists,
leaves, objects), which for a grid sent in columns (``JournalRow.line``: a few lists of 40
scalars per row, 30 rows) cost more than the rest of the request."""

from __future__ import annotations

from enum import Enum
from typing import Any, TypeVar

from graphql import (
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLScalarType,
)
from graphql.execution.executor import Executor
from graphql.pyutils import Path, Undefined

E = TypeVar("E", bound=Executor[Any])

# Items completed in the one pass: what the leaf types' own coercion takes as it is. Anything
# else (an awaitable, an error, a date for a custom scalar) takes graphql-core's own path.
_PLAIN = (str, int, float, Enum)


def leaf_lists(base: type[E]) -> type[E]:
    """``base`` (a graphql-core executor class) completing a list of a scalar or an enum whose
    items are all plain values by coercing each with its type, as graphql-core would; any other
    list, an item that is not plain, a null in a list of non-null items, a coercion that fails
    and a streamed list go graphql-core's way, which raises the errors it always raised."""

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
            if (
                type(result) is list
                and isinstance(leaf, GraphQLScalarType | GraphQLEnumType)
                and self.get_stream_usage(field_details_list, path) is None
            ):
                completed = _coerced(result, leaf.coerce_output_value, non_null)
                if completed is not None:
                    return completed
            return super().complete_list_value(return_type, field_details_list, info, path, result, position_context)

    return LeafLists


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
