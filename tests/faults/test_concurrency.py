"""Invariants that a race could break, held by the database (the row locks of
``resolvers/core.py``): requests sent at once, each over its own HTTP client, for several
rounds. A child's absence notices never overlap; a chat with members always has an admin; the
last member leaving deletes it.

On PostgreSQL the requests really run side by side (one connection each): without the locks
(``core._lock_row`` a no-op) every test here fails there, in 4 or 5 of its 5 rounds. On SQLite
Tortoise's one connection serialises the transactions anyway; the locks keep it so."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

import models
from resolvers.core import now_utc, today_utc
from tests.chat_helpers import LEAVE, REMOVE, run
from tests.classwork.test_absence_notices import CREATE
from tests.client import Client
from tests.factories import Factory, school_days_from
from tests.helpers import gid

ROUNDS = 5


@contextlib.asynccontextmanager
async def _clients(app: Any, factory: Factory, *users: models.User) -> AsyncIterator[list[Client]]:
    """One client per user, each over an HTTP client of its own."""
    async with contextlib.AsyncExitStack() as stack:
        clients = []
        for user in users:
            transport = httpx.ASGITransport(app=app)
            http = await stack.enter_async_context(httpx.AsyncClient(transport=transport, base_url="http://testserver"))
            template = factory.client(user)
            clients.append(Client(http, template.token, template.user_id))
        yield clients


async def _at_once(*calls: Any) -> list[dict[str, Any]]:
    return list(await asyncio.gather(*calls))


async def _rounds(race: Callable[[int], Awaitable[str | None]]) -> None:
    """``ROUNDS`` rounds of ``race`` (each says what went wrong, or ``None``); every round is
    run, so a failure says how many of them broke the rule."""
    broken = [(n, wrong) for n in range(ROUNDS) if (wrong := await race(n)) is not None]
    assert not broken, f"{len(broken)} of {ROUNDS} rounds broke the rule; the first: {broken[0]}"


async def test_simultaneous_notices_for_one_child_never_overlap(app: Any, factory: Factory) -> None:
    """Four notices for the same child and overlapping days, sent at once by its two guardians:
    one is written, the others are refused as NOTICE_OVERLAPS; no day is covered twice."""
    kit = await factory.school(classes=("5A",))
    mother, father = await factory.parent("mother"), await factory.parent("father")
    child = await factory.student(kit, "5A", "anna", guardians=[mother, father], login=False)
    days = school_days_from(today_utc() + timedelta(days=1), 2 * ROUNDS)

    def notice(start: date, end: date) -> dict[str, Any]:
        return {
            "studentId": gid(child, "Student"),
            "kind": "BY_DAY",
            "from": str(start),
            "to": str(end),
            "reason": "Flu",
        }

    async with _clients(app, factory, mother, father, mother, father) as clients:

        async def race(n: int) -> str | None:
            first, second = days[2 * n], days[2 * n + 1]
            ranges = [(first, first), (first, second), (first, first), (first, second)]
            results = await _at_once(*(c.data(CREATE, input=notice(*r)) for c, r in zip(clients, ranges, strict=True)))
            codes = sorted(_code(r["absenceNoticeCreate"]) for r in results)
            items = await models.AbsenceNoticeItem.filter(student_id=child.id, date__in=[first, second])
            covered = [i.date for i in items]
            if len(covered) != len(set(covered)):
                return f"days covered twice: {sorted(covered)}"
            return None if codes == ["AbsenceNoticeCreateSuccess"] + ["NOTICE_OVERLAPS"] * 3 else str(codes)

        await _rounds(race)


def _code(result: dict[str, Any]) -> str:
    """A mutation's result as its error code, or its type when it succeeded."""
    return str(result.get("code") or result["__typename"])


async def _chat_with_admins(*users: models.User) -> models.Chat:
    """A chat of ``users`` (teachers of one school), the first two its admins."""
    school = await models.RoleGrant.filter(user_id=users[0].id, role=models.Role.TEACHER).first()
    assert school is not None
    assert school.school_id is not None
    now = now_utc()
    chat = await models.Chat.create(school_id=school.school_id, title="Race", created_by=users[0], last_activity_at=now)
    for user in users:
        await models.ChatMember.create(chat=chat, user=user, joined_at=now, is_admin=user in users[:2])
    return chat


async def _broken(chat: models.Chat) -> str | None:
    """What is wrong with a chat: one that stands has members and an admin among them (the
    last member leaving deletes it)."""
    row = await models.Chat.get(id=chat.id)
    present = await models.ChatMember.filter(chat_id=chat.id, removed_at__isnull=True)
    if row.deleted_at is None and not present:
        return "a chat without members stands"
    if row.deleted_at is None and not any(m.is_admin for m in present):
        return "a chat with members has no admin"
    return None


@pytest.fixture
async def people(factory: Factory) -> list[models.User]:
    kit = await factory.school(classes=("5A",))
    return [
        await factory.teacher(kit, [("5A", "Mathematics")], name="anna"),
        await factory.teacher(kit, [("5A", "Russian language")], name="boris"),
        await factory.teacher(kit, [("5A", "Mathematics")], name="vera"),
    ]


async def test_two_admins_leaving_at_once_leave_an_admin(app: Any, factory: Factory, people: list[models.User]) -> None:
    """Admins A and B leave at once while C stays: one of them is refused (LAST_ADMIN)."""
    a, b, c = people
    async with _clients(app, factory, a, b) as clients:

        async def race(n: int) -> str | None:
            chat = await _chat_with_admins(a, b, c)
            results = await _at_once(*(run(client, LEAVE, chatId=gid(chat, "Chat")) for client in clients))
            codes = sorted(_code(r) for r in results)
            return await _broken(chat) or (None if codes == ["ChatLeaveSuccess", "LAST_ADMIN"] else str(codes))

        await _rounds(race)


async def test_handing_over_to_an_admin_who_leaves_meanwhile(
    app: Any, factory: Factory, people: list[models.User]
) -> None:
    """Admin A hands the chat to admin B while B leaves, C staying: one of the two is refused
    (the heir is gone, or B is now the last admin), and the chat keeps an admin."""
    a, b, c = people
    async with _clients(app, factory, a, b) as (as_a, as_b):

        async def race(n: int) -> str | None:
            chat = await _chat_with_admins(a, b, c)
            chat_id = gid(chat, "Chat")
            results = await _at_once(
                run(as_a, LEAVE, chatId=chat_id, newAdminId=gid(b, "User")), run(as_b, LEAVE, chatId=chat_id)
            )
            codes = sorted(_code(r) for r in results)
            allowed = (["ChatLeaveSuccess", "LAST_ADMIN"], ["ChatLeaveSuccess", "MEMBER_NOT_FOUND"])
            return await _broken(chat) or (None if codes in allowed else str(codes))

        await _rounds(race)


async def test_the_last_two_members_leaving_at_once_delete_the_chat(
    app: Any, factory: Factory, people: list[models.User]
) -> None:
    """The only two members (both admins) leave at once: both succeed, and the chat is deleted."""
    a, b, _ = people
    async with _clients(app, factory, a, b) as clients:

        async def race(n: int) -> str | None:
            chat = await _chat_with_admins(a, b)
            results = await _at_once(*(run(client, LEAVE, chatId=gid(chat, "Chat")) for client in clients))
            codes = [_code(r) for r in results]
            return await _broken(chat) or (None if codes == ["ChatLeaveSuccess"] * 2 else str(codes))

        await _rounds(race)


async def test_two_admins_removing_each_other_at_once_leave_an_admin(
    app: Any, factory: Factory, people: list[models.User]
) -> None:
    """Admins A and B remove each other at once: the second finds itself no longer in the chat."""
    a, b, c = people
    async with _clients(app, factory, a, b) as (as_a, as_b):

        async def race(n: int) -> str | None:
            chat = await _chat_with_admins(a, b, c)
            chat_id = gid(chat, "Chat")
            results = await _at_once(
                run(as_a, REMOVE, chatId=chat_id, userId=gid(b, "User")),
                run(as_b, REMOVE, chatId=chat_id, userId=gid(a, "User")),
            )
            codes = sorted(_code(r) for r in results)
            return await _broken(chat) or (
                None if codes == ["CHAT_NOT_FOUND", "ChatMemberRemoveSuccess"] else str(codes)
            )

        await _rounds(race)
