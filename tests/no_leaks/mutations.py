"""The probed mutations: each one's target kind, the world's rows it names, its input, and
who may do it (``may``), read from the oracle and the README's words. The order matters for
``probe_allowed_writes``: a change comes before the removal of what it changes, and
``passwordReset`` (which logs its target out until they choose a password) comes last."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import models
from resolvers.core import from_global_id, to_global_id
from tests.no_leaks.oracle import Allowed, current
from tests.no_leaks.world import World


@dataclass
class Write:
    """One mutation, the objects it names, and who may do it (``may``), from the oracle."""

    name: str
    kind: str  # the Node type of its target
    rows: Callable[[World], list[Any]]
    input: Callable[[str, World, int], str]  # (target's global id, world, viewer) -> the input's fields
    may: Callable[[World, int, Allowed, Any], bool]
    # whether the viewer may know the target exists (default: they see it); a refusal of a
    # known target may say why, one of an unknown target must read as for a missing id
    known: Callable[[Allowed, Any], bool] | None = None
    # who tries it in the refused pass (default: every viewer)
    by: Callable[[World, int], bool] | None = None


def taught_pairs(world: World, uid: int) -> set[tuple[int, int]]:
    return {(a.school_class_id, a.subject_id) for a in world.assignments if a.teacher_id == uid}


def _lesson_for(world: World, uid: int) -> int:
    """A lesson the viewer gives, if any (else the first): where they would grade."""
    return next((x.id for x in world.lessons if x.teacher_id == uid), world.lessons[0].id)


def _can_grade(world: World, uid: int, allowed: Allowed, student: Any) -> bool:
    """The teacher giving the lesson, or one assigned to its class + subject who sees the
    student, grades a student enrolled in its class on its date."""
    lesson = next(x for x in world.lessons if x.id == _lesson_for(world, uid))
    if lesson.school_class_id not in current(world, student.id, lesson.date):
        return False
    assigned = (lesson.school_class_id, lesson.subject_id) in taught_pairs(world, uid)
    return lesson.teacher_id == uid or (assigned and student.id in allowed["Student"])


def _lesson_pair(world: World, lesson_id: int) -> tuple[int, int]:
    lesson = next(x for x in world.lessons if x.id == lesson_id)
    return lesson.school_class_id, lesson.subject_id


def _parent(world: World, uid: int, student_id: int) -> bool:
    return any(
        g.guardian_id == uid and g.student_id == student_id and g.revoked_at is None for g in world.guardianships
    )


def _live_member(world: World, uid: int, chat_id: int) -> Any:
    """The viewer's standing membership of a chat that is not deleted, if any."""
    if any(c.id == chat_id and c.deleted_at is not None for c in world.chats):
        return None
    return next((m for m in world.members if m.chat_id == chat_id and m.user_id == uid and m.removed_at is None), None)


def _chat_admin(world: World, uid: int, chat_id: int) -> bool:
    member = _live_member(world, uid, chat_id)
    return member is not None and member.is_admin


def _others(world: World, uid: int, chat_id: int) -> list[int]:
    """The chat's other standing members."""
    return [m.user_id for m in world.members if m.chat_id == chat_id and m.removed_at is None and m.user_id != uid]


def _member_to_remove(target: str, world: World, uid: int) -> str:
    """Another standing member of the target chat (the viewer themself when there is none)."""
    found = from_global_id(json.loads(target))
    others = _others(world, uid, found[1]) if found else []
    return json.dumps(to_global_id("User", others[0] if others else uid))


def _may_leave(world: World, uid: int, chat_id: int) -> bool:
    """A member leaves, unless they are its last admin and others stay (they name an heir)."""
    member = _live_member(world, uid, chat_id)
    if member is None:
        return False
    others = [m for m in world.members if m.chat_id == chat_id and m.removed_at is None and m.user_id != uid]
    return not (member.is_admin and others and not any(m.is_admin for m in others))


def _manages_announcement(world: World, uid: int, allowed: Allowed, row: Any) -> bool:
    return row.deleted_at is None and (
        row.author_id == uid
        or row.school_id in allowed.admin_schools
        or any(c.id == row.school_class_id and c.homeroom_teacher_id == uid for c in world.classes)
    )


def _edits_grade(world: World, uid: int, allowed: Allowed, row: Any) -> bool:
    return (
        row.deleted_at is None
        and (row.school_class_id, row.subject_id) in taught_pairs(world, uid)
        and row.student_id in allowed["Student"]
    )


def _edits_homework(world: World, uid: int, allowed: Allowed, row: Any) -> bool:
    return row.deleted_at is None and (
        row.assigned_by_id == uid or _lesson_pair(world, row.lesson_id) in taught_pairs(world, uid)
    )


def _message_chat(world: World, uid: int, row: Any) -> bool:
    return _live_member(world, uid, row.chat_id) is not None


WRITES = [
    Write(
        "gradeCreate",
        "Student",
        lambda w: w.students,
        lambda g, w, uid: (
            f'studentId: {g}, lessonId: {json.dumps(to_global_id("Lesson", _lesson_for(w, uid)))}, value: "5"'
        ),
        _can_grade,
    ),
    Write(
        "gradeUpdate",
        "Grade",
        lambda w: w.grades,
        lambda g, w, uid: f'gradeId: {g}, value: "3", reason: "probe"',
        _edits_grade,
    ),
    Write(
        "gradeDelete",
        "Grade",
        lambda w: w.grades,
        lambda g, w, uid: f'gradeId: {g}, reason: "probe"',
        _edits_grade,
    ),
    Write(
        "homeworkUpdate",
        "Homework",
        lambda w: [h for h in w.homework if h.deleted_at is None],
        lambda g, w, uid: f'homeworkId: {g}, text: "probe"',
        _edits_homework,
    ),
    Write(
        "homeworkDelete",
        "Homework",
        lambda w: [h for h in w.homework if h.deleted_at is None],
        lambda g, w, uid: f"homeworkId: {g}",
        _edits_homework,
    ),
    Write(
        "remarkAcknowledge",
        "Remark",
        lambda w: w.remarks,
        lambda g, w, uid: f"remarkId: {g}",
        lambda w, uid, a, r: (
            r.student_id in a.children or any(s.user_id == uid for s in w.students if s.id == r.student_id)
        ),
    ),
    Write(
        "absenceNoticeDelete",
        "AbsenceNotice",
        lambda w: w.notices,
        lambda g, w, uid: f"noticeId: {g}",
        lambda w, uid, a, r: _parent(w, uid, r.student_id),
    ),
    Write(
        "messageSend",
        "Chat",
        lambda w: w.chats,
        lambda g, w, uid: f'chatId: {g}, text: "probe"',
        lambda w, uid, a, r: _live_member(w, uid, r.id) is not None,
    ),
    Write(
        "messageEdit",
        "ChatMessage",
        lambda w: w.messages,
        lambda g, w, uid: f'messageId: {g}, text: "probe edit"',
        lambda w, uid, a, r: _message_chat(w, uid, r) and r.author_id == uid and r.deleted_at is None,
    ),
    Write(
        "chatMarkRead",
        "Chat",
        lambda w: w.chats,
        lambda g, w, uid: f"chatId: {g}",
        lambda w, uid, a, r: _live_member(w, uid, r.id) is not None,
    ),
    Write(
        "chatRename",
        "Chat",
        lambda w: w.chats,
        lambda g, w, uid: f'chatId: {g}, title: "probe"',
        lambda w, uid, a, r: _chat_admin(w, uid, r.id),
    ),
    Write(
        "messageDelete",
        "ChatMessage",
        lambda w: w.messages,
        lambda g, w, uid: f"messageId: {g}",
        lambda w, uid, a, r: _message_chat(w, uid, r) and (r.author_id == uid or _chat_admin(w, uid, r.chat_id)),
    ),
    Write(
        "chatMemberRemove",
        "Chat",
        lambda w: w.chats,
        lambda g, w, uid: f"chatId: {g}, userId: {_member_to_remove(g, w, uid)}",
        lambda w, uid, a, r: _chat_admin(w, uid, r.id) and bool(_others(w, uid, r.id)),
    ),
    Write(
        "chatLeave",
        "Chat",
        lambda w: w.chats,
        lambda g, w, uid: f"chatId: {g}",
        lambda w, uid, a, r: _may_leave(w, uid, r.id),
    ),
    Write(
        "chatDelete",
        "Chat",
        lambda w: w.chats,
        lambda g, w, uid: f"chatId: {g}",
        lambda w, uid, a, r: (
            _chat_admin(w, uid, r.id) or (_live_member(w, uid, r.id) is not None and r.created_by_id == uid)
        ),
    ),
    Write(
        "announcementUpdate",
        "Announcement",
        lambda w: w.announcements,
        lambda g, w, uid: f'announcementId: {g}, title: "probe"',
        _manages_announcement,
    ),
    Write(
        "announcementDelete",
        "Announcement",
        lambda w: w.announcements,
        lambda g, w, uid: f"announcementId: {g}",
        _manages_announcement,
    ),
    Write(
        "meetingRespond",
        "Meeting",
        lambda w: w.meetings,
        lambda g, w, uid: f"meetingId: {g}, answer: ATTENDING",
        lambda w, uid, a, r: r.cancelled_at is None and any(w.invited[r.id] & current(w, s) for s in a.children),
    ),
    Write(
        "meetingCancel",
        "Meeting",
        lambda w: w.meetings,
        lambda g, w, uid: f"meetingId: {g}",
        lambda w, uid, a, r: r.organiser_id == uid or r.school_id in a.admin_schools,
    ),
    Write(
        "accessRequestRefuse",
        "AccessRequest",
        lambda w: w.access_requests,
        lambda g, w, uid: f'requestId: {g}, reason: DOCUMENTS_INVALID, comment: "probe"',
        lambda w, uid, a, r: r.school_id in a.admin_schools and r.status == models.AccessRequestStatus.SUBMITTED,
    ),
    Write(
        "accessRequestWithdraw",
        "AccessRequest",
        lambda w: w.access_requests,
        lambda g, w, uid: f"requestId: {g}",
        lambda w, uid, a, r: r.applicant_id == uid and r.status == models.AccessRequestStatus.SUBMITTED,
    ),
    Write(
        "accountDeactivate",
        "User",
        lambda w: w.users,
        lambda g, w, uid: f'userId: {g}, reason: "probe"',
        lambda w, uid, a, r: r.id in a.accounts and r.id != uid and r.is_active,
        lambda a, r: r.id in a.accounts | a["User"],
    ),
    Write(
        "accountReactivate",
        "User",
        lambda w: w.users,
        lambda g, w, uid: f"userId: {g}",
        lambda w, uid, a, r: r.id in a.accounts and r.id != uid and not r.is_active,
        lambda a, r: r.id in a.accounts | a["User"],
    ),
    Write(
        "passwordReset",
        "User",
        lambda w: w.users,
        lambda g, w, uid: f"userId: {g}",
        lambda w, uid, a, r: r.id in a.accounts and r.id != uid and r.is_active,
        lambda a, r: r.id in a.accounts | a["User"],
    ),
]
