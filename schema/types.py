"""What every domain's types share: the `Node` interface, the resolvers' `Info`, and the `from`/`to`
arguments of date ranges. The types themselves live with their domain (``schema.schools``,
``schema.students``, ``schema.lessons``, ``schema.grades``...)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Annotated, Any, TypeVar

import strawberry
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection

from resolvers.core import to_global_id
from resolvers.sessions import Context

Info = strawberry.Info[Context, None]
T = TypeVar("T")

FromArg = Annotated[dt.date, strawberry.argument(name="from", description="First day, inclusive.")]
ToArg = Annotated[dt.date, strawberry.argument(description="Last day, inclusive. At most 92 days after `from`.")]


def selected(selections: Iterable[Selection]) -> Iterator[SelectedField]:
    """The fields selected, through fragments (named and inline), one level deep."""
    for selection in selections:
        if isinstance(selection, SelectedField):
            yield selection
        elif isinstance(selection, FragmentSpread | InlineFragment):
            yield from selected(selection.selections)


def field_names(selections: Iterable[Selection]) -> Iterator[str]:
    """The names of the fields selected, through fragments, one level deep."""
    return (field.name for field in selected(selections))


def _must(value: T | None, what: str) -> T:
    if value is None:  # a dangling reference: the database guarantees it cannot happen
        raise LookupError(f"missing {what}")
    return value


@strawberry.interface(description="An object with an opaque global id, fetchable with `node(id)`.")
class Node:
    model: strawberry.Private[Any]
    # Shown at a face place (resolvers/policy/faces.py) to a viewer who may not see it: only its
    # face's fields answer (schema/faces.py).
    face: strawberry.Private[bool] = False

    @strawberry.field(description="Opaque global id. Do not parse it; pass it back to `node` or to arguments.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id(type(self).__name__, self.model.pk))
