"""``python -m bench.chats``: a class chat's live delivery over real WebSockets (see bench/README.md,
"Chats").

A server process (``server.py serve``, production mode, PostgreSQL + Redis) serves the demo
district. The demo teacher creates a 30-member chat with 29 guardians of 5A, and a 2-member
chat with one of them (the baseline). Every member subscribes to ``chatEvents`` on its own
WebSocket. Each round sends ``--messages`` messages to each chat in turn (interleaved, the
order alternating by round) and times, for every message, ``messageSend`` from the start of
the request to each member's frame. Latencies of both arms are reported side by side with their
ratio per round, and the chat-list query's statement count for 1 and for 10 chats."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import secrets
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

import models
from bench.database import bench_database, bench_database_url
from bench.live import HOST, percentile, server_process
from edge.settings import Settings
from resolvers.core import to_global_id
from server import create_app

DEFAULT_REDIS = "redis://127.0.0.1:6379/1"
LOGIN = """mutation L($l: String!) { login(input: {login: $l, password: "demo"}) {
  ... on LoginSuccess { accessToken } } }"""
CREATE = """mutation C($input: ChatCreateInput!) { chatCreate(input: $input) {
  ... on ChatCreateSuccess { chat { id } } ... on Error { code message } } }"""
SEND = """mutation S($input: MessageSendInput!) { messageSend(input: $input) {
  ... on MessageSendSuccess { chatMessage { id } } ... on Error { code message } } }"""
EVENTS = "subscription { chatEvents { kind chatId chatMessage { text } } }"
LIST = """{ viewer { unreadChatMessages chats { edges { node { title unreadCount lastActivityAt
  lastMessage { text author { fullName } } members { isAdmin user { fullName } } } } } } }"""


@dataclass
class Member:
    login: str
    token: str
    socket: ClientConnection | None = None
    waiting: dict[str, asyncio.Future[float]] = field(default_factory=dict)


@dataclass
class Arm:
    name: str
    chat_id: str
    members: list[Member]
    latencies: list[list[float]] = field(default_factory=list)  # per round: every member's delivery, ms
    complete: list[list[float]] = field(default_factory=list)  # per round: time until the last member, ms


async def _post(http: httpx.AsyncClient, token: str | None, query: str, **variables: Any) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await http.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    body: dict[str, Any] = response.json()
    if body.get("errors"):
        raise RuntimeError(body["errors"])
    return body["data"]  # type: ignore[no-any-return]


async def _login(http: httpx.AsyncClient, login: str) -> Member:
    data = await _post(http, None, LOGIN, l=login)
    return Member(login, data["login"]["accessToken"])


async def _listen(url: str, member: Member) -> None:
    socket = await connect(url, subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
    await socket.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {member.token}"}}))
    assert json.loads(await socket.recv())["type"] == "connection_ack"
    await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": EVENTS}}))
    member.socket = socket

    async def read() -> None:
        async for raw in socket:
            now = time.perf_counter()
            message = json.loads(raw)
            if message.get("type") != "next":
                continue
            event = message["payload"]["data"]["chatEvents"]
            text = (event.get("chatMessage") or {}).get("text")
            future = member.waiting.pop(text, None) if text else None
            if future is not None and not future.done():
                future.set_result(now)

    asyncio.get_running_loop().create_task(read())


async def _send(http: httpx.AsyncClient, sender: Member, arm: Arm, text: str) -> tuple[list[float], float]:
    loop = asyncio.get_running_loop()
    futures = []
    for member in arm.members:
        future: asyncio.Future[float] = loop.create_future()
        member.waiting[text] = future
        futures.append(future)
    started = time.perf_counter()
    result = await _post(http, sender.token, SEND, input={"chatId": arm.chat_id, "text": text})
    assert "chatMessage" in result["messageSend"], result
    arrived = await asyncio.wait_for(asyncio.gather(*futures), 30)
    latencies = [(t - started) * 1000 for t in arrived]
    return latencies, max(latencies)


async def _statements(settings: Settings, login: str) -> tuple[int, int]:
    """How many chats ``login`` has, and the statements of their chat-list query, in process
    (the statement log)."""
    app = create_app(settings)
    counter: list[str] = []

    class Handler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            counter.append(record.getMessage())

    logger = logging.getLogger("tortoise.db_client")
    handler = Handler(logging.DEBUG)
    old = logger.level
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as http:
        member = await _login(http, login)
        chats = len((await _post(http, member.token, LIST))["viewer"]["chats"]["edges"])
        logger.setLevel(logging.DEBUG)
        logger.addHandler(handler)
        try:
            await _post(http, member.token, LIST)
        finally:
            logger.removeHandler(handler)
            logger.setLevel(old)
    await app.state.broker.close()
    return chats, len(counter)


def _summary(values: list[float]) -> str:
    return f"p50 {percentile(values, 0.5):7.2f} ms   p99 {percentile(values, 0.99):7.2f} ms"


async def run(args: argparse.Namespace) -> dict[str, Any]:
    url = bench_database_url(args.database_url)
    async with bench_database(url), server_process(url, args.redis_url) as server:
        base = f"http://{HOST}:{server.port}"
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            teacher = await _login(http, "teacher")
            klass = await models.SchoolClass.get(school__name="School No. 1", grade_level=5, letter="A")
            guardians = (
                await models.User.filter(
                    guardianships__student__enrollments__school_class_id=klass.id,
                    guardianships__revoked_at__isnull=True,
                )
                .distinct()
                .order_by("login")
                .limit(29)
            )
            if len(guardians) < 29:
                raise SystemExit(f"5A has only {len(guardians)} guardians")
            others = [await _login(http, g.login) for g in guardians]
            arms = []
            for name, people in (("2 members (baseline)", others[:1]), ("30 members", others)):
                created = await _post(
                    http,
                    teacher.token,
                    CREATE,
                    input={"title": name, "memberIds": [_user_gid(g) for g in guardians[: len(people)]]},
                )
                arms.append(Arm(name, created["chatCreate"]["chat"]["id"], [teacher, *people]))
            ws_url = f"ws://{HOST}:{server.port}/graphql"
            for member in [teacher, *others]:
                await _listen(ws_url, member)
            await asyncio.sleep(0.5)
            for arm in arms:  # warm-up: caches, connections
                for i in range(3):
                    await _send(http, teacher, arm, f"warm-up {arm.name} {i}")
            for round_no in range(args.rounds):
                order = arms if round_no % 2 == 0 else arms[::-1]
                for arm in order:
                    latencies: list[float] = []
                    complete: list[float] = []
                    for i in range(args.messages):
                        each, last = await _send(http, teacher, arm, f"{arm.name} r{round_no} m{i}")
                        latencies.extend(each)
                        complete.append(last)
                    arm.latencies.append(latencies)
                    arm.complete.append(complete)
            for member in [teacher, *others]:
                if member.socket is not None:
                    await member.socket.close()
        settings = Settings(database_url=url, secret_key=secrets.token_urlsafe(48))
        # Statement count of the chat list: a guardian in the class chat and the demo one, and
        # the teacher with 8 more chats.
        for i in range(8):
            await _create_more(settings, teacher.login, f"extra {i}", guardians[2:4])
        statements = {}
        for login in (others[1].login, teacher.login):
            chats, count = await _statements(settings, login)
            statements[f"{chats} chats"] = count
    return _report(arms, statements, args)


def _user_gid(user: models.User) -> str:
    return to_global_id("User", user.id)


async def _create_more(settings: Settings, login: str, title: str, people: list[models.User]) -> None:
    app = create_app(settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as http:
        member = await _login(http, login)
        ids = [_user_gid(p) for p in people]
        chat = await _post(http, member.token, CREATE, input={"title": title, "memberIds": ids})
        chat_id = chat["chatCreate"]["chat"]["id"]
        await _post(http, member.token, SEND, input={"chatId": chat_id, "text": "hello"})
    await app.state.broker.close()


def _report(arms: list[Arm], statements: dict[str, int], args: argparse.Namespace) -> dict[str, Any]:
    baseline, class_chat = arms
    ratios50 = [
        percentile(c, 0.5) / percentile(b, 0.5) for b, c in zip(baseline.latencies, class_chat.latencies, strict=True)
    ]
    ratios99 = [
        percentile(c, 0.99) / percentile(b, 0.99) for b, c in zip(baseline.latencies, class_chat.latencies, strict=True)
    ]
    print(f"\nmessageSend -> each member's chatEvents frame ({args.rounds} rounds x {args.messages} messages)")
    for arm in arms:
        every = [x for r in arm.latencies for x in r]
        last = [x for r in arm.complete for x in r]
        print(f"  {arm.name:22} every delivery {_summary(every)}   | last member {_summary(last)}")
    print(
        f"  30 members / baseline, per-round median: p50 x{statistics.median(ratios50):.2f} "
        f"[{min(ratios50):.2f}-{max(ratios50):.2f}], p99 x{statistics.median(ratios99):.2f} "
        f"[{min(ratios99):.2f}-{max(ratios99):.2f}]"
    )
    print(f"Chat list query statements: {statements}")
    return {
        "arms": {
            arm.name: {
                "every_p50_ms": percentile([x for r in arm.latencies for x in r], 0.5),
                "every_p99_ms": percentile([x for r in arm.latencies for x in r], 0.99),
                "last_p50_ms": percentile([x for r in arm.complete for x in r], 0.5),
                "last_p99_ms": percentile([x for r in arm.complete for x in r], 0.99),
            }
            for arm in arms
        },
        "ratio_p50": statistics.median(ratios50),
        "ratio_p99": statistics.median(ratios99),
        "statements": statements,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.chats", description=__doc__)
    parser.add_argument("--database-url", default=None, help="PostgreSQL server (a fresh database is made on it)")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS, help=f"Redis for the server process ({DEFAULT_REDIS})")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (5)")
    parser.add_argument("--messages", type=int, default=20, help="messages per chat per round (20)")
    asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
