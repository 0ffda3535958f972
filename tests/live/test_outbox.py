"""The one outbox API (``resolvers/outbox.py``): a write records its events in its own
transaction and gets them back with their ids; publishing marks them published. Every write
goes through it."""

from __future__ import annotations

from typing import Any

from tortoise.transactions import in_transaction

import models
from pubsub.events import EventKind
from resolvers import outbox
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
        rows = await outbox.record([event(anna), event(boris)])  # several rows: one INSERT, read back
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
    assert "resolvers/grades.py" in inserting("Grade")  # the scan sees inserts
    assert inserting("OutboxEvent") | inserting("ChatEvent") <= {"resolvers/outbox.py"}
