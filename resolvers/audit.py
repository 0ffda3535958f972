"""Writing the audit trail: every audit row is written here, and what a row may hold is
decided here. Call inside the transaction of the write it records, so that a write and its
audit entry commit (or roll back) together.

A row says who (the viewer, from their address), when, what (``action`` on ``obj`` with id
``obj_id``) and, in ``details``: ids, numbers, flags, codes and dates, names of fields, why
the write was made (the reason a person gave), and the names of what a school sets up (a
school, subject, class, term, room; an account's login). Never content people write for
each other: message text, chat titles, remark and homework text, announcement and meeting
texts, comments, absence reasons. Every detail key is declared in ``DETAILS`` with its kind;
a detail that is not declared, or does not fit its kind, is refused (``AuditDetailRefused``).

Every action is declared in ``ACTIONS`` with the detail keys it may record, and nothing else:
an undeclared action or key is refused. The rows of chats and messages (``PRIVATE``) hold ids,
counts and flags only: no text, no titles, not who the members are; an absence notice's rows
never hold its reason. A school's admins read these rows, and are not in the chats."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import Enum
from typing import Any

import models
from resolvers.sessions import Viewer


class AuditDetailRefused(ValueError):
    """A write tried to record a detail the audit trail may not hold: a bug in that write."""


class Kind(Enum):
    DATA = "ids, numbers, flags, and codes, dates and field names the server computes (one word each)"
    REASON = "why the write was made, in the words of the person who made it"
    NAME = "the name of something a school sets up (a subject, a term, a mark of its scale), or a login"
    CHANGE = "`before`/`after`: declared details again, one level down, or ids and numbers"


DATA, REASON, NAME, CHANGE = Kind.DATA, Kind.REASON, Kind.NAME, Kind.CHANGE
MAX_DATA_TEXT = 64  # a code, a date, a time zone: one word, never a sentence


def _declare(kind: Kind, keys: str) -> dict[str, Kind]:
    return dict.fromkeys(keys.split(), kind)


DETAILS: dict[str, Kind] = {
    # whom and what a write touched
    **_declare(
        DATA,
        """applicant assigned_in chat chats children class classes enrollment group guardian guardianship
        homeroom kept lesson meetings planned premarked student students subject teacher unmarked""",
    ),
    # numbers, flags, codes and field names; a roster import counts by roster kind
    **_declare(
        DATA,
        """answer audience cancelled category channel channels created current default_grade_weight deleted ended
        fields handedOver items kind kind_weights length lessons lessonsRetimed marks memberCount mustChangePassword
        files oneTimePasswordReplaced ownMessage pass_mark period pinned quietEnd quietStart recoveryCodesLeft relation
        removed replaced restored role secondFactor session
        rounding_threshold scale_kind scale_max scale_min sessionsEnded timezone updated variant via weekday weight""",
    ),
    **_declare(DATA, " ".join(kind.value for kind in models.RosterKind)),
    # the name of an identity provider as the server's settings spell it (``OIDC_PROVIDERS``)
    **_declare(DATA, "provider"),
    # when
    **_declare(
        DATA,
        "birthDate date days deactivatedAt end ends_at lastDay revokedAt start startsAt starts_at validFrom validTo",
    ),
    # a thematic plan import: the term, how many topics, how many did not fit (never a topic's text)
    **_declare(DATA, "term topics unplaced untopiced"),
    # a hand-in: the homework, the grade given for it, its status, attempt and whether it was late
    **_declare(DATA, "homework grade status attempt late"),
    # the hour of the day a user chose for reminders
    **_declare(DATA, "reminderHour"),
    # a password recovery's failed tries so far
    **_declare(DATA, "attempts"),
    **_declare(REASON, "reason cancelReason lastError"),
    # names; a grade's ``value``, ``from`` and ``to`` are marks of the school's scale (or ids, dates)
    **_declare(NAME, "name login fullName room year value from to scale_marks"),
    **_declare(CHANGE, "before after"),
}


def _keys(keys: str) -> frozenset[str]:
    return frozenset(keys.split())


_SETTINGS = "scale_kind scale_min scale_max scale_marks pass_mark rounding_threshold default_grade_weight kind_weights"
_PLAN = "created updated removed cancelled restored kept"
_SLOT = "class subject teacher weekday period room validFrom validTo group"

# What each action may record: every action written anywhere is here (tests/admin/test_audit.py).
ACTIONS: dict[str, frozenset[str]] = {
    # chats and messages: ids, counts and flags only (``PRIVATE``)
    "chat.create": _keys("memberCount"),
    "chat.rename": _keys(""),
    "chat.members_add": _keys("memberCount"),
    "chat.member_remove": _keys(""),
    "chat.leave": _keys("handedOver deleted"),
    "chat.delete": _keys(""),
    "message.send": _keys("chat length files"),
    "message.edit": _keys("chat"),
    "message.delete": _keys("chat ownMessage"),
    # families' writes: never an absence reason, a remark's or homework's text
    "absence_notice.create": _keys("student items premarked files"),
    "absence_notice.delete": _keys("days unmarked"),
    "remark.create": _keys("student kind lesson files"),
    "remark.acknowledge": _keys("student"),
    "access_request.submit": _keys("relation"),
    "access_request.approve": _keys("student guardianship applicant"),
    "access_request.refuse": _keys("reason"),
    "access_request.withdraw": _keys(""),
    "guardianship.revoke": _keys("guardian student category chats meetings"),
    "guardianship.restore": _keys("guardian student revokedAt chats"),
    "announcement.create": _keys("class audience files"),
    "announcement.update": _keys("fields audience pinned files"),
    "announcement.delete": _keys(""),
    "meeting.create": _keys("classes startsAt"),
    "meeting.update": _keys("fields starts_at ends_at"),
    "meeting.respond": _keys("answer"),
    "meeting.cancel": _keys(""),
    "notification_settings.set": _keys("channels quietStart quietEnd timezone reminderHour"),
    "notification_delivery.retry": _keys("channel lastError"),
    # push devices: their ids and kinds only, never an endpoint or a token
    "push_device.register": _keys("kind session replaced"),
    "push_device.unregister": _keys("kind session"),
    # a device removed to make room for a new one (``resolvers.push.MAX_DEVICES``)
    "push_device.evict": _keys("kind session"),
    # accounts and sessions
    "account.create": _keys("login role student children via"),
    "account.register": _keys("login"),
    "account.deactivate": _keys("reason sessionsEnded via"),
    "account.reactivate": _keys("deactivatedAt reason via"),
    "password.reset": _keys("sessionsEnded via"),
    "password.change": _keys("oneTimePasswordReplaced sessionsEnded"),
    # external identities (resolvers/identity.py): the provider's name, never the subject's claims
    "identity.login": _keys("provider secondFactor"),
    "identity.register": _keys("provider login"),
    "identity.link": _keys("provider"),
    "identity.unlink": _keys("provider"),
    "identity.preregister": _keys("provider"),
    "password.recovery_request": _keys("channel"),
    "password.recovery_fail": _keys("channel attempts"),
    "password.recover": _keys("channel sessionsEnded"),
    "session.login": _keys("mustChangePassword via"),
    "session.logout": _keys(""),
    "session.revoke": _keys("current"),
    # two-factor login: how it was proved ``via`` (TOTP or RECOVERY_CODE), never a secret or code
    "second_factor.enable": _keys("recoveryCodesLeft"),
    "second_factor.disable": _keys("via"),
    "second_factor.recovery_codes_regenerate": _keys("via recoveryCodesLeft"),
    "second_factor.recovery_code_use": _keys("recoveryCodesLeft"),
    "second_factor.reset": _keys("sessionsEnded"),
    # the journal
    "grade.create": _keys("student lesson value weight"),
    "grade.update": _keys("from to weight reason"),
    "grade.delete": _keys("value reason"),
    "term_grade.set": _keys("student period from to reason"),
    "attendance.mark": _keys("students marks"),
    "homework.assign": _keys("lesson assigned_in files"),
    "homework.update": _keys("before after fields"),
    "homework.delete": _keys("lesson"),
    # a hand-in: ids, its status, attempt and flags (never the work's text or a return comment)
    "submission.submit": _keys("homework student status attempt late files"),
    "submission.return": _keys("homework student status attempt"),
    "submission.grade": _keys("homework student status grade lesson value"),
    "lesson.cancel": _keys("reason"),
    "lesson.topic": _keys("fields"),
    "assessment.plan": _keys("lesson kind"),
    "assessment.update": _keys("lesson before after fields"),
    "assessment.cancel": _keys("lesson kind"),
    "lesson.plan_import": _keys("class subject term lessons topics unplaced untopiced"),
    "lesson.restore": _keys("cancelReason"),
    "lesson.substitute": _keys("teacher before planned reason"),
    # what a school sets up
    "school.create": _keys(f"name timezone {_SETTINGS}"),
    "school.update": _keys(f"name timezone {_SETTINGS}"),
    "subject.create": _keys("name"),
    "subject.update": _keys("name"),
    "subject.archive": _keys("name"),
    "class.create": _keys("name year homeroom"),
    "class.update": _keys("name homeroom"),
    "student.create": _keys("fullName birthDate"),
    "student.transfer": _keys("from to date enrollment"),
    "enrollment.create": _keys("student class from"),
    "enrollment.end": _keys("student class lastDay"),
    "group.create": _keys("name kind classes via"),
    "group.update": _keys("name"),
    "group.end": _keys("lastDay students lessons"),
    "group.move": _keys("students from to date via"),
    "teaching.assign": _keys("teacher class subject group"),
    "teaching.unassign": _keys("teacher class subject group"),
    "roster.import": frozenset(kind.value for kind in models.RosterKind),
    "academicYear.create": _keys("name start end"),
    "academicYear.update": _keys(f"before after {_PLAN}"),
    "term.create": _keys("year name start end"),
    "term.update": _keys("before after"),
    "term.delete": _keys("name start end"),
    "dayOff.create": _keys("kind name start end lessons"),
    "dayOff.update": _keys("before after lessons"),
    "dayOff.delete": _keys("kind name start end lessons"),
    "bellSchedule.set": _keys("variant before after lessonsRetimed"),
    "shortDay.create": _keys("date name lessonsRetimed"),
    "shortDay.delete": _keys("date name lessonsRetimed"),
    "timetableSlot.create": _keys(f"{_SLOT} lessons"),
    "timetableSlot.update": _keys("before after lessons"),
    "timetableSlot.delete": _keys(f"{_SLOT} ended lessons"),
}
# Actions whose rows a reader outside the chat sees: their values are ids, counts and flags.
PRIVATE = frozenset(action for action in ACTIONS if action.startswith(("chat.", "message.")))


def check(action: str, details: Mapping[str, Any]) -> None:
    """Raise ``AuditDetailRefused`` unless the action is declared, every detail is one it may
    record and fits its kind, and a chat's or message's details are ids, counts and flags."""
    allowed = ACTIONS.get(action)
    if allowed is None:
        raise AuditDetailRefused(f"{action!r} is not an action the audit trail records")
    for key, value in details.items():
        if key not in allowed:
            raise AuditDetailRefused(f"{action}: the audit trail does not record {key!r} for this action")
        if action in PRIVATE and not (value is None or isinstance(value, (bool, int))):
            raise AuditDetailRefused(f"{action}: {key!r} may hold only an id, a count or a flag")
        _check(action, key, value)


def _check(action: str, key: str, value: Any) -> None:
    kind = DETAILS.get(key)
    if kind is None:
        raise AuditDetailRefused(f"{action}: the audit trail does not record {key!r}")
    if isinstance(value, dict) and value and value.keys() <= {"from", "to"}:  # a change of ``key``
        for side in value.values():
            _check(action, key, side)
    elif kind is CHANGE and isinstance(value, dict):
        for inner, inner_value in value.items():
            _check(action, inner, inner_value)
    elif (kind is CHANGE and isinstance(value, str)) or not _scalars(
        value, text=kind in (REASON, NAME), nested=kind is not REASON
    ):
        raise AuditDetailRefused(f"{action}: {key!r} may hold only {kind.value}")


def _scalars(value: Any, *, text: bool, nested: bool) -> bool:
    """``value`` is a number, a flag, None or a string (any text, or else one short word), or
    with ``nested`` also a list or dict of those (keys one short word)."""
    if value is None or isinstance(value, (bool, int, float)):
        return True
    if isinstance(value, str):
        return text or _word(value)
    if nested and isinstance(value, (list, tuple)):
        return all(_scalars(v, text=text, nested=nested) for v in value)
    if nested and isinstance(value, dict):
        return all(_word(k) and _scalars(v, text=text, nested=nested) for k, v in value.items())
    return False


def _word(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= MAX_DATA_TEXT and not any(c.isspace() for c in value)


def entry(
    viewer: Viewer,
    action: str,
    obj: str,
    obj_id: int | None,
    details: dict[str, Any] | None = None,
    *,
    school_id: int | None = None,
) -> models.AuditEntry:
    """An unsaved entry, its details checked, for ``record_many``."""
    check(action, details or {})
    return models.AuditEntry(
        actor_id=viewer.user_id,
        school_id=school_id,
        action=action,
        object_type=obj,
        object_id=obj_id,
        details=details or {},
        address=viewer.address or None,
    )


async def record(
    viewer: Viewer,
    action: str,
    obj: str,
    obj_id: int | None,
    details: dict[str, Any] | None = None,
    *,
    school_id: int | None = None,
) -> models.AuditEntry:
    """Record one write: ``action`` is ``<noun>.<verb>`` (``term.create``), ``obj`` the model name."""
    row = entry(viewer, action, obj, obj_id, details, school_id=school_id)
    await row.save()
    return row


def insert_from(
    action: str, obj: str, source: str, obj_id: str, details: Mapping[str, str], *, actor: str, address: str, at: str
) -> str:
    """PostgreSQL: an INSERT, for a data-modifying CTE, of one entry per row of ``source`` (a
    CTE of the same statement, say the rows an ``INSERT ... RETURNING *`` wrote), for a write
    made in one statement. ``obj_id``, each detail's value (``details``: key to SQL), ``actor``,
    ``address`` and ``at`` are SQL over ``source`` or parameters. The action and the keys are
    checked here; the values, which only the rows hold, are the caller's to ``check`` before,
    row by row, as ``entry`` does."""
    check(action, dict.fromkeys(details))
    if any("'" in text for text in (action, obj, *details)):
        raise AuditDetailRefused(f"{action}: a quote in the action, the object or a key")
    built = ", ".join(f"'{key}', {value}" for key, value in details.items())
    return (
        f"INSERT INTO {models.AuditEntry._meta.db_table}"
        " (actor_id, action, object_type, object_id, details, address, at)"
        f" SELECT {actor}, '{action}', '{obj}', {obj_id}, jsonb_build_object({built}), {address}, {at} FROM {source}"
    )


async def record_many(entries: Sequence[models.AuditEntry], batch_size: int | None = None) -> None:
    """Record the ``entry``s of one write that touches many objects, in one INSERT (per ``batch_size``)."""
    if entries:
        await models.AuditEntry.bulk_create(entries, batch_size=batch_size)
