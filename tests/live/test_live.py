"""Idle subscriptions are parked (resolvers/outbox.py, schema/websocket.py): no task of their own
while they wait, yet every event still arrives, and the client still ends them. Each test
builds its own family from factories, dated from the clock's today."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from types import FrameType
from typing import Any

import pytest
from strawberry.extensions import SchemaExtension
from strawberry.extensions.context import ExtensionContextManagerBase
from tortoise.transactions import in_transaction

import models
from edge import metrics, settings
from pubsub.broker import EventKind, student_topic
from resolvers import core, outbox, policy, sessions
from resolvers import grades as grade_writes
from resolvers.core import today_utc
from schema import CachedHooksRunner, RequireOperationName, SharedEventExecution
from schema.gates import IsAuthenticated, OperationMetrics
from tests.factories import Factory, school_days_before
from tests.helpers import Socket, gid, grade_over_http, open_socket, operation_tasks, reached

EVENTS = """
subscription Parked($studentId: ID) { diaryEvents(studentId: $studentId) { kind grade { comment } } }
"""
SUBSCRIPTIONS = 5


@dataclass
class Family:
    teacher: models.User  # mathematics in 5A
    parent: models.User
    child: models.Student  # in 5A
    lesson: models.Lesson  # a past mathematics lesson of 5A
    kit: Any = None  # their school


async def _family(factory: Factory) -> Family:
    kit = await factory.school()
    teacher = await factory.teacher(kit, [("5A", "Mathematics")], name="maths")
    parent = await factory.parent()
    child = await factory.student(kit, "5A", "anna", guardians=[parent])
    (day,) = school_days_before(today_utc(), 1)
    lesson = await factory.lesson(kit, "5A", "Mathematics", teacher, day)
    return Family(teacher, parent, child, lesson, kit)


@contextlib.contextmanager
def view_set(app: Any, **values: object) -> Iterator[None]:
    """The subscription view's settings (``park_subscriptions``) changed for one test; they
    apply to operations started meanwhile."""
    view = app.state.subscriptions
    before = {name: getattr(view, name) for name in values}
    for name, value in values.items():
        setattr(view, name, value)
    try:
        yield
    finally:
        for name, value in before.items():
            setattr(view, name, value)


def address(server_url: str) -> str:
    return server_url.removeprefix("ws://").removesuffix("/graphql")


async def settled(expected: int) -> int:
    """The number of operation tasks once it reaches ``expected``."""
    return await reached(operation_tasks, expected)


async def comment_of(socket: Socket) -> str:
    message = await socket.next()
    assert message["type"] in ("next", "data"), message
    return str(message["payload"]["data"]["diaryEvents"]["grade"]["comment"])


@pytest.mark.parametrize(("protocol", "key"), [("graphql-transport-ws", "Authorization"), ("graphql-ws", "authToken")])
async def test_idle_subscriptions_hold_no_task_and_still_receive_every_event(
    server_url: str, factory: Factory, protocol: str, key: str
) -> None:
    family = await _family(factory)
    child, parent, teacher = family.child, factory.client(family.parent), factory.client(family.teacher)
    baseline = await settled(0)
    sockets = [await open_socket(server_url, parent.token, protocol, key) for _ in range(SUBSCRIPTIONS)]
    for socket in sockets:
        await socket.start(EVENTS, studentId=gid(child, "Student"))
    await asyncio.sleep(0.3)
    assert await settled(baseline) == baseline, "an idle subscription keeps a task of its own"

    for n in range(3):
        await grade_over_http(address(server_url), teacher.token, family.child, family.lesson, f"{protocol} parked {n}")
    for socket in sockets:
        assert [await comment_of(socket) for _ in range(3)] == [f"{protocol} parked {n}" for n in range(3)]
        await socket.nothing()
    assert await settled(baseline) == baseline, "a subscription parks again after its events"
    for socket in sockets:
        await socket.ws.close()


async def test_a_parked_subscription_stopped_by_the_client_gets_nothing_more(
    server_url: str, app: Any, factory: Factory
) -> None:
    family = await _family(factory)
    child, parent, teacher = family.child, factory.client(family.parent), factory.client(family.teacher)
    fanout = app.state.broker._fanout
    topic = student_topic(child.id)
    before = fanout.count(topic)
    modern = await open_socket(server_url, parent.token)
    legacy = await open_socket(server_url, parent.token, "graphql-ws", "authToken")
    for socket in (modern, legacy):
        await socket.start(EVENTS, studentId=gid(child, "Student"))
    assert await reached(lambda: fanout.count(topic), before + 2) == before + 2

    await modern.ws.send('{"id": "1", "type": "complete"}')
    await legacy.ws.send('{"id": "1", "type": "stop"}')
    assert await legacy.next() == {"id": "1", "type": "complete"}  # as for a running one
    assert await reached(lambda: fanout.count(topic), before) == before, "a stopped subscription leaves the broker"
    await grade_over_http(address(server_url), teacher.token, family.child, family.lesson, "after stop")
    await modern.nothing()
    await legacy.nothing()

    # The operation id is free again, and a new subscription on it works.
    await modern.start(EVENTS, studentId=gid(child, "Student"))
    assert await reached(lambda: fanout.count(topic), before + 1) == before + 1
    await grade_over_http(address(server_url), teacher.token, family.child, family.lesson, "resubscribed")
    assert await comment_of(modern) == "resubscribed"
    for socket in (modern, legacy):
        await socket.ws.close()


async def test_without_parking_each_subscription_waits_in_its_own_task(
    server_url: str, app: Any, factory: Factory
) -> None:
    """EDIARY_PARK_SUBSCRIPTIONS=0: the same events, each idle subscription
    waiting in a task of its own."""
    family = await _family(factory)
    child, parent, teacher = family.child, factory.client(family.parent), factory.client(family.teacher)
    baseline = await settled(0)
    with view_set(app, park_subscriptions=False):
        sockets = [await open_socket(server_url, parent.token) for _ in range(SUBSCRIPTIONS)]
        for socket in sockets:
            await socket.start(EVENTS, studentId=gid(child, "Student"))
        assert await settled(baseline + SUBSCRIPTIONS) == baseline + SUBSCRIPTIONS
        await grade_over_http(address(server_url), teacher.token, family.child, family.lesson, "unparked")
        for socket in sockets:
            assert await comment_of(socket) == "unparked"
            await socket.ws.close()
        assert await settled(baseline) == baseline


# The family's check in a statement of its own (``policy.family_view``): the students a family
# sees, while its session is live.
FAMILY_CHECK = 'SELECT "id" "id" FROM "student" WHERE'


@pytest.mark.parametrize("holds", [True, False], ids=["fresh", "stale"])
async def test_the_events_of_one_read_are_checked_with_the_answer_read_with_them(
    server_url: str, app: Any, factory: Factory, count_statements: Any, monkeypatch: pytest.MonkeyPatch, holds: bool
) -> None:
    """Two events committed together reach a parked family stream in one read, which brings the
    answer to the family's check in the same statement: both are checked with it. Once an answer
    no longer holds (``outbox.ANSWER_HOLDS``), each event asks the database again."""
    if not holds:
        monkeypatch.setattr(outbox, "ANSWER_HOLDS", -1.0)
    family = await _family(factory)
    socket = await open_socket(server_url, factory.client(family.parent).token)
    fanout, topic = app.state.broker._fanout, student_topic(family.child.id)
    before = fanout.count(topic)
    await socket.start(EVENTS)
    assert await reached(lambda: fanout.count(topic), before + 1) == before + 1
    await asyncio.sleep(0.2)  # its first run has read and parked

    async with in_transaction():
        grades = [await factory.grade(family.child, family.lesson, comment=f"together {n}") for n in range(2)]
        rows = await outbox.record(
            [
                models.OutboxEvent(
                    kind=EventKind.GRADE_ADDED,
                    student_id=family.child.id,
                    school_class_id=grade.school_class_id,
                    grade_id=grade.id,
                    lesson_id=family.lesson.id,
                )
                for grade in grades
            ]
        )
    count_statements.statements.clear()
    await outbox.publish(app.state.broker, rows)
    assert [await comment_of(socket) for _ in range(2)] == ["together 0", "together 1"]
    asked = [s for s in count_statements.statements if s.startswith(FAMILY_CHECK) and '"user_session"' in s]
    assert len(asked) == (0 if holds else 2), count_statements.statements
    await socket.ws.close()


CLASS_EVENTS = "subscription Taught($classId: ID!) { classEvents(classId: $classId) { kind grade { comment } } }"
# A class stream's check in a statement of its own (``policy.still_follows_class``): the class,
# while the viewer may follow it and the session is live.
CLASS_CHECK = 'SELECT "id" "id" FROM "school_class" WHERE'


@pytest.mark.parametrize("holds", [True, False], ids=["fresh", "stale"])
async def test_a_class_streams_check_is_read_with_the_event_for_every_teacher_it_wakes(
    server_url: str, factory: Factory, count_statements: Any, monkeypatch: pytest.MonkeyPatch, holds: bool
) -> None:
    """The sockets one event of a class wakes read it, with each one's answer to "may the viewer
    still follow the class", in one statement (``Follow.asks``, ``core._Batch``): no statement of
    the check's own while the answer holds; once it does not, each asks again."""
    if not holds:
        monkeypatch.setattr(outbox, "ANSWER_HOLDS", -1.0)
    family = await _family(factory)
    teacher = factory.client(family.teacher)
    sockets = [await open_socket(server_url, teacher.token) for _ in range(3)]
    for socket in sockets:
        await socket.start(CLASS_EVENTS, classId=gid(await family.lesson.school_class, "SchoolClass"))
        await socket.nothing()
    count_statements.statements.clear()

    await grade_over_http(address(server_url), teacher.token, family.child, family.lesson, "taught")
    for socket in sockets:
        message = await socket.next()
        assert message["payload"]["data"]["classEvents"]["grade"]["comment"] == "taught", message
        await socket.nothing()
    asked = [s for s in count_statements.statements if s.startswith(CLASS_CHECK) and '"user_session"' in s]
    assert len(asked) == (0 if holds else len(sockets)), count_statements.statements
    reads = [s for s in count_statements.statements if '"outbox_event"' in s and core.BRANCH in s]
    assert len(reads) == 1, count_statements.statements
    for socket in sockets:
        await socket.ws.close()


FRAGMENTED = """
fragment Mark on Grade { comment }
subscription Woken($studentId: ID) { diaryEvents(studentId: $studentId) { kind grade { ...Mark } } }
"""


async def test_a_woken_subscription_goes_on_from_its_first_runs_document(
    server_url: str, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each event wakes a parked subscription: it runs again from the document its first run
    parsed and validated (``DiarySchema.resume``), with its fragments and variables, without the
    parsing and validation extensions (a tenth of the CPU of a delivery, issue 15)."""
    validations: list[str] = []
    checked = RequireOperationName.on_validate

    def counted(self: RequireOperationName) -> Iterator[None]:
        if self.execution_context.operation_name == "Woken":  # not the teacher's gradeCreate
            validations.append("validated")
        yield from checked(self)

    monkeypatch.setattr(RequireOperationName, "on_validate", counted)
    family = await _family(factory)
    socket = await open_socket(server_url, factory.client(family.parent).token)
    await socket.start(FRAGMENTED, studentId=gid(family.child, "Student"))
    await asyncio.sleep(0.2)  # its first run has read and parked
    assert validations == ["validated"]
    for n in range(3):
        await grade_over_http(
            address(server_url), factory.client(family.teacher).token, family.child, family.lesson, f"woken {n}"
        )
        assert await comment_of(socket) == f"woken {n}"
    assert validations == ["validated"], "a woken run validated its document again"
    await socket.ws.close()


async def test_the_subscribers_one_event_wakes_read_it_in_one_statement(
    server_url: str, factory: Factory, count_statements: Any
) -> None:
    """Five devices of a family, one grade: one read of the outbox for all five (``core._Batch``),
    each still gets exactly its own event, once."""
    family = await _family(factory)
    parent, teacher = factory.client(family.parent), factory.client(family.teacher)
    sockets = [await open_socket(server_url, parent.token) for _ in range(SUBSCRIPTIONS)]
    for socket in sockets:
        await socket.start(EVENTS, studentId=gid(family.child, "Student"))
        await socket.nothing()
    shared = metrics.STREAM_READS.labels("shared")._value.get()
    count_statements.statements.clear()

    await grade_over_http(address(server_url), teacher.token, family.child, family.lesson, "one read")
    for socket in sockets:
        assert await comment_of(socket) == "one read"
        await socket.nothing()
    reads = [s for s in count_statements.statements if '"outbox_event"' in s and "INSERT" not in s.upper()[:20]]
    batched = [s for s in reads if core.BRANCH in s]
    assert len(batched) == 1, reads
    # 5 reads ran as the text of 8; the text of the largest batch stays one the driver keeps prepared
    assert len(batched[0]) / 8 * core.BATCH_READS < settings.MAX_CACHEABLE_STATEMENT
    assert metrics.STREAM_READS.labels("shared")._value.get() - shared == SUBSCRIPTIONS
    for socket in sockets:
        await socket.ws.close()


async def test_a_woken_subscription_runs_its_hooks_without_working_them_out_again(
    server_url: str, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A woken run calls its extensions' hooks as worked out once per extension class
    (``schema.CachedHooksRunner``): Strawberry's runner inspects and wraps every hook of every extension
    at every event (a few per cent of a delivery's CPU, issue 15). Every hook still runs: the
    events' errors are still counted by ``OperationMetrics.on_stream_result``."""
    worked_out: list[str] = []
    inspect_hook = ExtensionContextManagerBase.get_hook

    def counted(self: ExtensionContextManagerBase, extension: SchemaExtension) -> Any:
        task = asyncio.current_task()
        name = getattr(task.get_coro(), "__qualname__", "") if task is not None else ""
        if "run_operation" in name:  # a subscription's run, not the teacher's gradeCreate
            worked_out.append(self.HOOK_NAME)
        return inspect_hook(self, extension)

    results: list[str] = []
    on_result = OperationMetrics.on_stream_result

    def seen(self: OperationMetrics, result: Any) -> None:
        results.append("result")
        on_result(self, result)

    monkeypatch.setattr(ExtensionContextManagerBase, "get_hook", counted)
    monkeypatch.setattr(OperationMetrics, "on_stream_result", seen)
    family = await _family(factory)
    socket = await open_socket(server_url, factory.client(family.parent).token)
    await socket.start(EVENTS, studentId=gid(family.child, "Student"))
    await asyncio.sleep(0.2)  # its first run has read and parked
    worked_out.clear()
    for n in range(3):
        await grade_over_http(
            address(server_url), factory.client(family.teacher).token, family.child, family.lesson, f"hooked {n}"
        )
        assert await comment_of(socket) == f"hooked {n}"
    assert results == ["result"] * 3
    assert worked_out == [], "a woken run worked its hooks out again"
    await socket.ws.close()


async def test_a_woken_subscription_goes_on_without_building_its_executor_or_resolving_its_field_again(
    server_url: str, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A woken run starts from what the first run worked out (issue 15): the executor it built
    (``Subscriber.resumable``: operation, variables, cost) and its root resolver with the
    arguments it was given (``schema.subscription.resumable``); graphql-core does not build an
    executor or resolve the root field (arguments, permission classes) at every event. The
    subscription still delivers each event, with its own variables (one child of two)."""
    built: list[str] = []
    admitted: list[str] = []
    build = SharedEventExecution.build.__func__  # type: ignore[attr-defined]
    has_permission = IsAuthenticated.has_permission

    def in_a_run() -> bool:
        task = asyncio.current_task()
        return "run_operation" in (getattr(task.get_coro(), "__qualname__", "") if task is not None else "")

    def counted_build(cls: type[SharedEventExecution], *args: Any, **kwargs: Any) -> Any:
        if in_a_run():
            built.append("built")
        return build(cls, *args, **kwargs)

    async def counted_permission(self: IsAuthenticated, source: Any, info: Any, **kwargs: Any) -> bool:
        if in_a_run():
            admitted.append(info.field_name)
        return await has_permission(self, source, info, **kwargs)

    monkeypatch.setattr(SharedEventExecution, "build", classmethod(counted_build))
    monkeypatch.setattr(IsAuthenticated, "has_permission", counted_permission)
    family = await _family(factory)
    sibling = await factory.student(family.kit, "5A", "sibling", guardians=[family.parent])
    socket = await open_socket(server_url, factory.client(family.parent).token)
    await socket.start(EVENTS, studentId=gid(family.child, "Student"))
    await asyncio.sleep(0.2)  # its first run has read and parked
    assert built == ["built"]
    assert admitted == ["diaryEvents"]
    teacher = factory.client(family.teacher).token
    for n in range(3):
        await grade_over_http(address(server_url), teacher, sibling, family.lesson, f"not followed {n}")
        await grade_over_http(address(server_url), teacher, family.child, family.lesson, f"followed {n}")
        assert await comment_of(socket) == f"followed {n}"
    assert built == ["built"], "a woken run built its executor again"
    assert admitted == ["diaryEvents"], "a woken run resolved its field again"
    await socket.ws.close()


class _Told(Exception):
    pass


def _recording(name: str, seen: list[str], suppress: bool = False, fail_on: str = "") -> type[SchemaExtension]:
    class Recording(SchemaExtension):
        def on_operation(self) -> Iterator[None]:
            if fail_on == "enter":
                raise _Told(name)
            seen.append(f"{name} in")
            try:
                yield
            except _Told as exc:
                seen.append(f"{name} saw {exc}")
                if not suppress:
                    raise
            else:
                seen.append(f"{name} out")
            if fail_on == "exit":
                raise _Told(f"{name}'s own")

    return Recording


async def _operation(*extensions: type[SchemaExtension], raising: str = "") -> None:
    runner = CachedHooksRunner(None, [e() for e in extensions])  # type: ignore[arg-type]
    async with runner.operation():
        if raising:
            raise _Told(raising)


async def test_a_woken_runs_hooks_enter_in_order_and_leave_in_reverse_as_an_exit_stack() -> None:
    """A resumed run's stages (``schema.CachedHooksRunner``, entered without Strawberry's exit stack) keep
    the context-manager semantics the extensions were written for: first in, last out; an error
    in the stage reaches every hook, one hook may suppress it (the hooks entered before it then
    see none), an error a hook raises replaces it, and a hook that fails on entry leaves the
    hooks entered before it."""
    seen: list[str] = []
    await _operation(_recording("a", seen), _recording("b", seen))
    assert seen == ["a in", "b in", "b out", "a out"]

    seen.clear()
    with pytest.raises(_Told, match="boom"):
        await _operation(_recording("a", seen), _recording("b", seen), raising="boom")
    assert seen == ["a in", "b in", "b saw boom", "a saw boom"]

    seen.clear()
    await _operation(_recording("a", seen), _recording("b", seen, suppress=True), raising="boom")
    assert seen == ["a in", "b in", "b saw boom", "a out"]

    seen.clear()
    with pytest.raises(_Told, match="b's own"):
        await _operation(_recording("a", seen), _recording("b", seen, suppress=True, fail_on="exit"), raising="boom")
    assert seen == ["a in", "b in", "b saw boom", "a saw b's own"]

    seen.clear()
    with pytest.raises(_Told, match=r"^b$"):
        await _operation(_recording("a", seen), _recording("b", seen, fail_on="enter"), _recording("c", seen))
    assert seen == ["a in", "a saw b"]


NAMED = """
subscription Named($studentId: ID) { diaryEvents(studentId: $studentId) { grade { comment } student { id } } }
"""


async def test_the_rows_an_event_names_become_models_only_if_its_payload_asks_for_them(
    server_url: str, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stream reads the grade and the student an event names with the event, and primes the
    payload's loaders with them; each becomes a model only when the payload asks for it
    (``Loaders.prime_later``: making models was a tenth of a delivery's CPU, issue 15)."""
    made: list[str] = []
    hydrate = core.hydrate

    # the stream's models only: the write's request makes some with ``hydrate`` too, its
    # account and roles (``sessions.admit``), its lesson and school (``policy.grading``), and on
    # PostgreSQL the grades and events it wrote (``grades.write_grades``)
    writes = {sessions.admit.__code__, policy.grading.__code__, grade_writes.write_grades.__code__}

    def counted(model: Any, row: dict[str, Any], prefix: str = "") -> Any:
        frame: FrameType | None = sys._getframe(1)
        while frame is not None and frame.f_code not in writes:
            frame = frame.f_back
        if frame is None:
            made.append(model.__name__)
        return hydrate(model, row, prefix)

    monkeypatch.setattr(core, "hydrate", counted)
    family = await _family(factory)
    parent = factory.client(family.parent)
    grade_only = await open_socket(server_url, parent.token)
    await grade_only.start(EVENTS, studentId=gid(family.child, "Student"))
    await grade_only.nothing()
    made.clear()
    await grade_over_http(address(server_url), factory.client(family.teacher).token, family.child, family.lesson, "g")
    assert await comment_of(grade_only) == "g"
    assert sorted(made) == ["Grade", "OutboxEvent"]
    await grade_only.ws.close()

    both = await open_socket(server_url, parent.token)
    await both.start(NAMED, studentId=gid(family.child, "Student"))
    await both.nothing()
    made.clear()
    await grade_over_http(address(server_url), factory.client(family.teacher).token, family.child, family.lesson, "s")
    message = await both.next()
    assert message["payload"]["data"]["diaryEvents"] == {
        "grade": {"comment": "s"},
        "student": {"id": gid(family.child, "Student")},
    }
    assert sorted(made) == ["Grade", "OutboxEvent", "Student"]
    await both.ws.close()
