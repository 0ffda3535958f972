"""The one outbox API (``resolvers/outbox.py``): a write records its events in its own
transaction and gets them back with their ids; publishing marks them published. Every write
goes through it."""

from __future__ import annotations

from typing import Any

import pytest
from tortoise.transactions import in_transaction

import models
from pubsub.broker import EventKind
from resolvers import core, outbox
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
    assert await models.OutboxEvent.filter(id__in=[r.id for r in rows], published_at__isnull=True).count() == 0
    assert await outbox.publish(app.state.broker, [earlier]) == 1


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
