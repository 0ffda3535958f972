"""Redis killed (SIGKILL) and started again while a teacher keeps posting grades and a parent's
socket streams them: every event reaches the parent exactly once and in outbox order. The
client sees the stream go on, or a retryable error, after which it subscribes again with
`after` set to the last cursor it received (what the error message tells it to do).

The server is a real production process (errors masked as a client sees them) on a private
redis-server. Needs Redis: the in-memory broker has nothing to kill."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

import models
from edge.settings import Settings
from resolvers.outbox import decode_cursor, encode_cursor
from tests.factories import Factory
from tests.helpers import GRADE_CREATE, gid, open_socket
from tests.live.test_subscriptions import EVENTS
from tests.processes import RedisServer, ServerProcess
from tests.worlds import graded_family

pytestmark = [
    pytest.mark.faults,
    pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="Redis faults need Redis"),
]

POSTED = 30  # grades in all: a third before the kill, a third while Redis is down, a third after


@pytest.fixture
async def redis_and_server(settings: Settings, database: None) -> AsyncIterator[tuple[RedisServer, ServerProcess]]:
    redis = RedisServer()
    redis.start()
    server = ServerProcess(settings, redis_url=redis.url)
    try:
        await server.ready()
        yield redis, server
    finally:
        server.stop()
        redis.stop()


@dataclass
class Follower:
    """A parent's client: follows diaryEvents, and on a retryable error (or a dropped socket)
    subscribes again after the last cursor it received; when its process does not answer, it
    tries the next of ``urls`` (the load balancer's other server processes). It notes when
    each event arrived (``arrived``, by the grade's comment, on the monotonic clock)."""

    urls: list[str]
    token: str | None
    cursor: str
    received: list[dict[str, Any]] = field(default_factory=list)
    interruptions: list[dict[str, Any]] = field(default_factory=list)
    arrived: dict[str, float] = field(default_factory=dict)

    async def follow(self, until_comment: str) -> None:
        while True:
            try:
                socket = await open_socket(self.urls[0], self.token)
            except OSError:  # the process is gone: the next one
                self.urls.append(self.urls.pop(0))
                await asyncio.sleep(0.1)
                continue
            await socket.start(EVENTS, after=self.cursor)
            try:
                while True:
                    message = await socket.next(timeout=30)
                    if message["type"] == "next" and "errors" not in message["payload"]:
                        event = message["payload"]["data"]["diaryEvents"]
                        self.arrived.setdefault(event["grade"]["comment"], time.monotonic())
                        self.received.append(event)
                        self.cursor = event["cursor"]
                        if event["grade"]["comment"] == until_comment:
                            return
                    elif message["type"] == "complete":
                        break
                    else:
                        self.interruptions.append(message)
                        if message["type"] == "error":
                            break  # refused before it started: no `complete` follows
            except ConnectionClosed as closed:
                self.interruptions.append({"closed": closed.rcvd.code if closed.rcvd else None})
            finally:
                await socket.ws.close()
            await asyncio.sleep(0.2)


async def test_redis_killed_mid_stream_every_event_delivered_once_in_order(
    redis_and_server: tuple[RedisServer, ServerProcess], factory: Factory
) -> None:
    redis, server = redis_and_server
    world = await graded_family(factory)
    parent, teacher = world.as_parent(), world.as_teacher()
    child, lesson = world.child, world.lesson
    family = [child.id]
    newest = await models.OutboxEvent.all().order_by("-id").first()
    start = newest.id if newest else 0
    follower = Follower([f"ws://{server.address}/graphql"], parent.token, encode_cursor(start))
    comments = [f"grade {n} of {POSTED}" for n in range(POSTED)]
    following = asyncio.create_task(follower.follow(until_comment=comments[-1]))

    async def post(http: httpx.AsyncClient, comment: str) -> None:
        grade = {"studentId": gid(child, "Student"), "lessonId": gid(lesson, "Lesson"), "value": "4"}
        response = await http.post(
            "/graphql",
            json={"query": GRADE_CREATE, "variables": {"input": {**grade, "comment": comment}}},
            headers={"Authorization": f"Bearer {teacher.token}"},
        )
        assert response.json()["data"]["gradeCreate"]["__typename"] == "GradeCreateSuccess", response.text

    third = POSTED // 3
    async with httpx.AsyncClient(base_url=f"http://{server.address}", timeout=30) as http:
        for comment in comments[:third]:
            await post(http, comment)
            await asyncio.sleep(0.05)
        redis.kill()  # while the stream is busy: the last grades may still be on their way
        for comment in comments[third : 2 * third]:
            await post(http, comment)  # the writes succeed; their events wait in the outbox
            await asyncio.sleep(0.05)
        redis.start()
        for comment in comments[2 * third :]:
            await post(http, comment)
            await asyncio.sleep(0.05)
    await asyncio.wait_for(following, 60)

    outbox = await models.OutboxEvent.filter(id__gt=start, student_id__in=family).order_by("id")
    assert [decode_cursor(e["cursor"]) for e in follower.received] == [row.id for row in outbox]
    assert [e["grade"]["comment"] for e in follower.received] == comments
    # Redis was lost mid-stream: the client was told so, in a way it can act on.
    assert follower.interruptions, "the stream went on through a dead broker without noticing"
    for message in follower.interruptions:
        assert "closed" not in message, message
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert errors[0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR", json.dumps(message)
        assert errors[0]["extensions"]["retryable"] is True, json.dumps(message)
