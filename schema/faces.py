"""Faces (resolvers/policy/faces.py), in one place: ``shown`` is what a face place returns,
and ``guard_faces`` makes every field of a face outside its declared ones answer null or an
empty list, whatever the field (those added later too)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import strawberry
from graphql import GraphQLList, GraphQLNonNull, default_field_resolver

from resolvers import policy
from resolvers.sessions import Context

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


def _guarded(resolve: Callable[..., Any], field_type: Any) -> Callable[..., Any]:
    """``resolve``, answering null or an empty list (as ``field_type`` is) for a face."""
    empty_list = isinstance(field_type.of_type if isinstance(field_type, GraphQLNonNull) else field_type, GraphQLList)

    def guarded(root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
        if getattr(root, "face", False):
            return [] if empty_list else None
        return resolve(root, info, *args, **kwargs)

    return guarded


def guard_faces(schema: Any) -> None:
    """Every field of a type that can be a face (``policy.FACES``), but ``id`` and the face's
    own, answers null or an empty list for a face: its resolver is wrapped once, when the schema
    is built. (It was a middleware on every field of every type, a few per cent of the CPU of
    any request and of every live event, for the few types that have faces.)"""
    for type_name, own in policy.FACES.items():
        face_type = schema._schema.type_map[type_name]
        for name, face_field in face_type.fields.items():
            if name != "id" and name not in own:
                face_field.resolve = _guarded(face_field.resolve or default_field_resolver, face_field.type)
