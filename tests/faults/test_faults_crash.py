"""A server process killed (SIGKILL) between a write's commit and the publication of its
event: the event is still delivered, once: by the catch-up check of the process the parent is
connected to (``resolvers/catchup.py``), and published by another process's outbox relay.

Process A runs with ``EDIARY_FAULT=kill-after-commit`` (``edge/faults.py``): it commits
the grade and its outbox event, then kills itself before publishing. The parent is connected
to process B, which never saw the write. On both backends (on the embedded one, one SQLite
file and each process its own in-memory broker): B's catch-up finds the row within a second;
a relay publishes it a few seconds later, and B's subscriber, which has it, skips it."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator

import httpx
import pytest

import models
from edge.settings import Settings
from resolvers.outbox import decode_cursor
from tests.factories import Factory
from tests.helpers import GRADE_CREATE, gid, open_socket
from tests.live.test_subscriptions import EVENTS
from tests.processes import ServerProcess
from tests.worlds import graded_family

pytestmark = pytest.mark.faults


@pytest.fixture
async def crashing_and_healthy(
    settings: Settings, database: None
) -> AsyncIterator[tuple[ServerProcess, ServerProcess]]:
    crashing = ServerProcess(settings, EDIARY_FAULT="kill-after-commit")
    healthy = ServerProcess(settings)
    try:
        await crashing.ready()
        await healthy.ready()
        yield crashing, healthy
    finally:
        crashing.stop()
        healthy.stop()


async def test_event_committed_by_a_process_killed_before_publishing_is_delivered_once(
    crashing_and_healthy: tuple[ServerProcess, ServerProcess], factory: Factory
) -> None:
    crashing, healthy = crashing_and_healthy
    family = await graded_family(factory)
    parent, teacher = family.as_parent(), family.as_teacher()
    child, lesson = family.child, family.lesson
    socket = await open_socket(f"ws://{healthy.address}/graphql", parent.token)
    await socket.start(EVENTS)
    await socket.nothing()  # subscribed (and nothing pending)

    comment = "committed, then the process died"
    grade_input = {"studentId": gid(child, "Student"), "lessonId": gid(lesson, "Lesson"), "value": "4"}
    variables = {"input": {**grade_input, "comment": comment}}
    async with httpx.AsyncClient(base_url=f"http://{crashing.address}") as http:
        with pytest.raises(httpx.TransportError):  # no answer: the process is gone
            await http.post(
                "/graphql",
                json={"query": GRADE_CREATE, "variables": variables},
                headers={"Authorization": f"Bearer {teacher.token}"},
            )
    assert crashing.process.wait(timeout=10) == -signal.SIGKILL

    grade = await models.Grade.get(comment=comment)
    event = await models.OutboxEvent.get(grade_id=grade.id)

    delivered = (await socket.next(timeout=20))["payload"]["data"]["diaryEvents"]
    assert (delivered["kind"], delivered["grade"]["comment"]) == ("GRADE_ADDED", comment)
    assert decode_cursor(delivered["cursor"]) == event.id
    await socket.nothing()  # exactly once
    for _ in range(100):  # the relay publishes what waited more than 2 s, once a second
        await event.refresh_from_db()
        if event.published_at is not None:
            break
        await asyncio.sleep(0.1)
    assert event.published_at is not None
    await socket.nothing()  # and its publication wakes nobody to a second copy
    await socket.ws.close()
