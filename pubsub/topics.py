"""Topic names. Build them only here, never with ad-hoc f-strings elsewhere."""

from __future__ import annotations

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
