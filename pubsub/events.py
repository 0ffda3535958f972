"""Event messages on the wire: ids only, never personal data.

A subscriber reloads the event's objects through fresh loaders and re-checks the policy."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from pubsub.topics import class_topic, student_topic


class EventKind(StrEnum):
    """What happened in a diary: the ``kind`` of an outbox row and of its message.

    The one list of diary event kinds. The GraphQL enum ``DiaryEventKind`` is this enum, and the
    notifier decides for each member what it tells families (tests/notices/test_event_kinds.py)."""

    GRADE_ADDED = "GRADE_ADDED"
    GRADE_CHANGED = "GRADE_CHANGED"
    GRADE_REMOVED = "GRADE_REMOVED"
    ATTENDANCE_MARKED = "ATTENDANCE_MARKED"
    HOMEWORK_ASSIGNED = "HOMEWORK_ASSIGNED"
    HOMEWORK_CHANGED = "HOMEWORK_CHANGED"
    HOMEWORK_REMOVED = "HOMEWORK_REMOVED"
    REMARK_ADDED = "REMARK_ADDED"
    TERM_GRADE_SET = "TERM_GRADE_SET"
    LESSON_CANCELLED = "LESSON_CANCELLED"
    LESSON_RESTORED = "LESSON_RESTORED"
    LESSON_SUBSTITUTED = "LESSON_SUBSTITUTED"


@dataclass(frozen=True)
class EventMessage:
    event_id: int
    kind: str


def batch_messages(rows: Sequence[tuple[int, str, int, int | None]]) -> list[tuple[str, str]]:
    """The messages announcing events ``(event id, kind, student id, class id)`` written together:
    one per student topic, and one per class topic carrying the class's newest event.

    A message only wakes a subscriber, which then re-reads the outbox after its cursor, so
    a class's followers need one wake-up for the whole batch, not one per student."""
    messages = [(student_topic(student_id), encode(event_id, kind)) for event_id, kind, student_id, _c in rows]
    newest: dict[int, tuple[int, str]] = {}
    for event_id, kind, _s, class_id in rows:
        if class_id is not None and event_id >= newest.get(class_id, (0, ""))[0]:
            newest[class_id] = (event_id, kind)
    messages.extend((class_topic(c), encode(event_id, kind)) for c, (event_id, kind) in newest.items())
    return messages


def encode(event_id: int, kind: str) -> str:
    """A message announcing event ``event_id`` of ``kind``."""
    return json.dumps({"id": event_id, "kind": kind}, separators=(",", ":"))


def decode(message: str) -> EventMessage | None:
    try:
        data = json.loads(message)
        return EventMessage(int(data["id"]), str(data["kind"]))
    except (ValueError, KeyError, TypeError):
        return None


# A wake-up that announces no event in particular: the subscriber reads its outbox past its
# cursor (a catch-up after the broker may have lost messages: ``resolvers/catchup.py``).
WAKE_UP = encode(0, "WAKE_UP")
