"""What goes on the wire: the topics (their names are built only here, never with ad-hoc
f-strings elsewhere) and the event messages, ids only, never personal data.

A subscriber reloads the event's objects through fresh loaders and re-checks the policy."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

PREFIX = "ediary"


def student_topic(student_id: int) -> str:
    """Diary events of one student (grades, attendance, homework)."""
    return f"{PREFIX}:student:{student_id}"


def class_topic(class_id: int) -> str:
    """Events of a whole class (homework, lessons) for its teachers."""
    return f"{PREFIX}:class:{class_id}"


def user_topic(user_id: int) -> str:
    """A user's own inbox: a wake-up for each new notification."""
    return f"{PREFIX}:user:{user_id}"


def user_chats_topic(user_id: int) -> str:
    """Chat events of every chat one user is in (one topic per person, not per chat: a
    subscriber need not resubscribe when they join or leave a chat)."""
    return f"{PREFIX}:chats:user:{user_id}"


def sessions_ended_topic() -> str:
    """Ids of sessions that just ended (logout, revoked, password changed or reset, account
    deactivated): every process closes their sockets (``resolvers/sessions.py``)."""
    return f"{PREFIX}:sessions:ended"


class EventKind(StrEnum):
    """What happened in a diary: the ``kind`` of an outbox row and of its message.

    The one declaration of each diary event kind, with all that is said of it: its
    description (the GraphQL enum ``DiaryEventKind`` is this enum, ``schema/subscription.py``)
    and what it tells the child's family (``notify``: the name of the notification category
    it notifies in, ``models.NotificationCategory``, read by ``resolvers/notifier.py``; ``None``
    for a kind that notifies nobody). tests/notices/test_event_kinds.py holds the rest to it."""

    description: str
    notify: str | None

    def __new__(cls, value: str, description: str, notify: str | None = None) -> EventKind:
        member = str.__new__(cls, value)
        member._value_ = value
        member.description = description
        member.notify = notify
        return member

    GRADE_ADDED = ("GRADE_ADDED", "A grade was given.", "GRADES")
    GRADE_CHANGED = ("GRADE_CHANGED", "A grade was corrected.", "GRADES")
    GRADE_REMOVED = ("GRADE_REMOVED", "A grade was removed.", None)
    ATTENDANCE_MARKED = ("ATTENDANCE_MARKED", "Attendance was marked.", "ABSENCES")
    HOMEWORK_ASSIGNED = ("HOMEWORK_ASSIGNED", "Homework was assigned.", "HOMEWORK")
    HOMEWORK_CHANGED = ("HOMEWORK_CHANGED", "Homework was changed or moved.", None)
    HOMEWORK_REMOVED = ("HOMEWORK_REMOVED", "Homework was removed: drop it (`homework.removed` is true).", None)
    REMARK_ADDED = ("REMARK_ADDED", "A teacher wrote a remark.", "REMARKS")
    TERM_GRADE_SET = ("TERM_GRADE_SET", "A final grade for a term or the year was set or changed.", "GRADES")
    LESSON_CANCELLED = ("LESSON_CANCELLED", "The school cancelled a lesson (`lesson.cancelReason` says why).", None)
    LESSON_RESTORED = ("LESSON_RESTORED", "A cancelled lesson takes place after all.", None)
    LESSON_SUBSTITUTED = ("LESSON_SUBSTITUTED", "Another teacher gives a lesson, or the planned one again.", None)
    LESSON_TOPIC_SET = ("LESSON_TOPIC_SET", "A lesson's topic was set or changed (`lesson.topic`).", None)
    ASSESSMENT_PLANNED = (
        "ASSESSMENT_PLANNED",
        "A teacher announced an assessment (a test, a control work...) for a lesson (`lesson.assessment`).",
        None,
    )
    ASSESSMENT_CHANGED = ("ASSESSMENT_CHANGED", "An announced assessment's kind or description changed.", None)
    ASSESSMENT_CANCELLED = (
        "ASSESSMENT_CANCELLED",
        "An announced assessment was called off: drop it (`lesson.assessment` is null).",
        None,
    )
    SUBMISSION_HANDED_IN = (
        "SUBMISSION_HANDED_IN",
        "A student handed work in for homework, or handed it in again (`submission.status`: SUBMITTED or LATE).",
        None,
    )
    SUBMISSION_RETURNED = (
        "SUBMISSION_RETURNED",
        "A teacher returned handed-in work with a comment (`submission.returnComment`): it can be handed in again.",
        "HOMEWORK",
    )
    SUBMISSION_GRADED = (
        "SUBMISSION_GRADED",
        "A teacher graded handed-in work (`submission.grade`; the grade also comes as its own GRADE_ADDED).",
        None,
    )


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
