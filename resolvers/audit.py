"""Writing the audit trail: every audit row is written here, and what a row may hold is
decided here. Call inside the transaction of the write it records, so that a write and its
audit entry commit (or roll back) together.

A row says who (the viewer, from their address), when, what (``action`` on ``obj`` with id
``obj_id``) and, in ``details``: ids, numbers, flags, codes and dates, names of fields, why
the write was made (the reason a person gave), and the names of what a school sets up (a
school, subject, class, term, room; an account's login). Never content people write for
each other: message text, chat titles, remark and homework text, announcement and meeting
texts, comments, absence reasons. Every detail key is declared in ``DETAILS`` with its kind;
a detail that is not declared, or does not fit its kind, is refused (``AuditDetailRefused``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import Enum
from typing import Any

import models
from resolvers.context import Viewer


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
        """applicant assigned_in author chat chats children class classes enrollment guardian guardianship
        homeroom kept lesson meetings member members new_admin planned premarked student students subject
        teacher unmarked""",
    ),
    # numbers, flags, codes and field names; a roster import counts by roster kind
    **_declare(
        DATA,
        """answer audience cancelled category channel channels created current default_grade_weight deleted ended
        fields items kind kind_weights length lessons lessonsRetimed marks mustChangePassword
        oneTimePasswordReplaced pass_mark period pinned quietEnd quietStart relation removed restored role
        rounding_threshold scale_kind scale_max scale_min sessionsEnded timezone updated variant via weekday weight""",
    ),
    **_declare(DATA, " ".join(kind.value for kind in models.RosterKind)),
    # when
    **_declare(
        DATA,
        "birthDate date days deactivatedAt end ends_at lastDay revokedAt start startsAt starts_at validFrom validTo",
    ),
    **_declare(REASON, "reason cancelReason lastError"),
    # names; a grade's ``value``, ``from`` and ``to`` are marks of the school's scale (or ids, dates)
    **_declare(NAME, "name login fullName room year value from to scale_marks"),
    **_declare(CHANGE, "before after"),
}

# Message text that rows keep until the privacy issue decides: tests/test_chats.py asserts it.
# The only content an audit row holds.
KEPT_CONTENT = frozenset({("message.edit", "before"), ("message.delete", "before")})


def check(action: str, details: Mapping[str, Any]) -> None:
    """Raise ``AuditDetailRefused`` unless every detail is declared and fits its kind."""
    for key, value in details.items():
        if (action, key) not in KEPT_CONTENT:
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


async def record_many(entries: Sequence[models.AuditEntry], batch_size: int | None = None) -> None:
    """Record the ``entry``s of one write that touches many objects, in one INSERT (per ``batch_size``)."""
    if entries:
        await models.AuditEntry.bulk_create(entries, batch_size=batch_size)
