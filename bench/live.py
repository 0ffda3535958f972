"""The pieces of ``bench.fanout`` that talk to a server: who subscribes, writing events as a
teacher's grade does, server processes, connections, and what ``/proc`` and Redis say."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import httpx
import uvicorn
from tortoise.transactions import in_transaction

import models
from clients import ws
from edge.settings import Settings
from pubsub.broker import Broker, EventKind
from resolvers import outbox, pages, sessions
from resolvers.core import now_utc, today_utc
from resolvers.outbox import decode_cursor, encode_cursor
from schema.websocket import WebSocketProtocol

ROOT = Path(__file__).resolve().parent.parent
SECRET = secrets.token_urlsafe(48)  # made per run: no secret is written in the repository
pages.use_secret(SECRET)  # the servers' SECRET_KEY: cursors are sealed with it (resolvers/pages.py)
HOST = "127.0.0.1"
SUBSCRIPTION = """subscription Live($after: String) {
  diaryEvents(after: $after) { cursor kind occurredAt grade { value weight comment } }
}"""


@dataclass(frozen=True)
class Child:
    id: int
    class_id: int
    lesson_id: int
    subject_id: int
    teacher_id: int
    date: Any


@dataclass
class Family:
    """A guardian and the children they follow."""

    user_id: int
    token: str
    children: frozenset[int]


@dataclass
class Plan:
    families: dict[int, Family]
    children: dict[int, Child]
    guardians: dict[int, list[int]]  # child -> guardian user ids

    @classmethod
    async def load(cls) -> Plan:
        """Every current guardian of an enrolled child with a lesson to grade, with an access
        token minted as ``login`` would (the server checks its signature and expiry only)."""
        minting = Settings(secret_key=SECRET, access_token_ttl=6 * 3600)
        today = today_utc()
        classes = dict(
            await models.Enrollment.filter(end_date__isnull=True).values_list("student_id", "school_class_id")
        )
        lessons: dict[int, models.Lesson] = {}
        for class_id in sorted(set(classes.values())):
            lesson = await models.Lesson.filter(school_class_id=class_id, date__lte=today).order_by("-date").first()
            if lesson is not None:
                lessons[class_id] = lesson
        children = {
            s: Child(s, c, lessons[c].id, lessons[c].subject_id, lessons[c].teacher_id, lessons[c].date)
            for s, c in classes.items()
            if c in lessons
        }
        links: dict[int, set[int]] = defaultdict(set)
        guardians: dict[int, list[int]] = defaultdict(list)
        for guardian, student in await models.Guardianship.filter(revoked_at__isnull=True).values_list(
            "guardian_id", "student_id"
        ):
            if student in children:
                links[guardian].add(student)
                guardians[student].append(guardian)
        # One live session per family (a login each), opened in one statement.
        keys = {g: secrets.token_hex(16) for g in links}
        await models.Session.bulk_create(
            [models.Session(user_id=g, key=key, last_seen_at=now_utc()) for g, key in keys.items()], batch_size=1000
        )
        session_of = dict(await models.Session.filter(key__in=list(keys.values())).values_list("key", "id"))
        families = {
            g: Family(g, sessions.issue_access_token(minting, g, session_of[keys[g]]), frozenset(kids))
            for g, kids in sorted(links.items())
        }
        return cls(families, children, dict(guardians))

    def split(self, hot: int) -> tuple[list[Family], list[Family], list[Child]]:
        """Families who receive the events (at least ``hot``, with every other guardian of
        their children) and families who never do, and the children the events are about."""
        return self.set_aside(list(self.families.values()), hot)

    def set_aside(self, families: list[Family], hot: int) -> tuple[list[Family], list[Family], list[Child]]:
        """Of ``families``, at least ``hot`` taken out with every other guardian of their
        children, the rest, and the children of those taken."""
        chosen: set[int] = set()
        kids: set[int] = set()
        for family in families:
            if len(chosen) >= hot:
                break
            pending = [family.user_id]
            while pending:
                user = pending.pop()
                if user in chosen:
                    continue
                chosen.add(user)
                for kid in self.families[user].children:
                    kids.add(kid)
                    pending.extend(self.guardians[kid])
        taken = [self.families[u] for u in sorted(chosen)]
        rest = [f for f in families if f.user_id not in chosen]
        return taken, rest, [self.children[k] for k in sorted(kids)]


class Writer:
    """Grades written and published as ``resolvers.grades`` does (one transaction with the
    grade and its outbox row, published after commit); ``sent`` keeps each event's commit time."""

    def __init__(self, broker: Broker) -> None:
        self.broker = broker
        self.sent: dict[int, float] = {}

    async def grade(self, child: Child) -> int:
        async with in_transaction():
            grade = await models.Grade.create(
                student_id=child.id,
                subject_id=child.subject_id,
                school_class_id=child.class_id,
                lesson_id=child.lesson_id,
                teacher_id=child.teacher_id,
                date=child.date,
                value="5",
                numeric_value=5.0,
                weight=1,
                comment="bench",
            )
            rows = await outbox.record(
                [
                    models.OutboxEvent(
                        kind=EventKind.GRADE_ADDED,
                        student_id=child.id,
                        school_class_id=child.class_id,
                        grade_id=grade.id,
                        lesson_id=child.lesson_id,
                    )
                ]
            )
        event_id: int = rows[0].id
        self.sent[event_id] = time.time()
        await outbox.publish(self.broker, rows)
        return event_id

    async def markers(self, children: list[Child]) -> str:
        """One event per child, so that a subscription opened with the returned cursor as
        ``after`` replays at least one event: its first frame proves it is in place."""
        newest = await models.OutboxEvent.all().order_by("-id").first()
        cursor = encode_cursor(newest.id if newest else 0)
        for start in range(0, len(children), 500):
            async with in_transaction():
                for child in children[start : start + 500]:
                    await models.OutboxEvent.create(
                        kind=EventKind.GRADE_ADDED,
                        student_id=child.id,
                        school_class_id=child.class_id,
                        published_at=now_utc(),  # never announced: only replayed
                    )
        return cursor


class Receiver:
    """Every frame's commit-to-socket latency, for the events being measured."""

    def __init__(self, writer: Writer) -> None:
        self.writer = writer
        self.floor = 0  # events of this writer with a higher id are measured
        self.latencies: list[float] = []
        self.samples: list[tuple[float, float, int]] = []  # commit time, latency ms, event id
        self.frames = 0

    def on_next(self, connection: ws.Connection, data: dict[str, Any], now: float) -> None:
        self.frames += 1
        event = data.get("diaryEvents") or {}
        event_id = decode_cursor(str(event.get("cursor", "")))
        if event_id is not None and event_id > self.floor:
            sent = self.writer.sent.get(event_id)
            if sent is not None:
                self.latencies.append((now - sent) * 1000)
                self.samples.append((sent, (now - sent) * 1000, event_id))

    def start(self) -> None:
        self.floor = max(self.writer.sent, default=0)
        self.latencies = []
        self.samples = []


@dataclass
class Pool:
    """Open connections to one server, opened and closed last in, first out."""

    port: int
    receiver: Receiver
    after: str
    connections: list[ws.Connection] = field(default_factory=list)
    concurrency: int = 100

    async def open(self, families: list[Family]) -> None:
        gate = asyncio.Semaphore(self.concurrency)
        variables = {"after": self.after}

        async def one(family: Family) -> ws.Connection:
            async with gate:
                return await ws.connect(
                    HOST, self.port, family.token, SUBSCRIPTION, variables, self.receiver.on_next, family
                )

        failures: list[BaseException] = []
        for _attempt in range(3):  # a machine busy with other work times a few handshakes out
            opened = await asyncio.gather(*(one(f) for f in families), return_exceptions=True)
            self.connections += [o for o in opened if isinstance(o, ws.Connection)]
            failures = [o for o in opened if isinstance(o, BaseException)]
            families = [f for f, o in zip(families, opened, strict=True) if isinstance(o, BaseException)]
            if not failures:
                return
        raise RuntimeError(f"{len(failures)} connections failed three times, e.g. {failures[0]!r}")

    def close(self, count: int) -> None:
        for _ in range(count):
            self.connections.pop().close()

    def broken(self) -> list[str]:
        return [c.closed.result() for c in self.connections if c.closed.done()]


def in_process_server(app: Any, port: int) -> uvicorn.Server:
    """A uvicorn server for ``app`` in this process, with the socket settings ``server.py serve``
    uses (the lean WebSocket protocol, no per-message compression); the caller serves it."""
    config = uvicorn.Config(
        app,
        host=HOST,
        port=port,
        lifespan="off",
        log_level="warning",
        ws=WebSocketProtocol,
        ws_per_message_deflate=False,
    )
    return uvicorn.Server(config)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class ServerProcess:
    pid: int
    port: int
    log: Path

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def cpu_seconds(self) -> float:
        """CPU time the process used so far (user + system): per delivery, a figure that
        other load on a noisy machine stretches far less than latency."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    async def counters(self, name: str) -> dict[str, float]:
        """The samples of counter ``name`` on the process's ``/metrics`` (its labels as text:
        ``statement="shared"``), empty when the process does not have it (an older checkout)."""
        async with httpx.AsyncClient() as http:
            text = (await http.get(f"http://{HOST}:{self.port}/metrics")).text
        found = {}
        for line in text.splitlines():
            if line.startswith(f"{name}_total"):
                series, value = line.rsplit(" ", 1)
                found[series[len(name) + len("_total") :].strip("{}")] = float(value)
        return found


@contextlib.asynccontextmanager
async def server_process(
    database_url: str, redis_url: str, port: int | None = None, extra_env: dict[str, str] | None = None
) -> AsyncIterator[ServerProcess]:
    """``python server.py serve`` in production mode on ``port`` (default: a free one), with
    ``extra_env`` added to its environment, until the block ends."""
    port = port or free_port()
    env = {
        **os.environ,
        "EDIARY_ENV": "production",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": SECRET,
        "HOST": HOST,
        "PORT": str(port),
        # The district's few hundred guardians hold thousands of devices: no per-user cap.
        "EDIARY_MAX_SOCKETS_PER_USER": "0",
        "METRICS_ENABLED": "1",  # read from the loopback only (``counters``)
        **(extra_env or {}),
    }
    handle, name = tempfile.mkstemp(prefix="ediary-fanout-server-", suffix=".log")
    log = Path(name)
    out: TextIO = os.fdopen(handle, "w")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "server.py", "serve", cwd=ROOT, env=env, stdout=out, stderr=out
    )
    ok = False
    try:
        async with httpx.AsyncClient() as http:
            deadline = time.monotonic() + 180  # a machine busy with other work starts slowly
            while time.monotonic() < deadline:
                if process.returncode is not None:
                    break
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get(f"http://{HOST}:{port}/readyz")).status_code == 200:
                        break
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError(f"the server did not become ready in 180 s; see {log}")
        if process.returncode is not None:
            raise RuntimeError(f"the server exited with {process.returncode}; see {log}")
        yield ServerProcess(process.pid, port, log)
        ok = True
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 15)
            except TimeoutError:
                process.kill()
                await process.wait()
        out.close()
        if ok and not os.environ.get("BENCH_KEEP_LOGS"):
            os.unlink(log)
        else:
            print(f"server log kept at {log}", file=sys.stderr)


def redis_ports(pid: int, redis_port: int) -> set[int]:
    """Local ports of the process's TCP connections to Redis (its socket inodes, looked up in
    ``/proc/net/tcp``)."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
            if target.startswith("socket:["):
                inodes.add(target[len("socket:[") : -1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                parts = line.split()
                if parts[9] in inodes and int(parts[2].rsplit(":", 1)[1], 16) == redis_port:
                    ports.add(int(parts[1].rsplit(":", 1)[1], 16))
    return ports


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]
