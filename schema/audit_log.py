"""A school's audit log, for its admins: who did what, when, from where."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry
from strawberry.scalars import JSON

import models
from resolvers import audit_log, pages
from resolvers.core import to_global_id
from schema import types
from schema.pages import PageInfo, keyset_page_info
from schema.users import User

Info = types.Info


@strawberry.type(description="One recorded write: who made it, what it changed, when and from where.")
class AuditEntry(types.Node):
    model: strawberry.Private[models.AuditEntry]

    @strawberry.field(description="Who did it; null for the system (an import, the seed) or a deleted user.")
    async def actor(self, info: Info) -> User | None:
        if self.model.actor_id is None:
            return None
        user = await info.context.loaders.user_by_id.load(self.model.actor_id)
        return User(model=user) if user else None

    @strawberry.field(
        description="What was done, `<noun>.<verb>`: `session.login`, `account.create`, `grade.create`..."
    )
    def action(self) -> str:
        return self.model.action

    @strawberry.field(description="The kind of object it was done to, e.g. `User`, `Grade`, `School`.")
    def object_type(self) -> str:
        return self.model.object_type

    @strawberry.field(description="The object's global id (pass it to `node`), when it has one.")
    def object_id(self) -> strawberry.ID | None:
        if self.model.object_id is None:
            return None
        return strawberry.ID(to_global_id(self.model.object_type, self.model.object_id))

    @strawberry.field(description="What changed, as recorded by the action (never a password).")
    def details(self) -> JSON:
        details: Any = self.model.details or {}
        return details  # type: ignore[no-any-return]

    @strawberry.field(description="The client's network address, if known.")
    def address(self) -> str | None:
        return self.model.address

    @strawberry.field(description="When it happened.")
    def at(self) -> dt.datetime:
        return self.model.at


@strawberry.type(description="An entry of the log with its cursor.")
class AuditEntryEdge:
    cursor: str = strawberry.field(
        description="Pass as `after` for the entries older than this one, as `before` for the newer ones."
    )
    node: AuditEntry = strawberry.field(description="The entry.")


@strawberry.type(description="A page of an audit log, newest first.")
class AuditEntryConnection:
    edges: list[AuditEntryEdge] = strawberry.field(description="The entries with their cursors.")
    page_info: PageInfo = strawberry.field(description="Whether there is more, and where to continue.")


def connection(page: audit_log.AuditPage) -> AuditEntryConnection:
    edges = [AuditEntryEdge(cursor=pages.encode(audit_log.CURSOR, e.id), node=AuditEntry(model=e)) for e in page.rows]
    return AuditEntryConnection(edges=edges, page_info=keyset_page_info(page, audit_log.CURSOR))
