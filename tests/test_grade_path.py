"""The path of one grade from ``gradeCreate`` to the parent's socket, file by file (issue 19):
the project's modules that run between the teacher's request and the parent's frame, in the
order they are first entered. Printed with ``-s``; the test holds the count to ``MOST`` so that
the path only gets shorter (README "Architecture" walks it)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from types import FrameType
from typing import Any

import models
from resolvers.core import today_utc
from server import BACKGROUND_TASKS
from tests.factories import Factory, school_days_before
from tests.helpers import grade_over_http, open_socket

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("schema", "resolvers", "models", "pubsub", "edge", "demo")
# Files on the path today: 15 on SQLite with the in-memory broker and on PostgreSQL with Redis
# (the server's background tasks are left out: they run beside the path, not on it). Lower it as
# the path gets shorter; never raise it.
MOST = 15

EVENTS = "subscription { diaryEvents { kind grade { value comment } } }"


def _project_file(filename: str) -> str | None:
    try:
        relative = Path(filename).resolve().relative_to(ROOT)
    except ValueError:
        return None
    if relative.parts[0] in PACKAGES or str(relative) == "server.py":
        return str(relative)
    return None


TESTS = ROOT / "tests"
SERVER_WRAPPER = str(TESTS / "codes_seen.py")


def _called_by_the_test(frame: FrameType) -> bool:
    caller = frame.f_back
    if caller is None:
        return False
    name = caller.f_code.co_filename
    return name.startswith(str(TESTS)) and name != SERVER_WRAPPER


def _in_the_background() -> bool:
    """The server's own background tasks (the outbox relay, the catch-up check, the notifier of
    other channels, the session endings, housekeeping) run beside the grade, not on its path."""
    task = asyncio.current_task()
    return task is not None and task.get_name() in BACKGROUND_TASKS


async def test_the_grade_path_from_mutation_to_socket(server_url: str, factory: Factory) -> None:
    kit = await factory.school()
    teacher = await factory.teacher(kit, [("5A", "Mathematics")], name="maths")
    parent = await factory.parent()
    child = await factory.student(kit, "5A", "anna", guardians=[parent])
    (day,) = school_days_before(today_utc(), 1)
    lesson: models.Lesson = await factory.lesson(kit, "5A", "Mathematics", teacher, day)
    socket = await open_socket(server_url, factory.client(parent).token)
    await socket.start(EVENTS)
    await socket.nothing()

    entered: dict[str, None] = {}
    files: dict[str, str | None] = {}

    def profile(frame: FrameType, event: str, _arg: Any) -> None:
        if event == "call":
            name = frame.f_code.co_filename
            found = files.get(name, "")
            if found == "":
                found = files[name] = _project_file(name)
            # What the test itself calls (the teacher's token, the ids it sends) is not the
            # server's path: the server is entered through the test server's wrapper only.
            if found is not None and not _called_by_the_test(frame) and not _in_the_background():
                entered.setdefault(found, None)

    address = server_url.removeprefix("ws://").removesuffix("/graphql")
    token = factory.client(teacher).token
    sys.setprofile(profile)
    try:
        await grade_over_http(address, token, child, lesson, "the path")
        message = await socket.next()
    finally:
        sys.setprofile(None)
    await socket.ws.close()
    assert message["payload"]["data"]["diaryEvents"]["grade"]["comment"] == "the path"
    path = list(entered)
    print(f"\nthe grade's path crosses {len(path)} files:\n" + "\n".join(f"  {f}" for f in path))  # noqa: T201 - the report, with -s
    assert "schema/grades.py" in path  # the mutation is on it
    assert len(path) <= MOST, path
