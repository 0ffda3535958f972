"""When a viewer sees a child's diary: one window per enrolment.

A transfer on day D ends the old enrolment on D - 1 and opens the new one on D (README,
"Running a school"). The old class's teachers keep the child's diary up to D - 1, the new
class's teachers see it from D: a teacher's windows are the child's enrolments in the classes
they teach or lead, each from its first to its last day, and a row of the diary (lesson,
grade, attendance, homework, absence notice, progress, the progress chart, the class rank) is
theirs when it falls in one of them. A teacher of a group only (no whole-class assignment
there, not its homeroom teacher) has a window per membership of its members instead: the days
the child was in the group and enrolled in one of the classes it draws from, so the English
group's teacher reads neither the German group's children nor a child's days before joining;
a final grade and the class rank of a term (rows without a day) are theirs only when the child
was in their group on a day of that term, and a member's progress counts only the days in it.
A school's admins (and its district's) have the windows
of the child's enrolments in the classes of the schools they run: the whole diary while the
child stays there; after a transfer to another school the old school's admins keep it up to
D - 1 and the new school's see it from D (neither reads the other school's lessons). The
family sees the whole diary: one window without ends.

``node`` follows the same windows (``policy.diary``): a grade or a final grade is a teacher's
or an admin's when it was given in one of their classes (a group's teacher's: a grade of a day
in their group, a final grade of a term that meets one), an absence notice when one of its
days is in one of their windows, the child when it was ever enrolled in one of their classes.

Every field of the diary reads the windows through ``Loaders.windows_by_student``
(``windows_of``, one batch); the child's stream (``diaryEvents``) asks ``windows_of`` of each
event and skips one of a class outside the windows (``sees_class``: an event carries its class,
not its day); through a group's teacher's windows only (``by_groups_only``), an event is
theirs when they read what it names (the grade, lesson, remark, final grade). The
class's stream (``classEvents``) follows one class, whose events are of the child's enrolment
in it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import models
from resolvers import core
from resolvers.policy import diary  # as a module: policy.diary imports this one (its write rules read the windows)
from resolvers.sessions import Viewer


@dataclass(frozen=True)
class Window:
    """Days ``start``..``end`` (``None``: no end) of the child's diary in ``school_class_id``
    (``None``: any class); ``group``: a group's teacher's window (a membership), not an enrolment's."""

    start: date | None = None
    end: date | None = None
    school_class_id: int | None = None
    group: bool = False

    def covers(self, day: date, school_class_id: int | None = None) -> bool:
        """Whether a row of ``day`` (of the class ``school_class_id``, when the row has one) is in the window."""
        if self.school_class_id is not None and school_class_id is not None and school_class_id != self.school_class_id:
            return False
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)

    def overlaps(self, start: date, end: date) -> bool:
        """Whether any day of ``start``..``end`` is in the window (a notice spanning days)."""
        return (self.start is None or self.start <= end) and (self.end is None or start <= self.end)


WHOLE = Window()


def in_windows(windows: list[Window], day: date, school_class_id: int | None = None) -> bool:
    return any(w.covers(day, school_class_id) for w in windows)


def sees_class(windows: list[Window], school_class_id: int | None) -> bool:
    """Whether an event of the class ``school_class_id`` (a live event carries its class, not
    its day) falls in one of the windows: a child is in one class at a time, so the class's
    enrolment is the event's window."""
    return any(w.school_class_id in (None, school_class_id) or school_class_id is None for w in windows)


def spans(windows: list[Window], start: date, end: date) -> list[tuple[date, date]]:
    """The parts of ``start``..``end`` the windows reach, merged and in order (empty when they
    reach none of it): a child who left a group and came back is not counted in between."""
    parts = sorted((max(start, w.start or start), min(end, w.end or end)) for w in windows if w.overlaps(start, end))
    merged: list[tuple[date, date]] = []
    for first, last in parts:
        if merged and first <= merged[-1][1] + timedelta(days=1):
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


# A group's teacher's windows: each membership of a group they teach, within the member's
# enrolments in the classes the group draws from (a cross-class group's 5B member: their 5B days).
_GROUP_WINDOWS = """
SELECT DISTINCT 2 AS kind, m.student_id AS student_id, m.start_date AS m_start, m.end_date AS m_end,
       e.start_date AS e_start, e.end_date AS e_end, e.school_class_id AS class_id, g.home_class_id AS home_id
FROM group_membership m
JOIN teaching_assignment t ON t.group_id = m.group_id AND t.teacher_id = ?
JOIN class_group g ON g.id = m.group_id
JOIN class_group_class gc ON gc.group_id = m.group_id
JOIN enrollment e ON e.student_id = m.student_id AND e.school_class_id = gc.school_class_id
WHERE m.student_id IN ({ids})
"""
# Every window of the children in one statement: the family's (kind 0: the child is the viewer or
# theirs), the enrolments in the classes the viewer keeps (1; ``home_id``: the enrolment's id, for
# their order) and the days in the groups they teach (2).
_WINDOWS = """
SELECT 0 AS kind, s.id AS student_id, CAST(NULL AS DATE) AS m_start, CAST(NULL AS DATE) AS m_end,
       CAST(NULL AS DATE) AS e_start, CAST(NULL AS DATE) AS e_end, CAST(NULL AS INTEGER) AS class_id,
       CAST(NULL AS INTEGER) AS home_id
FROM student s WHERE s.id IN ({ids}) AND (s.user_id = ? OR s.id IN ({children}))
UNION ALL
SELECT 1, e.student_id, CAST(NULL AS DATE), CAST(NULL AS DATE), e.start_date, e.end_date, e.school_class_id, e.id
FROM enrollment e WHERE e.student_id IN ({ids}) AND e.school_class_id IN ({staffed})
UNION ALL
""" + _GROUP_WINDOWS.strip()


def _day(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _group_windows(row: dict[str, object]) -> list[Window]:
    """The days a membership and an enrolment share (none: no window), in the child's class and,
    for a cross-class group, its home class too (its lessons' grades are filed there)."""
    start = max(_day(str(row["m_start"])), _day(str(row["e_start"])))
    ends = [_day(str(row[k])) for k in ("m_end", "e_end") if row[k] is not None]
    end = min(ends) if ends else None
    if end is not None and end < start:
        return []
    classes = dict.fromkeys((int(str(row["class_id"])), int(str(row["home_id"]))))
    return [Window(start, end, c, group=True) for c in classes]


def _scopes(uid: int) -> tuple[str, list[Any], str, list[Any]]:
    """The viewer's children and the classes they keep, as text to embed (compiled once per viewer)."""
    children, child_params = core.embedded_once(
        ("windows.children", uid), lambda: diary._children_ids(uid).values("student_id")
    )
    staffed, staffed_params = core.embedded_once(
        ("windows.staffed", uid), lambda: models.SchoolClass.filter(diary._staffed_class_ids(uid)).values("id")
    )
    return children, child_params, staffed, staffed_params


async def windows_of(viewer: Viewer, student_ids: list[int]) -> dict[int, list[Window]]:
    """Each child's windows for ``viewer`` (an empty list: none of its diary), in one statement:
    the whole diary for the family; for the staff, the enrolments in the classes they keep and
    the days in the groups they teach."""
    if not student_ids:
        return {}
    uid = diary._uid(viewer)
    children, child_params, staffed, staffed_params = _scopes(uid)
    ids = core.placeholders(len(student_ids))
    statement = _WINDOWS.format(ids=ids, children=children, staffed=staffed)
    params = [*student_ids, uid, *child_params, *student_ids, *staffed_params, uid, *student_ids]
    rows = await core.fetch(statement, params)
    whole = {int(r["student_id"]) for r in rows if r["kind"] == 0}
    found: dict[int, list[Window]] = {pk: [WHOLE] for pk in whole}
    enrolments = sorted(
        (r for r in rows if r["kind"] == 1 and int(r["student_id"]) not in whole),
        key=lambda r: (_day(r["e_start"]), int(r["home_id"])),
    )
    for r in enrolments:
        end = _day(r["e_end"]) if r["e_end"] is not None else None
        found.setdefault(int(r["student_id"]), []).append(Window(_day(r["e_start"]), end, int(r["class_id"])))
    for r in rows:
        if r["kind"] == 2 and int(r["student_id"]) not in whole:
            found.setdefault(int(r["student_id"]), []).extend(_group_windows(r))
    return {pk: found.get(pk, []) for pk in student_ids}


async def group_windows_of(uid: int, student_ids: list[int]) -> dict[int, list[Window]]:
    """Each child's windows as a member of the groups the viewer (``uid``) teaches: the days of
    each membership while enrolled in one of the group's classes (one statement; a child of none
    of their groups is absent)."""
    found: dict[int, list[Window]] = {}
    if not student_ids:
        return found
    spans = await core.fetch(_GROUP_WINDOWS.format(ids=core.placeholders(len(student_ids))), [uid, *student_ids])
    for row in spans:
        found.setdefault(int(row["student_id"]), []).extend(_group_windows(row))
    return found


def by_groups_only(windows: list[Window], school_class_id: int | None) -> bool:
    """Whether the windows that reach an event of the class ``school_class_id`` (``sees_class``)
    are all a group's teacher's: the event's days then decide (``diaryEvents`` asks the policy of
    what it names), as the child stays in the class before joining and after leaving the group."""
    reaching = [w for w in windows if w.school_class_id in (None, school_class_id) or school_class_id is None]
    return bool(reaching) and all(w.group for w in reaching)


def reaches_term(windows: list[Window], school_class_id: int, start: date, end: date) -> bool:
    """Whether the windows reach a term's (``start``..``end``) final grade set in a class, or the
    child's rank in it (rows of a class without a day, that side's only): an enrolment's window in
    the class, whatever its days (after a transfer, the class's side keeps its final grades); a
    group's teacher's window in the class only when the child was in their group on a day of the
    term (``policy.visible_term_grades``)."""
    return any(
        w.school_class_id in (None, school_class_id) and (not w.group or w.overlaps(start, end)) for w in windows
    )
