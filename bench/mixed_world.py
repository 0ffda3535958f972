"""Who takes part in ``bench.mixed``: the seeded district's guardians and teachers, logged in
through ``login`` (and kept logged in with ``sessionRefresh``), the lessons teachers may grade
and mark, and one parents' chat per class, created through ``chatCreate``."""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx

import models
from resolvers.core import now_utc, to_global_id, today_utc

PASSWORD = "demo"  # noqa: S105 - every demo account's password (README)
LOGIN = """mutation Login($login: String!, $password: String!) {
  login(input: {login: $login, password: $password}) {
    ... on LoginSuccess { accessToken refreshToken } ... on Error { code message } } }"""
REFRESH = """mutation Refresh($token: String!) { sessionRefresh(input: {refreshToken: $token}) {
    ... on LoginSuccess { accessToken refreshToken } ... on Error { code message } } }"""
CHAT_CREATE = """mutation ChatCreate($input: ChatCreateInput!) { chatCreate(input: $input) {
    ... on ChatCreateSuccess { chat { id } } ... on Error { code message } } }"""
# Access tokens live 15 minutes (README): each person renews theirs every 10 minutes, the first
# time at a random point of the first 10, so that renewals arrive at a steady rate (people's
# logins are spread out in a real school) instead of all at once 10 minutes after the set-up.
REFRESH_EVERY = 600.0
CLIENTS = 16  # HTTP clients a server (``Poster``)


class Failure(Exception):
    """A request that a user would see fail: not 200, a GraphQL error, or an error result."""


@dataclass
class User:
    id: int
    login: str
    address: str  # the client address a load balancer would forward (X-Forwarded-For)
    token: str = ""
    refresh_token: str = ""
    refresh_due: float = float("inf")  # time.perf_counter() instant

    @property
    def gid(self) -> str:
        return to_global_id("User", self.id)


@dataclass
class Assignment:
    """A teacher's class + subject, with the started lessons of the last two weeks and the
    students enrolled on each lesson's date."""

    teacher: User
    class_id: int
    lessons: dict[int, list[int]]  # lesson id -> student ids


@dataclass
class ClassChat:
    id: str
    members: list[User]  # the teacher first, then the class's guardians


@dataclass
class World:
    guardians: list[User]
    teachers: list[User]
    assignments: list[Assignment]
    children: dict[int, list[int]]  # guardian user id -> student ids
    guardians_of: dict[int, list[int]]  # student id -> guardian user ids
    registers: dict[tuple[int, int], tuple[str, int | None, str | None]]  # (lesson, student) -> mark
    chats: list[ClassChat] = field(default_factory=list)

    @classmethod
    async def load(cls) -> World:
        """The district as the bench database holds it, read through the ORM."""
        today, now = today_utc(), now_utc()
        logins = dict(await models.User.all().values_list("id", "login"))
        users: dict[int, User] = {}

        def user(user_id: int) -> User:
            if user_id not in users:
                # 198.18.0.0/15 is set aside for benchmarks (RFC 2544): one address per person.
                users[user_id] = User(user_id, logins[user_id], f"198.18.{user_id // 250}.{user_id % 250 + 1}")
            return users[user_id]

        enrolled = await models.Enrollment.all().values("student_id", "school_class_id", "start_date", "end_date")
        links = await models.Guardianship.filter(revoked_at__isnull=True).values_list("guardian_id", "student_id")
        children: dict[int, list[int]] = defaultdict(list)
        guardians_of: dict[int, list[int]] = defaultdict(list)
        current = {e["student_id"] for e in enrolled if e["end_date"] is None}
        for guardian, student in sorted(links):
            if student in current:
                children[guardian].append(student)
                guardians_of[student].append(guardian)
        lessons = await models.Lesson.filter(
            date__gte=today - timedelta(days=14),
            starts_at__lte=now - timedelta(minutes=5),
            status=models.LessonStatus.SCHEDULED,
        ).values("id", "school_class_id", "subject_id", "date")
        assignments = []
        for a in (
            await models.TeachingAssignment.all().order_by("id").values("teacher_id", "school_class_id", "subject_id")
        ):
            own = {
                lesson["id"]: sorted(
                    e["student_id"]
                    for e in enrolled
                    if e["school_class_id"] == a["school_class_id"]
                    and e["start_date"] <= lesson["date"]
                    and (e["end_date"] is None or e["end_date"] >= lesson["date"])
                )
                for lesson in lessons
                if (lesson["school_class_id"], lesson["subject_id"]) == (a["school_class_id"], a["subject_id"])
            }
            if own:
                assignments.append(Assignment(user(a["teacher_id"]), a["school_class_id"], own))
        if not assignments:
            raise SystemExit("no started lesson in the last two weeks to grade: seed the district again")
        marks = await models.Attendance.filter(lesson_id__in=[lesson["id"] for lesson in lessons]).values_list(
            "lesson_id", "student_id", "status", "late_minutes", "reason"
        )
        registers = {(lesson, student): (str(status), late, reason) for lesson, student, status, late, reason in marks}
        return cls(
            guardians=[user(g) for g in sorted(children)],
            teachers=sorted({a.teacher.id: a.teacher for a in assignments}.values(), key=lambda u: u.id),
            assignments=assignments,
            children=dict(children),
            guardians_of=dict(guardians_of),
            registers=registers,
        )

    async def class_chats(self, post: Poster) -> None:
        """One chat per class, created by the class's first teacher, with every guardian of
        the class's current students."""
        by_class: dict[int, Assignment] = {}
        for a in self.assignments:
            by_class.setdefault(a.class_id, a)
        everyone = {u.id: u for u in self.guardians}
        for class_id, a in sorted(by_class.items()):
            rows = await models.Enrollment.filter(school_class_id=class_id, end_date__isnull=True).values("student_id")
            family = sorted({g for row in rows for g in self.guardians_of.get(row["student_id"], [])})
            members = [everyone[g] for g in family]
            data = await post.mutation(
                a.teacher,
                CHAT_CREATE,
                {"input": {"title": f"Parents of class {class_id}", "memberIds": [m.gid for m in members]}},
            )
            self.chats.append(ClassChat(data["chatCreate"]["chat"]["id"], [a.teacher, *members]))


class Poster:
    """POSTs to ``/graphql`` spread round-robin over the servers, as a load balancer would,
    each with the user's token and forwarded client address."""

    def __init__(self, bases: list[str], timeout: float) -> None:
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=512)
        # Several clients a server: httpcore's pool looks at every request waiting in it each
        # time one is sent (quadratic), which took the generator's whole core once thousands
        # waited on overloaded servers. Still round robin over the servers.
        self.clients = [
            httpx.AsyncClient(base_url=b, timeout=timeout, limits=limits) for _ in range(CLIENTS) for b in bases
        ]
        self._next = itertools.cycle(self.clients)

    async def close(self) -> None:
        for client in self.clients:
            await client.aclose()

    async def query(self, user: User | None, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        headers = {"X-Forwarded-For": user.address} if user else {}
        if user and user.token:
            headers["Authorization"] = f"Bearer {user.token}"
        try:
            response = await next(self._next).post(
                "/graphql", json={"query": document, "variables": variables}, headers=headers
            )
        except httpx.HTTPError as exc:
            raise Failure(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code != 200:
            raise Failure(f"HTTP {response.status_code}: {response.text[:300]}")
        body: dict[str, Any] = response.json()
        if body.get("errors"):
            raise Failure(str(body["errors"])[:300])
        data: dict[str, Any] = body["data"]
        return data

    async def mutation(self, user: User | None, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        """A mutation whose result union must be its Success member (an error result is a
        failure: every input the benchmark sends is valid)."""
        data = await self.query(user, document, variables)
        for result in data.values():
            if isinstance(result, dict) and "code" in result:
                raise Failure(f"{result['code']}: {result.get('message')}")
        return data


async def log_in(post: Poster, users: list[User], concurrency: int = 8) -> None:
    """Every user logs in once through ``login`` (argon2: the costly part of setting up)."""
    gate = asyncio.Semaphore(concurrency)
    rng = random.Random(7)

    async def one(user: User) -> None:
        async with gate:
            data = await post.mutation(user, LOGIN, {"login": user.login, "password": PASSWORD})
        user.token, user.refresh_token = data["login"]["accessToken"], data["login"]["refreshToken"]
        user.refresh_due = time.perf_counter() + rng.uniform(0, REFRESH_EVERY)

    await asyncio.gather(*(one(u) for u in users))


async def refresh(post: Poster, user: User) -> None:
    """Renew the user's access token as an app does before it expires (refresh tokens rotate)."""
    user.refresh_due = float("inf")  # not twice at once
    data = await post.mutation(user, REFRESH, {"token": user.refresh_token})
    user.token, user.refresh_token = data["sessionRefresh"]["accessToken"], data["sessionRefresh"]["refreshToken"]
    user.refresh_due = time.perf_counter() + REFRESH_EVERY
