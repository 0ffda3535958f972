"""Faces (resolvers/policy/faces.py), in one place: ``shown`` is what a face place returns,
and ``FaceFields`` answers every field of a face outside its declared ones with null or an
empty list, whatever the field (those added later too)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import strawberry
from graphql import GraphQLList, GraphQLNonNull
from strawberry.extensions import SchemaExtension

from resolvers import policy
from resolvers.context import Context

N = TypeVar("N", bound=Any)
Info = strawberry.Info[Context, None]


async def shown(info: Info, node: N) -> N:
    """``node`` as the viewer may see it: whole, or its face when ``node(id)`` would not return it."""
    return (await shown_all(info, [node]))[0]


async def shown_all(info: Info, nodes: Iterable[N]) -> list[N]:
    """The same for a list, in one batch."""
    nodes = list(nodes)
    visible = await info.context.loaders.face_visible.load_many([(type(n).__name__, n.model.pk) for n in nodes])
    for node, seen in zip(nodes, visible, strict=True):
        node.face = not seen
    return nodes


async def visible_only(info: Info, nodes: Iterable[N]) -> list[N]:
    """Only those the viewer may see whole: a list where a face has no place."""
    return [n for n in await shown_all(info, nodes) if not n.face]


def _empty(field_type: Any) -> Any:
    if isinstance(field_type, GraphQLNonNull):
        field_type = field_type.of_type
    return [] if isinstance(field_type, GraphQLList) else None


class FaceFields(SchemaExtension):
    def resolve(self, _next: Callable[..., Any], root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
        name = info.field_name
        if getattr(root, "face", False) and name != "id" and not name.startswith("__"):  # noqa: SIM102
            if name not in policy.FACES[info.parent_type.name]:
                return _empty(info.return_type)
        return _next(root, info, *args, **kwargs)
