"""The one outbox API (``resolvers/outbox.py``): a write records its events in its own
transaction and gets them back with their ids; publishing hands them to the broker, and the
process's marker marks them published. Every write goes through it."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from tortoise.transactions import in_transaction

import models
from pubsub.broker import EventKind, student_topic
from resolvers import core, outbox
from tests.conftest import StatementCounter
from tests.factories import Factory
from tests.sources import inserting


async def test_a_write_gets_back_the_events_it_recorded(factory: Factory, app: Any) -> None:
    kit = await factory.school(classes=("5A",))
    anna, boris = await factory.student(kit, "5A", "anna"), await factory.student(kit, "5A", "boris")
    klass = kit.classes["5A"]

    def event(student: models.Student) -> models.OutboxEvent:
        return models.OutboxEvent(kind=EventKind.LESSON_CANCELLED, student_id=student.id, school_class_id=klass.id)

    async with in_transaction():
        (earlier,) = await outbox.record([event(anna)])  # one row: its own INSERT
    # The earlier write's publish failed: its row, equal to one of the next, waits for the relay.
    async with in_transaction():
        rows = await outbox.record([event(anna), event(boris)])  # several rows: one INSERT ... RETURNING
    assert [r.student_id for r in rows] == [anna.id, boris.id]
    assert earlier.id < rows[0].id < rows[1].id
    stored = await models.OutboxEvent.filter(student_id__in=[anna.id, boris.id]).order_by("id")
    assert [(r.id, r.student_id, r.published_at) for r in stored] == [
        (earlier.id, anna.id, None),
        (rows[0].id, anna.id, None),
        (rows[1].id, boris.id, None),
    ]

    assert await outbox.publish(app.state.broker, rows) == 2
    await outbox.settle()
    assert await models.OutboxEvent.filter(id__in=[r.id for r in rows], published_at__isnull=True).count() == 0
    assert await outbox.publish(app.state.broker, [earlier]) == 1


async def test_a_process_without_a_relay_marks_what_it_published(
    factory: Factory, app: Any, count_statements: StatementCounter, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``publish`` hands a write's events to the broker and returns without a statement of its
    own (the write waits for nothing after its commit); its process marks them published moments
    later on its own: no relay runs here (the suite's app has no lifespan) and nothing waits for
    the marker. Once marked, a relay does not send them again."""
    kit = await factory.school(classes=("5A",))
    anna, boris = await factory.student(kit, "5A", "anna"), await factory.student(kit, "5A", "boris")
    klass = kit.classes["5A"]
    async with in_transaction():
        rows = await outbox.record(
            [
                models.OutboxEvent(kind=EventKind.LESSON_CANCELLED, student_id=s.id, school_class_id=klass.id)
                for s in (anna, boris)
            ]
        )
    broker = app.state.broker
    count_statements.statements.clear()
    assert await outbox.publish(broker, rows) == 2
    assert count_statements.statements == []  # the marker's UPDATE is not the write's
    unpublished = models.OutboxEvent.filter(id__in=[r.id for r in rows], published_at__isnull=True)
    for _ in range(200):
        if not await unpublished.count():
            break
        await asyncio.sleep(0.01)
    assert await unpublished.count() == 0
    sent = _topics_sent(broker, monkeypatch)
    await outbox.relay_pending(broker, older_than=timedelta(0))
    assert not {student_topic(anna.id), student_topic(boris.id)} & set(sent), sent


def test_one_module_writes_outbox_rows() -> None:
    assert "resolvers/grades.py" in inserting("Grade")  # the scan sees inserts (core.insert there)
    assert "resolvers/grade_changes.py" not in inserting("Grade")
    assert inserting("OutboxEvent") | inserting("ChatEvent") <= {"resolvers/outbox.py"}


async def test_a_large_write_is_split_and_keeps_every_row_in_order(
    factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``core.insert`` splits a write of more values than a statement takes (here 3 rows a
    statement): every row is written once, each with its own id, in the order given."""
    kit = await factory.school(classes=("5A",))
    students = [await factory.student(kit, "5A", f"pupil{n}") for n in range(7)]
    columns = len([f for f in models.OutboxEvent._meta.fields_db_projection if f != "id"])
    monkeypatch.setattr(core, "MAX_VALUES", 3 * columns)
    rows = [
        models.OutboxEvent(kind=EventKind.LESSON_CANCELLED, student_id=s.id, school_class_id=kit.classes["5A"].id)
        for s in students
    ]
    async with in_transaction():
        recorded = await outbox.record(rows)
    assert [r.student_id for r in recorded] == [s.id for s in students]
    assert [r.id for r in recorded] == sorted({r.id for r in recorded})
    stored = await models.OutboxEvent.filter(student_id__in=[s.id for s in students]).order_by("id")
    assert [(r.id, r.student_id) for r in stored] == [(r.id, r.student_id) for r in recorded]


async def test_events_the_marker_failed_to_mark_are_left_to_the_relay(
    factory: Factory, app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failed mark (the database briefly unreachable) leaves the events unpublished, and the
    process's own relay then sends and marks them: nothing stays queued behind a failure."""
    kit = await factory.school(classes=("5A",))
    anna = await factory.student(kit, "5A", "anna")
    klass = kit.classes["5A"]
    event = models.OutboxEvent(kind=EventKind.LESSON_CANCELLED, student_id=anna.id, school_class_id=klass.id)
    async with in_transaction():
        rows = await outbox.record([event])
    mark = outbox._mark

    async def unreachable(ids: Any) -> None:
        raise ConnectionError("the database is unreachable")

    monkeypatch.setattr(outbox, "_mark", unreachable)
    broker = app.state.broker
    assert await outbox.publish(broker, rows) == 1
    await outbox.settle()
    unpublished = models.OutboxEvent.filter(id=rows[0].id, published_at__isnull=True)
    assert await unpublished.count() == 1
    monkeypatch.setattr(outbox, "_mark", mark)
    sent = _topics_sent(broker, monkeypatch)
    assert await outbox.relay_pending(broker, older_than=timedelta(0)) >= 1
    assert student_topic(anna.id) in sent
    assert await unpublished.count() == 0


def _topics_sent(broker: Any, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The topics ``broker`` is asked to publish on from now on (and publishes on, as before)."""
    sent: list[str] = []
    publish_many = broker.publish_many

    async def spy(messages: Any) -> None:
        sent.extend(topic for topic, _message in messages)
        await publish_many(messages)

    monkeypatch.setattr(broker, "publish_many", spy)
    return sent
