"""Event messages on the wire: ids only, never personal data.

A subscriber reloads the event's objects through fresh loaders and re-checks the policy."""

from __future__ import annotations

import json
from dataclasses import dataclass

from pubsub.topics import student_topic

GRADE_ADDED = "GRADE_ADDED"
GRADE_CHANGED = "GRADE_CHANGED"
GRADE_REMOVED = "GRADE_REMOVED"
ATTENDANCE_MARKED = "ATTENDANCE_MARKED"
HOMEWORK_ASSIGNED = "HOMEWORK_ASSIGNED"


@dataclass(frozen=True)
class EventMessage:
    event_id: int
    kind: str


def topic_for(student_id: int) -> str:
    return student_topic(student_id)


def encode(event_id: int, kind: str) -> str:
    return json.dumps({"id": event_id, "kind": kind}, separators=(",", ":"))


def decode(message: str) -> EventMessage | None:
    try:
        data = json.loads(message)
        return EventMessage(int(data["id"]), str(data["kind"]))
    except (ValueError, KeyError, TypeError):
        return None
