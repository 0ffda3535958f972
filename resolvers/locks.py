"""Row locks that serialise a check and the write it allows: the first statement of the
write's transaction, before the check reads anything.

Some rules span several rows and a race breaks them however careful the check: two notices
for one child and day each see no overlap and both are written; two admins leaving a chat at
once each see the other stay. A constraint would need an exclusion constraint over date
ranges (``btree_gist``, not installed) or a rule over a set of rows (a chat's admins), so the
writes that can break such a rule lock the rule's parent row first (the child, the chat):
the second writer waits until the first commits, then checks what the first wrote.

On PostgreSQL that is ``SELECT ... FOR UPDATE`` of the parent row (a model query: Tortoise
drops FOR UPDATE from a values()/values_list() query). SQLite has no row locks: a no-op
UPDATE of the parent row takes the database's write lock at once, so the check and the write
are serialised there too. Call these inside ``in_transaction()``."""

from __future__ import annotations

from tortoise import connections
from tortoise.models import Model

import models
from resolvers import core

MAX_ID = 2**31 - 1


async def _lock(model: type[Model], pk: int) -> None:
    if pk > MAX_ID:  # no such row (and PostgreSQL's int4 would refuse the parameter)
        return
    if core.dialect() == "postgres":
        await model.filter(id=pk).select_for_update().only("id")
        return
    table = model._meta.db_table
    await connections.get("default").execute_query(f'UPDATE "{table}" SET id = id WHERE id = ?', [pk])


async def child(student_id: int) -> None:
    """A child's absence notices: no two cover the same day or lesson."""
    await _lock(models.Student, student_id)


async def chat(chat_id: int) -> None:
    """A chat's members: one with members has an admin; the last one leaving deletes it."""
    await _lock(models.Chat, chat_id)
