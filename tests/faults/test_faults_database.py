"""The database lost in the middle of a write: the client gets a clear, retryable error
(reason ``DATABASE_UNAVAILABLE``, retryable), nothing of the write is left behind (grades,
their history, roll-ups, audit, outbox), and the next request works. The server is a real production
process, so the error is the one a client sees.

PostgreSQL: the test holds a lock on the audit table, so that ``gradesCreate`` for a whole
class stops half-way through its transaction (grades, history and roll-ups written, audit
waiting), then terminates that backend (``pg_terminate_backend``): what a database restart,
a failover or a killed connection does to a request in flight. The pool replaces the
connection.

SQLite has no connection to drop (the file is opened by the server process itself). Its
fault is another process holding the write lock past the busy timeout (a backup, a
``sqlite3`` shell left in a transaction): the first write of the request waits, then fails,
so nothing can be half-written, but the client must still get the same clear error."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import httpx
import pytest

import models
from edge.settings import Settings
from resolvers import core
from resolvers import grades as grading
from tests.factories import Factory
from tests.grades.test_grade_changes import GRADES_CREATE
from tests.helpers import gid
from tests.processes import ServerProcess
from tests.worlds import graded_family

ON_POSTGRES = bool(os.environ.get("TEST_DATABASE_URL"))


@pytest.fixture
async def server(settings: Settings, database: None) -> AsyncIterator[ServerProcess]:
    process = ServerProcess(settings)
    try:
        await process.ready()
        yield process
    finally:
        process.stop()


async def _blocked_backend(admin: asyncpg.Connection, database: str) -> int:
    """The server's backend waiting for the audit table's lock."""
    for _ in range(200):
        pid = await admin.fetchval(
            "SELECT pid FROM pg_stat_activity"
            " WHERE datname = $1 AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()",
            database,
        )
        if pid is not None:
            return int(pid)
        await asyncio.sleep(0.05)
    raise AssertionError("the mutation never reached the audit table")


async def _rollups() -> dict[str, Counter[tuple[Any, ...]]]:
    """Every roll-up row as stored (the suite's other tests may have left some apart from a
    recomputation on purpose, so the test compares before with after)."""
    tables = [(t.name, t.stored()) for t in grading.ALL_TABLES] + [("rollup_lowest_mark", grading.LOWEST_STORED)]
    return {name: Counter(tuple(row.values()) for row in await core.fetch(stored, [])) for name, stored in tables}


async def _written(comment: str) -> tuple[int, int, int, int]:
    grades = await models.Grade.filter(comment=comment).values_list("id", flat=True)
    return (
        len(grades),
        await models.GradeRevision.filter(grade_id__in=grades).count(),
        await models.AuditEntry.filter(action="grade.create", object_id__in=grades).count(),
        await models.OutboxEvent.filter(grade_id__in=grades).count(),
    )


async def _class_grades(factory: Factory, comment: str) -> tuple[dict[str, Any], list[int], str]:
    """A ``gradesCreate`` request body for every student of a class in a past mathematics
    lesson, and the token of its teacher."""
    family = await graded_family(factory)
    lesson = family.lesson
    students = [e.student_id for e in await models.Enrollment.filter(school_class_id=lesson.school_class_id)]
    rows = [{"studentId": gid(models.Student(id=s), "Student"), "value": "3", "comment": comment} for s in students]
    body = {"query": GRADES_CREATE, "variables": {"input": {"lessonId": gid(lesson, "Lesson"), "grades": rows}}}
    return body, students, family.as_teacher().token or ""


def _assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 200
    answer = response.json()
    assert answer["data"] is None
    error = answer["errors"][0]
    assert error["path"] == ["gradesCreate"]
    assert (error["extensions"]["code"], error["extensions"]["reason"]) == (
        "INTERNAL_SERVER_ERROR",
        "DATABASE_UNAVAILABLE",
    )
    assert error["extensions"]["retryable"] is True
    assert "nothing was saved" in error["message"]


async def _nothing_written_then_retried(
    http: httpx.AsyncClient,
    response: httpx.Response,
    body: dict[str, Any],
    headers: dict[str, str],
    comment: str,
    students: int,
    before: dict[str, Counter[tuple[Any, ...]]],
) -> None:
    """The failed write left nothing (grades, history, audit, outbox; roll-ups unchanged), and
    sending it again succeeds whole."""
    _assert_unavailable(response)
    assert await _written(comment) == (0, 0, 0, 0)
    assert await _rollups() == before
    again = (await http.post("/graphql", json=body, headers=headers)).json()
    assert again["data"]["gradesCreate"]["__typename"] == "GradesCreateSuccess", again
    assert await _written(comment) == (students,) * 4
    assert await _rollups() != before  # the same grades do move the roll-ups


@pytest.mark.faults
@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL's fault; SQLite's is the next test")
async def test_connection_dropped_mid_write_fails_clearly_and_leaves_nothing(
    server: ServerProcess, settings: Settings, factory: Factory
) -> None:
    comment = f"dropped mid-write {factory.tag}"
    body, students, token = await _class_grades(factory, comment)
    headers = {"Authorization": f"Bearer {token}"}
    database = settings.database_url.rpartition("/")[2]
    before = await _rollups()

    admin = await asyncpg.connect(settings.database_url)
    try:
        async with httpx.AsyncClient(base_url=f"http://{server.address}", timeout=30) as http:
            async with admin.transaction():
                await admin.execute("LOCK TABLE audit_entry IN SHARE ROW EXCLUSIVE MODE")
                request = asyncio.create_task(http.post("/graphql", json=body, headers=headers))
                backend = await _blocked_backend(admin, database)
                assert await admin.fetchval("SELECT pg_terminate_backend($1)", backend)
                response = await request

            # Grades, their history and roll-ups were written before the drop: all rolled back.
            await _nothing_written_then_retried(http, response, body, headers, comment, len(students), before)
    finally:
        await admin.close()


# Not marked ``faults``: it runs only on SQLite, so the embedded step is where CI runs it.
@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's fault; PostgreSQL's is the test above")
async def test_write_lock_held_by_another_process_fails_clearly_and_leaves_nothing(
    server: ServerProcess, settings: Settings, factory: Factory
) -> None:
    comment = f"database locked {factory.tag}"
    body, students, token = await _class_grades(factory, comment)
    headers = {"Authorization": f"Bearer {token}"}
    path = settings.database_url.removeprefix("sqlite://")
    before = await _rollups()

    def hold_write_lock(release: threading.Event, held: threading.Event) -> None:
        other = sqlite3.connect(path, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            held.set()
            release.wait(30)
            other.execute("ROLLBACK")
        finally:
            other.close()

    release, held = threading.Event(), threading.Event()
    holder = threading.Thread(target=hold_write_lock, args=(release, held))
    holder.start()
    try:
        assert await asyncio.to_thread(held.wait, 10)
        async with httpx.AsyncClient(base_url=f"http://{server.address}", timeout=60) as http:
            response = await http.post("/graphql", json=body, headers=headers)
            release.set()
            await asyncio.to_thread(holder.join)
            await _nothing_written_then_retried(http, response, body, headers, comment, len(students), before)
    finally:
        release.set()
        holder.join()
