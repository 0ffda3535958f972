"""Event messages on the wire: ids only, never personal data.

A subscriber reloads the event's objects through fresh loaders and re-checks the policy."""

from __future__ import annotations

import json
from dataclasses import dataclass

from pubsub.topics import class_topic, student_topic

GRADE_ADDED = "GRADE_ADDED"
GRADE_CHANGED = "GRADE_CHANGED"
GRADE_REMOVED = "GRADE_REMOVED"
ATTENDANCE_MARKED = "ATTENDANCE_MARKED"
HOMEWORK_ASSIGNED = "HOMEWORK_ASSIGNED"


@dataclass(frozen=True)
class EventMessage:
    event_id: int
    kind: str


def topics_for(student_id: int, class_id: int | None) -> list[str]:
    """Where an event about a student (in a class) is announced: the student's topic for the
    family, the class's topic for its teachers."""
    topics = [student_topic(student_id)]
    if class_id is not None:
        topics.append(class_topic(class_id))
    return topics


def encode(event_id: int, kind: str) -> str:
    return json.dumps({"id": event_id, "kind": kind}, separators=(",", ":"))


def decode(message: str) -> EventMessage | None:
    try:
        data = json.loads(message)
        return EventMessage(int(data["id"]), str(data["kind"]))
    except (ValueError, KeyError, TypeError):
        return None
