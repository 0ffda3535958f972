"""No event waits for the next one (``resolvers/catchup.py``): an event the broker never
announced (its process died between the commit and the publish, or the message was lost
while the broker's connection was being re-established) still reaches a parked subscriber:
within two checks, or at once when the broker's connection comes back. The check wakes only
the subscribers that have not reached a row, and costs one statement per source whatever the
number of rows. On both backends; the real reconnection needs Redis."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

import models
from pubsub.broker import Reconnection
from resolvers import catchup
from tests.client import Client
from tests.conftest import StatementCounter
from tests.edge.test_metrics import scrape, value
from tests.factories import Factory
from tests.helpers import grade_over_http, open_socket
from tests.live.test_subscriptions import EVENTS
from tests.worlds import GradedFamily, graded_family

SETTLE = 0.2  # let a subscription reach the broker (and park) before the write


async def _unannounced(family: GradedFamily, comment: str, student: models.Student | None = None) -> None:
    """A grade of the family's child (or ``student``) and its outbox event, committed and never
    published (as by a process that died in between): nothing wakes the streams but a catch-up."""
    grade = await family.factory.grade(student or family.child, family.lesson, comment=comment)
    await models.OutboxEvent.create(
        kind="GRADE_ADDED",
        student_id=grade.student_id,
        school_class_id=grade.school_class_id,
        grade_id=grade.id,
        lesson_id=grade.lesson_id,
    )


async def _following(server_url: str, family: GradedFamily, parent: Client | None = None) -> Any:
    socket = await open_socket(server_url, (parent or family.as_parent()).token)
    await socket.start(EVENTS)
    await asyncio.sleep(SETTLE)
    return socket


@contextlib.asynccontextmanager
async def _catching_up(broker: Any, interval: float = catchup.INTERVAL) -> AsyncIterator[catchup.Catchup]:
    """The process's catch-up running (as the server's lifespan runs it), its first check done."""
    caught_up = catchup.Catchup(broker)
    running = asyncio.create_task(caught_up.run(interval))
    while any(source.head is None for source in caught_up.sources):
        await asyncio.sleep(0.01)
    try:
        yield caught_up
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running


def _comment(message: dict[str, Any]) -> str:
    return str(message["payload"]["data"]["diaryEvents"]["grade"]["comment"])


async def test_an_event_never_announced_arrives_within_two_checks(
    server_url: str, factory: Factory, app: Any, http: Any
) -> None:
    family = await graded_family(factory)
    socket = await _following(server_url, family)
    before = await scrape(http)
    async with _catching_up(app.state.broker):
        await _unannounced(family, "never announced")
        committed = time.monotonic()
        message = await socket.next(timeout=5)
        waited = time.monotonic() - committed
    assert _comment(message) == "never announced"
    assert waited <= 2.0, waited  # two checks (1 s) and a read, on a loaded machine
    await socket.nothing()  # once
    await socket.ws.close()
    after = await scrape(http)
    assert value(after, "ediary_caught_up_events_total") - value(before, "ediary_caught_up_events_total") == 1
    woken = value(after, "ediary_catchups_total", cause="check") - value(before, "ediary_catchups_total", cause="check")
    assert woken == 1


async def test_the_check_wakes_only_subscribers_behind_a_row(server_url: str, factory: Factory, app: Any) -> None:
    family = await graded_family(factory)  # the child's parent, and the classmate's
    first = await _following(server_url, family)
    second = await _following(server_url, family, family.as_other_parent())
    check = catchup.Catchup(app.state.broker)
    await check.check()  # the heads
    address = server_url.removeprefix("ws://").removesuffix("/graphql")
    await grade_over_http(address, family.as_teacher().token, family.child, family.lesson, "announced")
    assert _comment(await first.next()) == "announced"  # by the broker
    await _unannounced(family, "forgotten", family.classmate)
    assert await check.check() == 0  # read now, looked at in the next check
    assert await check.check() == 1  # the forgotten family's subscriber only
    assert _comment(await second.next()) == "forgotten"
    assert await check.check() == 0  # each row is looked at once
    await first.nothing()
    await second.nothing()
    for socket in (first, second):
        await socket.ws.close()


async def test_a_check_costs_one_statement_per_source_whatever_the_rows(
    factory: Factory, app: Any, count_statements: StatementCounter
) -> None:
    family = await graded_family(factory)
    chat = await factory.chat(family.kit, family.teacher, [family.parent])
    message = await models.Message.filter(chat=chat).first()
    assert message is not None
    check = catchup.Catchup(app.state.broker)
    await check.check()  # the heads

    async def statements(rows: int) -> int:
        for n in range(rows):
            await _unannounced(family, f"row {n}")
            await models.ChatEvent.create(
                kind=models.ChatEventKind.MESSAGE_EDITED, chat=chat, message=message, actor=family.teacher
            )
        start = count_statements.count
        await check.check()
        return count_statements.count - start

    # A statement per source, and the members of the chats of new chat events.
    assert await statements(2) == await statements(20) == len(check.sources) + 1
    assert await statements(0) == len(check.sources)  # the rows due are looked at in memory


async def test_a_reconnection_catches_up_at_once(server_url: str, factory: Factory, app: Any, http: Any) -> None:
    """Told that the broker's connection is back, the catch-up looks at once at what was
    committed meanwhile (here no periodic check would come for a minute)."""
    family = await graded_family(factory)
    socket = await _following(server_url, family)
    before = await scrape(http)
    async with _catching_up(app.state.broker, interval=60) as caught_up:
        await _unannounced(family, "lost while reconnecting")
        caught_up.reconnected(Reconnection("library", 0.2))  # as the broker tells it
        message = await socket.next(timeout=2)
    assert _comment(message) == "lost while reconnecting"
    await socket.nothing()
    await socket.ws.close()
    after = await scrape(http)
    woken = "ediary_catchups_total"
    assert value(after, woken, cause="reconnect") - value(before, woken, cause="reconnect") == 1


@pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="a Redis connection to drop")
async def test_the_redis_clients_silent_reconnection_is_caught_up_at_once(
    server_url: str, factory: Factory, app: Any, http: Any
) -> None:
    """The Redis client re-establishes a dropped pub/sub connection and re-subscribes without a
    word to the broker: the broker hears of it, and the catch-up wakes the subscribers behind."""
    family = await graded_family(factory)
    socket = await _following(server_url, family)
    broker = app.state.broker
    before = await scrape(http)
    async with _catching_up(broker, interval=60):  # no periodic check: only the reconnection
        await _unannounced(family, "lost while reconnecting")
        name = await broker.client.client_getname()
        ours = [c for c in await broker.client.client_list() if c["name"] == name and int(c["sub"]) > 0]
        assert len(ours) == 1, ours
        await broker.client.client_kill_filter(_id=ours[0]["id"])  # this process's pub/sub connection only
        message = await socket.next(timeout=5)
    assert _comment(message) == "lost while reconnecting"
    after = await scrape(http)
    reconnects = "ediary_broker_reconnects_total"
    assert value(after, reconnects, by="library") - value(before, reconnects, by="library") == 1
    await socket.nothing()
    await socket.ws.close()
