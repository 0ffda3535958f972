"""More probed mutations, those that name other people or their inbox: a chat started with
someone, someone added to a chat, someone else's notification marked read. Same shape as
tests/no_leaks/mutations.py."""

from __future__ import annotations

import json
from typing import Any

from resolvers.core import from_global_id, to_global_id
from tests.no_leaks.mutations import Write
from tests.no_leaks.oracle import Allowed, oracle, reachable
from tests.no_leaks.reads import MISSING
from tests.no_leaks.world import World


def school_people(world: World, school_id: int) -> set[int]:
    """Everyone of one school (whom its chats may hold): its teachers and admins, its students
    with a login, and the guardians (standing) of its students."""
    students = {s.id: s for s in world.students if s.school_id == school_id}
    staff = {u for u, s in [*world.teacher_school.items(), *world.school_admin.items()] if s == school_id}
    logins = {s.user_id for s in students.values() if s.user_id is not None}
    return staff | logins | {g.guardian_id for g in world.guardians() if g.student_id in students}


def _target(world: World, target: str) -> int | None:
    found = from_global_id(json.loads(target))
    return found[1] if found else None


def _chat_school(world: World, uid: int, target: str) -> int:
    """The school a new chat with the target is in: one the viewer sees and the target belongs
    to, else the first the viewer sees (the district's first when they see none)."""
    seen = sorted(oracle(world, uid)["School"])
    person = _target(world, target)
    fits = [s for s in seen if person in school_people(world, s)]
    return (fits or seen or [world.schools[0].id])[0]


def _chat_create(target: str, world: World, uid: int) -> str:
    school = json.dumps(to_global_id("School", _chat_school(world, uid, target)))
    return f'title: "probe", memberIds: [{target}], schoolId: {school}'


def _may_start(world: World, uid: int, allowed: Allowed, user: Any) -> bool:
    """Someone active the viewer reaches, of a school the viewer sees."""
    return (
        user.is_active
        and user.id in reachable(world, uid)
        and any(user.id in school_people(world, s) for s in allowed["School"])
    )


def _administered(world: World, uid: int) -> Any:
    """The first chat the viewer administers (a standing admin of a chat not deleted), if any."""
    heads = {m.chat_id for m in world.members if m.user_id == uid and m.removed_at is None and m.is_admin}
    return next((c for c in world.chats if c.deleted_at is None and c.id in heads), None)


def _chat_add(target: str, world: World, uid: int) -> str:
    """The target added to the chat the viewer administers (else to a chat that is not there)."""
    chat = _administered(world, uid)
    chat_id = json.dumps(to_global_id("Chat", chat.id if chat else MISSING))
    return f"chatId: {chat_id}, memberIds: [{target}]"


def _may_add(world: World, uid: int, allowed: Allowed, user: Any) -> bool:
    """Someone active the viewer reaches, of the school of a chat they administer; or the
    viewer themself, already in it (a no-op)."""
    chat = _administered(world, uid)
    return chat is not None and (
        user.id == uid
        or (user.is_active and user.id in reachable(world, uid) and user.id in school_people(world, chat.school_id))
    )


def _knows(allowed: Allowed, user: Any) -> bool:
    """A person the viewer sees (themself, staff of their schools): a refusal may say why,
    e.g. that they cannot chat with themself; anyone else reads as nobody."""
    return user.id in allowed["User"]


REACH_WRITES = [
    Write("chatCreate", "User", lambda w: w.users, _chat_create, _may_start, _knows),
    Write("chatMembersAdd", "User", lambda w: w.users, _chat_add, _may_add, _knows),
    Write(
        "notificationsMarkRead",
        "Notification",
        lambda w: w.notifications,
        lambda g, w, uid: f"ids: [{g}]",
        lambda w, uid, a, r: r.id in a["Notification"],
    ),
]
