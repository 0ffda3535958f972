"""Per-request batch loaders. One ``Loaders`` per HTTP request (and per subscription event):
each batch function runs one statement and returns results in key order.

Loaders here do not check visibility: they serve nested fields, which inherit the
visibility of the object they hang off. Root lookups go through ``resolvers.policy``."""

from __future__ import annotations

import asyncio
import functools
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from typing import Any, TypeVar, cast

from strawberry.dataloader import DataLoader
from tortoise.expressions import Q, Subquery
from tortoise.functions import Max
from tortoise.models import Model
from tortoise.queryset import QuerySet

import models
from resolvers import account_list, audit_log, averages, chats, core, meetings, pages, policy, schools
from resolvers.core import now_utc, today_utc
from resolvers.policy import windows
from resolvers.sessions import Viewer

M = TypeVar("M", bound=Model)
K = TypeVar("K")


@dataclass(frozen=True)
class RangeKey:
    """An owner id and an inclusive date range."""

    id: int
    start: date
    end: date


# The students of some classes enrolled on a day, among those the viewer sees (``{visible}``:
# ``policy.visible_students``): ``Loaders.visible_students_by_class``.
_CLASS_STUDENTS = """
SELECT e.school_class_id AS class_id, {student}
FROM enrollment e JOIN student s ON s.id = e.student_id
WHERE e.school_class_id IN ({classes}) AND e.start_date <= ? AND (e.end_date IS NULL OR e.end_date >= ?)
      AND e.student_id IN ({visible})
"""

# A school's terms by first day, each with its school: ``Loaders.terms_by_school``.
_SCHOOL_TERMS = """
SELECT {term}, {school} FROM term t JOIN school s ON s.id = t.school_id
WHERE t.school_id IN ({schools}) ORDER BY t.start_date, t.id
"""


def _by_id(model: type[M]) -> Callable[[list[int]], Any]:
    async def load(ids: list[int]) -> list[M | None]:
        found = {obj.pk: obj for obj in await model.filter(id__in=set(ids))}
        return [found.get(i) for i in ids]

    return load


def _by_key(model: type[M], column: str, *order: str) -> Callable[[list[int]], Any]:
    """Every row whose ``column`` is one of the keys, in ``order``, grouped per key: one statement."""

    async def load(keys: list[int]) -> list[list[M]]:
        rows = await model.filter(**{f"{column}__in": set(keys)}).order_by(*order)
        grouped = _group(rows, lambda row: getattr(row, column))
        return [grouped.get(k, []) for k in keys]

    return load


Scope = type[M] | Callable[[Viewer], QuerySet[M]]
"""Where an on-demand loader reads: a model (a nested field that inherits the visibility of the
object it hangs off) or a rule of ``resolvers.policy`` (a field that applies its type's own
scope), called with the request's viewer."""


def _rows(scope: Scope[M], viewer: Viewer) -> QuerySet[M]:
    if isinstance(scope, type):
        return cast("type[M]", scope).all()
    return scope(viewer)


def _group(items: Iterable[M], key: Callable[[M], K]) -> dict[K, list[M]]:
    grouped: dict[K, list[M]] = defaultdict(list)
    for item in items:
        grouped[key(item)].append(item)
    return grouped


def _day(value: date | str) -> date:
    """A date column of a raw row (SQLite answers text)."""
    return value if isinstance(value, date) else date.fromisoformat(value)


def _meeting(days: Iterable[models.DayOff], key: RangeKey) -> list[models.DayOff]:
    """The days off of ``days`` that meet the range of ``key`` (``days_off_by_school``)."""
    return [d for d in days if d.start_date <= key.end and d.end_date >= key.start]


def _span(keys: Sequence[RangeKey]) -> tuple[list[int], date, date]:
    return list({k.id for k in keys}), min(k.start for k in keys), max(k.end for k in keys)


@dataclass
class DiaryRow:
    """One lesson of a student's diary with this student's attendance (if marked), the
    homework set for it (oldest first) and this student's grades in it."""

    student_id: int
    lesson: models.Lesson
    attendance: models.Attendance | None
    homework: list[models.Homework] = field(default_factory=list)
    # This student's grades in the lesson that stand and fall in the viewer's windows, as
    # ``grades_by_student`` finds them (by date, creation, id): from the same statement.
    grades: list[models.Grade] = field(default_factory=list)


def _add_grade(diary_row: DiaryRow, row: Any, seen: dict[int, list[windows.Window]]) -> None:
    """The grade of a row of ``_DIARY_SQL`` on its lesson's ``DiaryRow``, once, when it falls in
    the viewer's windows by its own day and class (as ``grades_by_student`` keeps it)."""
    if row["g_id"] is None or any(g.id == row["g_id"] for g in diary_row.grades):
        return
    grade = _made(models.Grade, row, "g_")
    if windows.in_windows(seen[diary_row.student_id], grade.date, grade.school_class_id):
        diary_row.grades.append(grade)


@dataclass
class RegisterRowData:
    """One student of a lesson's register: the mark (None: unmarked), the absence notice
    covering the lesson (if any) and every change of the mark, oldest first."""

    student: models.Student
    lesson: models.Lesson
    attendance: models.Attendance | None
    notice: models.AbsenceNotice | None
    history: list[models.AttendanceRevision]


# A child's lessons (``policy.LESSONS_OF_STUDENTS``: a group's only for its members that day),
# with the class the child was in that day (``e_class_id``, the row's class for the windows),
# and the child's grades in each (a lesson comes in a row per homework item and grade); then,
# in the same statement, a row per day off of the child's school that meets the range (or one
# with no day off, ``d_id`` null), ``l_id`` null: the diary's calendar costs no statement of its
# own. A column that would repeat another of the row is not read but filled from it
# (``_DIARY_SAME``): the rows are the statement's cost, about a tenth of it per eight columns.
# They are read as the driver gives them (``core.fetch_rows``: a dict of each row's 66 columns
# cost a fifth of the statement) and made into models by ``_made``.
_DIARY_SQL = f"""
SELECT e.student_id AS e_student_id, e.class_id AS e_class_id,
       l.id AS l_id, l.school_class_id AS l_school_class_id, l.subject_id AS l_subject_id,
       l.teacher_id AS l_teacher_id, l.original_teacher_id AS l_original_teacher_id,
       l.date AS l_date, l.period AS l_period, l.starts_at AS l_starts_at, l.ends_at AS l_ends_at,
       l.room AS l_room, l.topic AS l_topic, l.status AS l_status,
       l.slot_id AS l_slot_id, l.day_off_id AS l_day_off_id, l.cancel_reason AS l_cancel_reason,
       l.substitution_reason AS l_substitution_reason,
       l.plan_note AS l_plan_note, l.group_id AS l_group_id,
       s.school_id AS s_school_id, s.name AS s_name, s.archived_at AS s_archived_at,
       u.full_name AS u_full_name,
       c.school_id AS c_school_id, c.academic_year_id AS c_academic_year_id,
       c.grade_level AS c_grade_level, c.letter AS c_letter, c.homeroom_teacher_id AS c_homeroom_teacher_id,
       a.id AS a_id, a.date AS a_date,
       a.status AS a_status, a.late_minutes AS a_late_minutes, a.reason AS a_reason,
       a.marked_by_id AS a_marked_by_id, a.marked_at AS a_marked_at, a.notice_id AS a_notice_id,
       h.id AS h_id, h.assigned_in_id AS h_assigned_in_id, h.text AS h_text,
       h.links AS h_links, h.assigned_by_id AS h_assigned_by_id, h.created_at AS h_created_at,
       h.updated_at AS h_updated_at, h.deleted_at AS h_deleted_at,
       g.id AS g_id, g.subject_id AS g_subject_id,
       g.school_class_id AS g_school_class_id, g.teacher_id AS g_teacher_id,
       g.date AS g_date, g.value AS g_value, g.numeric_value AS g_numeric_value, g.weight AS g_weight,
       g.kind AS g_kind, g.comment AS g_comment, g.created_at AS g_created_at, g.updated_at AS g_updated_at,
       g.deleted_at AS g_deleted_at, g.deleted_by_id AS g_deleted_by_id, g.delete_reason AS g_delete_reason,
       NULL AS d_id, NULL AS d_kind, NULL AS d_start_date, NULL AS d_end_date, NULL AS d_name, NULL AS d_school_id
FROM ({policy.LESSONS_OF_STUDENTS}) e
JOIN lesson l ON l.id = e.lesson_id
JOIN subject s ON s.id = l.subject_id
JOIN user_account u ON u.id = l.teacher_id
JOIN school_class c ON c.id = l.school_class_id
LEFT JOIN attendance a ON a.lesson_id = l.id AND a.student_id = e.student_id
LEFT JOIN homework h ON h.lesson_id = l.id AND h.deleted_at IS NULL
LEFT JOIN grade g ON g.lesson_id = l.id AND g.student_id = e.student_id AND g.deleted_at IS NULL
WHERE e.student_id IN ({{ids}}) AND e.lesson_date >= ? AND e.lesson_date <= ?
UNION ALL
SELECT st.id, {{nulls}},
       d.id, d.kind, d.start_date, d.end_date, d.name, st.school_id
FROM student st
LEFT JOIN day_off d ON d.school_id = st.school_id AND d.start_date <= ? AND d.end_date >= ?
WHERE st.id IN ({{ids}})
ORDER BY e_student_id, l_date, l_period, l_id, h_created_at, h_id
"""
# The lesson branch's columns the day-off branch leaves null (all but the student and the day off).
_DIARY_NULLS = ", ".join(["NULL"] * (_DIARY_SQL.split("FROM (", 1)[0].count(" AS ") - 7))
# Columns of the models ``_diary_by_student`` makes that repeat another column of the row.
_DIARY_SAME = {
    "s_id": "l_subject_id",
    "u_id": "l_teacher_id",
    "c_id": "l_school_class_id",
    "a_student_id": "e_student_id",
    "a_lesson_id": "l_id",
    "h_lesson_id": "l_id",
    "g_student_id": "e_student_id",
    "g_lesson_id": "l_id",
}


@functools.cache
def _diary_columns(model: type[Model], prefix: str) -> tuple[tuple[str, str], ...]:
    """The columns of ``model`` that the diary's statement reads under ``prefix``, each with
    the row's column it comes from: its own, or the one it repeats (``_DIARY_SAME``)."""
    read = set(re.findall(r"AS (\w+)", _DIARY_SQL))
    found = []
    for column in model._meta.fields_db_projection.values():
        key = prefix + column
        if key in _DIARY_SAME or key in read:
            found.append((column, _DIARY_SAME.get(key, key)))
    return tuple(found)


def _made(model: type[M], row: Any, prefix: str) -> M:
    """A ``model`` from a row of the diary's statement, converted by the model's own fields as
    ``core.hydrate`` does (for a driver's row, which ``hydrate`` cannot read)."""
    return model._init_from_db(**{column: row[key] for column, key in _diary_columns(model, prefix)})


class Loaders:
    """One batch loader per ``<target>_by_<key>``, created on first use: a connection that
    never asks for one does not pay for it (a subscriber holds its loaders between events)."""

    user_by_id: DataLoader[int, models.User | None]
    school_by_id: DataLoader[int, models.School | None]
    subject_by_id: DataLoader[int, models.Subject | None]
    class_by_id: DataLoader[int, models.SchoolClass | None]
    lesson_by_id: DataLoader[int, models.Lesson | None]
    student_by_id: DataLoader[int, models.Student | None]
    grade_by_id: DataLoader[int, models.Grade | None]
    homework_by_id: DataLoader[int, models.Homework | None]
    term_grade_by_id: DataLoader[int, models.TermGrade | None]
    class_by_student: DataLoader[int, models.SchoolClass | None]
    visible_students_by_class: DataLoader[int, list[models.Student]]
    diary_by_student: DataLoader[RangeKey, list[DiaryRow]]
    grades_by_student: DataLoader[RangeKey, list[models.Grade]]
    removed_grades_by_student: DataLoader[RangeKey, list[models.Grade]]
    homework_by_lesson: DataLoader[int, list[models.Homework]]
    assessment_by_lesson: DataLoader[int, models.PlannedAssessment | None]
    assessment_by_id: DataLoader[int, models.PlannedAssessment | None]
    upcoming_assessments_by_student: DataLoader[RangeKey, list[models.PlannedAssessment]]
    days_off_by_school: DataLoader[RangeKey, list[models.DayOff]]
    lessons_by_class: DataLoader[RangeKey, list[models.Lesson]]
    terms_by_school: DataLoader[int, list[models.Term]]
    student_visible: DataLoader[int, bool]
    face_visible: DataLoader[tuple[str, int], bool]
    visible_classes_by_school: DataLoader[int, list[models.SchoolClass]]
    any_homework_by_id: DataLoader[int, models.Homework | None]
    remarks_by_student: DataLoader[RangeKey, list[models.Remark]]
    register_readable_by_lesson: DataLoader[int, bool]
    register_by_lesson: DataLoader[int, list[RegisterRowData]]
    attendance_revisions_by_mark: DataLoader[tuple[int, int], list[models.AttendanceRevision]]
    attendance_by_mark: DataLoader[tuple[int, int], models.Attendance | None]
    absence_notices_by_student: DataLoader[RangeKey, list[models.AbsenceNotice]]
    windows_by_student: DataLoader[int, list[windows.Window]]
    absence_notice_items_by_notice: DataLoader[int, list[models.AbsenceNoticeItem]]
    term_grades_by_student: DataLoader[tuple[int, str], list[models.TermGrade]]
    final_grades_by_student: DataLoader[tuple[int, int], list[models.TermGrade]]
    subject_totals_by_class: DataLoader[averages.ClassRange, dict[int, averages.Totals]]
    student_totals_by_class: DataLoader[averages.ClassRange, dict[int, averages.Totals]]
    day_totals_by_chart: DataLoader[averages.ChartKey, list[averages.DayTotals]]
    term_by_id: DataLoader[int, models.Term | None]
    lesson_counts_by_student: DataLoader[averages.StudentRange, list[averages.LessonCounts]]
    grade_totals_by_student: DataLoader[averages.StudentRange, list[averages.GradeTotals]]
    outbox_event_by_id: DataLoader[int, models.OutboxEvent | None]
    announcement_by_id: DataLoader[int, models.Announcement | None]
    meeting_by_id: DataLoader[int, models.Meeting | None]
    classes_by_meeting: DataLoader[int, list[models.SchoolClass]]
    responses_by_meeting: DataLoader[int, list[models.MeetingResponse]]
    meeting_staffed: DataLoader[int, bool]
    day_off_by_id: DataLoader[int, models.DayOff | None]
    visible_slots_by_school: DataLoader[int, list[models.TimetableSlot]]
    short_days_by_school: DataLoader[RangeKey, list[models.ShortDay]]
    chat_by_id: DataLoader[int, models.Chat | None]
    message_by_id: DataLoader[int, models.Message | None]
    members_by_chat: DataLoader[int, list[models.ChatMember]]
    last_message_by_chat: DataLoader[int, models.Message | None]
    unread_by_chat: DataLoader[int, int]
    membership_by_chat: DataLoader[int, models.ChatMember | None]
    administered_by_school: DataLoader[int, bool]
    audit_page_by_school: DataLoader[audit_log.AuditKey, audit_log.AuditPage]
    account_page_by_school: DataLoader[account_list.AccountKey, account_list.AccountPage]
    member_page_by_chat: DataLoader[tuple[int, pages.PageArgs], pages.Page[models.ChatMember]]
    response_page_by_meeting: DataLoader[tuple[int, pages.PageArgs], pages.Page[models.MeetingResponse]]
    school_page_by_district: DataLoader[tuple[int, pages.PageArgs], pages.Page[models.School]]
    guardianships_by_student: DataLoader[int, list[models.Guardianship]]
    revocations_by_guardianship: DataLoader[int, list[models.GuardianshipRevocation]]
    login_by_student: DataLoader[int, models.User | None]
    visible_group_by_id: DataLoader[int, models.ClassGroup | None]
    visible_groups_by_class: DataLoader[int, list[models.ClassGroup]]
    classes_by_group: DataLoader[int, list[models.SchoolClass]]
    members_by_group: DataLoader[int, list[models.GroupMembership]]
    attendees_by_lesson: DataLoader[int, frozenset[int]]
    submissions_by_class: DataLoader[RangeKey, list[models.Submission]]

    # The viewer's own children as read with this request's session (``sessions.admit``).
    _children: list[models.Student] | None = None

    def __init__(self, viewer: Viewer) -> None:
        self.viewer = viewer

    @classmethod
    def of_request(cls, viewer: Viewer) -> Loaders:
        """Fresh loaders for one request (or one operation over a socket), with the viewer's
        account already primed when it was read with the session (``sessions.admit``), and
        the children when they were read with it."""
        loaders = cls(viewer)
        if (account := viewer.known_account()) is not None:
            loaders.user_by_id.prime(account.id, account)
        loaders._children = viewer.take_children()
        return loaders

    async def children(self) -> list[models.Student]:
        """The viewer's own children by name and id (``policy.children_by_name``): as read with
        this request's session (``sessions.admit``, no statement), else by their own statement;
        primed (``prime_children``)."""
        found = self._children if self._children is not None else await policy.children_by_name(self.viewer)
        self.prime_children(found)
        return found

    def __getattr__(self, name: str) -> Any:
        """Only called for a loader not made yet: make it, keep it for this request, primed
        with what was read for it meanwhile (``prime_later``)."""
        factory = _FACTORIES.get(name)
        if factory is None:
            raise AttributeError(name)
        loader = factory(self)
        setattr(self, name, loader)
        later = self.__dict__.get("_later")
        for key, make in later.pop(name, ()) if later else ():
            loader.prime(key, make())
        return loader

    def grouped(self, scope: Scope[M], column: str, *order: str) -> DataLoader[int, list[M]]:
        """A list field's loader made where the field is (``CONTRIBUTING.md``, "Adding a
        field"): every row of ``scope`` whose ``column`` is one of the keys, in ``order``,
        grouped per key, in one statement per batch. Made on first use and kept for the request
        under its arguments, so every parent of a list shares the batch."""
        made: dict[tuple[Any, ...], DataLoader[Any, Any]] = self.__dict__.setdefault("_made", {})
        key = ("grouped", scope, column, order)
        loader = made.get(key)
        if loader is None:
            viewer = self.viewer

            async def load(keys: list[int]) -> list[list[M]]:
                rows = await _rows(scope, viewer).filter(**{f"{column}__in": set(keys)}).order_by(*order)
                found = _group(rows, lambda row: getattr(row, column))
                return [found.get(k, []) for k in keys]

            loader = made[key] = DataLoader(load)
        return loader

    def one(self, scope: Scope[M]) -> DataLoader[int, M | None]:
        """An object field's loader made where the field is: the row of ``scope`` with each id
        (None: gone, or not the viewer's to see), one statement per batch, kept for the
        request like ``grouped``."""
        made: dict[tuple[Any, ...], DataLoader[Any, Any]] = self.__dict__.setdefault("_made", {})
        key = ("one", scope)
        loader = made.get(key)
        if loader is None:
            viewer = self.viewer

            async def load(ids: list[int]) -> list[M | None]:
                found = {row.pk: row for row in await _rows(scope, viewer).filter(id__in=set(ids))}
                return [found.get(i) for i in ids]

            loader = made[key] = DataLoader(load)
        return loader

    def prime_later(self, name: str, key: Any, make: Callable[[], Any]) -> None:
        """Prime loader ``name`` with ``make()`` for ``key`` when something first asks for that
        loader: a stream reads the rows an event names with the event (``resolvers/outbox.py``),
        and a payload that asks for none of them, or an event skipped or shared with another
        subscriber's payload, does not pay for making them into models."""
        if name in self.__dict__:
            getattr(self, name).prime(key, make())
            return
        later = self.__dict__.setdefault("_later", {})
        later.setdefault(name, []).append((key, make))

    async def _student_visible(self, ids: list[int]) -> list[bool]:
        rows = await policy.visible_students(self.viewer).filter(id__in=set(ids)).only("id")
        seen = {s.id for s in rows}
        return [i in seen for i in ids]

    async def _visible_students_by_class(self, ids: list[int]) -> list[list[models.Student]]:
        """The students of each class the viewer sees (``policy.visible_students``) enrolled today
        (or, for a class of a past year, at its end), by name: one statement; each is primed
        visible (``student_visible``). The policy's scope depends on nothing but the viewer's id:
        compiled once per viewer (``core.embedded_once``; building it was about a twentieth of a
        class's progress), run every time, as it stands at that moment."""
        today = today_utc()
        visible, params = core.embedded_once(
            ("visible_students", self.viewer.user_id), lambda: policy.visible_students(self.viewer).values("id")
        )
        classes = sorted(set(ids))
        statement = _CLASS_STUDENTS.format(
            student=core.columns(models.Student, "s"), classes=core.placeholders(len(classes)), visible=visible
        )
        grouped: dict[int, list[models.Student]] = defaultdict(list)
        for row in await core.fetch(statement, [*classes, today, today, *params]):
            student = core.hydrate(models.Student, row, "s_")
            grouped[row["class_id"]].append(student)
            self.student_visible.prime(student.id, True)
        for students in grouped.values():
            students.sort(key=lambda s: (s.full_name, s.id))
        return [grouped.get(i, []) for i in ids]

    async def _terms_by_school(self, ids: list[int]) -> list[list[models.Term]]:
        """Each school's terms by first day, with the school itself (primed in ``school_by_id``:
        what asks for a term mostly asks for its school's rules next, a class's progress its
        rounding rule): one statement, written out (the ORM's building of it was about a twentieth
        of a class's progress)."""
        schools = sorted(set(ids))
        statement = _SCHOOL_TERMS.format(
            term=core.columns(models.Term, "t"),
            school=core.columns(models.School, "s"),
            schools=core.placeholders(len(schools)),
        )
        rows: list[models.Term] = []
        found: dict[int, models.School] = {}
        for row in await core.fetch(statement, schools):
            term = core.hydrate(models.Term, row, "t_")
            if (school := found.get(term.school_id)) is None:
                school = found[term.school_id] = core.hydrate(models.School, row, "s_")
                self.school_by_id.prime(school.id, school)
            object.__setattr__(term, "_school", school)  # as the ORM's select_related sets it
            rows.append(term)
        grouped = _group(rows, lambda t: t.school_id)
        return [grouped.get(i, []) for i in ids]

    async def _face_visible(self, keys: list[tuple[str, int]]) -> list[bool]:
        """Whether the viewer sees each (type, id) through its ``node`` scope (a face if not):
        one statement per type asked."""
        seen: set[tuple[str, int]] = set()
        for kind in sorted({k for k, _ in keys}):
            ids = {i for k, i in keys if k == kind}
            rows = await policy.FACE_SCOPES[kind](self.viewer).filter(id__in=ids).values_list("id", flat=True)
            seen |= {(kind, i) for i in rows}
        return [key in seen for key in keys]

    async def _visible_classes_by_school(self, ids: list[int]) -> list[list[models.SchoolClass]]:
        rows = (
            await policy.visible_classes(self.viewer)
            .filter(school_id__in=set(ids))
            .order_by("grade_level", "letter", "id")
        )
        # A class reached from a list is then reached by id (a lesson's or a student's class):
        # priming here keeps that a cache hit, whichever branch of the query resolves first.
        self.prime_many(self.class_by_id, rows)
        grouped = _group(rows, lambda c: c.school_id)
        return [grouped.get(i, []) for i in ids]

    async def _administered_by_school(self, ids: list[int]) -> list[bool]:
        """Whether the viewer administers each school (its accounts and audit log)."""
        rows = await policy.administered_schools(self.viewer).filter(id__in=set(ids)).only("id")
        administered = {s.id for s in rows}
        return [i in administered for i in ids]

    def prime_many(self, loader: DataLoader[int, M | None], objects: Iterable[M]) -> None:
        for obj in objects:
            loader.prime(obj.pk, obj)

    def prime_children(self, children: Iterable[models.Student]) -> None:
        """The viewer's own children, as ``policy.children`` found them: their records, and their
        windows, which are whole (``windows.WHOLE``: a guardian reads the whole diary, as
        ``windows_of`` would answer), so that their diary asks no statement for them."""
        for child in children:
            self.student_by_id.prime(child.pk, child)
            self.windows_by_student.prime(child.pk, [windows.WHOLE])

    async def _class_by_student(self, ids: list[int]) -> list[models.SchoolClass | None]:
        """The class a student is in today, else the most recent one."""
        today = today_utc()
        rows = (
            await models.Enrollment.filter(student_id__in=set(ids))
            .select_related("school_class")
            .order_by("start_date", "id")
        )
        best: dict[int, models.SchoolClass] = {}
        for enrollment in rows:
            current = enrollment.start_date <= today and (enrollment.end_date is None or enrollment.end_date >= today)
            if current or enrollment.student_id not in best or enrollment.start_date <= today:
                best[enrollment.student_id] = enrollment.school_class
        self.prime_many(self.class_by_id, best.values())
        return [best.get(i) for i in ids]

    async def _diary_by_student(self, keys: list[RangeKey]) -> list[list[DiaryRow]]:
        """Every lesson of each student over the range (``policy.LESSONS_OF_STUDENTS``), following
        enrolments (a transferred child shows the old class before the move and the new one after)
        and group memberships (a group's lessons only while the child is in the group),
        with subject, teacher, class, this student's attendance, the lesson's homework and this
        student's grades in it (those ``grades_by_student`` reads); and the days off of each
        student's school over the key's range, primed for ``days_off_by_school``: one statement."""
        ids, start, end = _span(keys)
        marks = core.placeholders(len(ids))
        sql = _DIARY_SQL.format(ids=marks, nulls=_DIARY_NULLS)
        rows = await core.fetch_rows(sql, [*ids, start, end, end, start, *ids])
        school_of: dict[int, int] = {}
        days_off: dict[int, list[models.DayOff]] = defaultdict(list)
        lessons: list[Any] = []
        for row in rows:
            if row["l_id"] is not None:
                lessons.append(row)
                continue
            school_of[row["e_student_id"]] = row["d_school_id"]
            if row["d_id"] is not None and all(d.id != row["d_id"] for d in days_off[row["d_school_id"]]):
                days_off[row["d_school_id"]].append(_made(models.DayOff, row, "d_"))
        self._prime_days_off(keys, school_of, days_off)
        seen = await self._windows(ids)
        lessons = [
            r for r in lessons if windows.in_windows(seen[r["e_student_id"]], _day(r["l_date"]), r["e_class_id"])
        ]
        by_student: dict[int, list[DiaryRow]] = defaultdict(list)
        homework: dict[int, list[models.Homework]] = {}
        for row in lessons:
            items = homework.setdefault(row["l_id"], [])
            if row["h_id"] is not None and all(h.id != row["h_id"] for h in items):
                items.append(_made(models.Homework, row, "h_"))
            student_rows = by_student[row["e_student_id"]]
            if student_rows and student_rows[-1].lesson.id == row["l_id"]:  # the same lesson: another homework or grade
                _add_grade(student_rows[-1], row, seen)
                continue
            lesson = _made(models.Lesson, row, "l_")
            subject = _made(models.Subject, row, "s_")
            teacher = _made(models.User, row, "u_")
            self.subject_by_id.prime(subject.id, subject)
            self.user_by_id.prime(teacher.id, teacher)
            self.lesson_by_id.prime(lesson.id, lesson)
            school_class = _made(models.SchoolClass, row, "c_")
            self.class_by_id.prime(school_class.id, school_class)
            attendance = _made(models.Attendance, row, "a_") if row["a_id"] is not None else None
            student_rows.append(DiaryRow(row["e_student_id"], lesson, attendance, items))
            _add_grade(student_rows[-1], row, seen)
        for lesson_id, items in homework.items():  # `Lesson.homework` on these lessons costs nothing more
            self.homework_by_lesson.prime(lesson_id, items)
        for student_rows in by_student.values():
            for diary_row in student_rows:
                diary_row.grades.sort(key=lambda g: (g.date, g.created_at, g.id))
        return [[r for r in by_student.get(k.id, []) if k.start <= r.lesson.date <= k.end] for k in keys]

    def _prime_days_off(
        self, keys: list[RangeKey], school_of: dict[int, int], days_off: dict[int, list[models.DayOff]]
    ) -> None:
        """``days_off_by_school`` for each diary key's student's school and range, as
        ``_days_off_by_school`` answers it (by start, id), from the diary's statement."""
        for k in keys:
            if k.id in school_of:
                found = sorted(days_off.get(school_of[k.id], []), key=lambda d: (d.start_date, d.id))
                key = RangeKey(school_of[k.id], k.start, k.end)
                self.days_off_by_school.prime(key, _meeting(found, k))

    async def _grades_by_student(self, keys: list[RangeKey]) -> list[list[models.Grade]]:
        ids, start, end = _span(keys)
        rows = await models.Grade.filter(
            student_id__in=ids, date__gte=start, date__lte=end, deleted_at__isnull=True
        ).order_by("date", "created_at", "id")
        seen = await self._windows(ids)
        rows = [g for g in rows if windows.in_windows(seen[g.student_id], g.date, g.school_class_id)]
        grouped = _group(rows, lambda g: g.student_id)
        return [[g for g in grouped.get(k.id, []) if k.start <= g.date <= k.end] for k in keys]

    async def _removed_grades_by_student(self, keys: list[RangeKey]) -> list[list[models.Grade]]:
        ids, start, end = _span(keys)
        rows = await models.Grade.filter(
            student_id__in=ids, date__gte=start, date__lte=end, deleted_at__isnull=False
        ).order_by("date", "created_at", "id")
        seen = await self._windows(ids)
        rows = [g for g in rows if windows.in_windows(seen[g.student_id], g.date, g.school_class_id)]
        grouped = _group(rows, lambda g: g.student_id)
        return [[g for g in grouped.get(k.id, []) if k.start <= g.date <= k.end] for k in keys]

    async def _homework_by_lesson(self, ids: list[int]) -> list[list[models.Homework]]:
        rows = await models.Homework.filter(lesson_id__in=set(ids), deleted_at__isnull=True).order_by(
            "created_at", "id"
        )
        grouped = _group(rows, lambda h: h.lesson_id)
        return [grouped.get(i, []) for i in ids]

    async def _assessment_by_lesson(self, ids: list[int]) -> list[models.PlannedAssessment | None]:
        rows = await models.PlannedAssessment.filter(lesson_id__in=set(ids), cancelled_at__isnull=True)
        found = {r.lesson_id: r for r in rows}
        return [found.get(i) for i in ids]

    async def _assessment_by_id(self, ids: list[int]) -> list[models.PlannedAssessment | None]:
        """The assessments the viewer sees (``policy.visible_assessments``)."""
        found = {r.id: r for r in await policy.visible_assessments(self.viewer).filter(id__in=set(ids))}
        return [found.get(i) for i in ids]

    async def _upcoming_assessments_by_student(self, keys: list[RangeKey]) -> list[list[models.PlannedAssessment]]:
        """Each student's announced assessments of the lessons of the range that have not started
        and are theirs (``policy.lessons_of_students``: of the class they are enrolled in on the
        lesson's day, or of a group they are a member of that day), soonest first; only of lessons
        the viewer sees (``policy.visible_assessments``). Two statements for any number of students."""
        ids, start, end = _span(keys)
        attended = await policy.lessons_of_students(ids, start, end)
        if not attended:
            return [[] for _ in keys]
        rows = (
            await policy.visible_assessments(self.viewer)
            .filter(lesson_id__in={lesson for _, _, lesson in attended}, lesson__starts_at__gt=now_utc())
            .select_related("lesson")
            .order_by("lesson__starts_at", "lesson__period", "id")
        )
        for row in rows:
            self.lesson_by_id.prime(row.lesson_id, row.lesson)
        mine: dict[int, set[int]] = defaultdict(set)
        for student, _, lesson in attended:
            mine[student].add(lesson)
        return [
            [r for r in rows if key.start <= r.lesson.date <= key.end and r.lesson_id in mine[key.id]] for key in keys
        ]

    async def _days_off_by_school(self, keys: list[RangeKey]) -> list[list[models.DayOff]]:
        ids, start, end = _span(keys)
        rows = await models.DayOff.filter(school_id__in=ids, start_date__lte=end, end_date__gte=start).order_by(
            "start_date", "id"
        )
        grouped = _group(rows, lambda d: d.school_id)
        return [_meeting(grouped.get(k.id, []), k) for k in keys]

    async def _lessons_by_class(self, keys: list[RangeKey]) -> list[list[models.Lesson]]:
        ids, start, end = _span(keys)
        rows = (
            await policy.visible_lessons(self.viewer)
            .filter(school_class_id__in=ids, date__gte=start, date__lte=end)
            .select_related("subject", "teacher")
            .order_by("date", "period", "id")
        )
        for lesson in rows:
            self.subject_by_id.prime(lesson.subject_id, lesson.subject)
            self.user_by_id.prime(lesson.teacher_id, lesson.teacher)
            self.lesson_by_id.prime(lesson.id, lesson)
        grouped = _group(rows, lambda lesson: lesson.school_class_id)
        return [[x for x in grouped.get(k.id, []) if k.start <= x.date <= k.end] for k in keys]

    async def _homework_by_id(self, ids: list[int]) -> list[models.Homework | None]:
        """Removed homework is not there (see ``any_homework_by_id`` for events)."""
        found = {h.id: h for h in await models.Homework.filter(id__in=set(ids), deleted_at__isnull=True)}
        return [found.get(i) for i in ids]

    async def _attendees_by_lesson(self, ids: list[int]) -> list[frozenset[int]]:
        """The students each lesson is for on its date (``policy.students_of_lessons``), for the
        lessons the viewer sees: one statement for the lessons, one for their students."""
        lessons = await policy.visible_lessons(self.viewer).filter(id__in=set(ids))
        found = await policy.students_of_lessons(lessons)
        return [frozenset(found.get(i, {})) for i in ids]

    async def _submissions_by_class(self, keys: list[RangeKey]) -> list[list[models.Submission]]:
        """The work the viewer sees (``policy.visible_submissions``) for homework due at the classes'
        lessons of the ranges, by the due lesson's date, then hand-in."""
        ids, start, end = _span(keys)
        rows = (
            await policy.visible_submissions(self.viewer)
            .filter(
                homework__lesson__school_class_id__in=ids,
                homework__lesson__date__gte=start,
                homework__lesson__date__lte=end,
            )
            .select_related("homework__lesson")
            .order_by("homework__lesson__date", "homework__lesson__period", "homework_id", "id")
        )
        grouped = _group(rows, lambda r: r.homework.lesson.school_class_id)
        return [[r for r in grouped.get(k.id, []) if k.start <= r.homework.lesson.date <= k.end] for k in keys]

    async def _remarks_by_student(self, keys: list[RangeKey]) -> list[list[models.Remark]]:
        """Newest first, through the policy: a student visible to a teacher of another class
        still shows only the remarks this viewer may read."""
        ids, start, end = _span(keys)
        rows = (
            await policy.visible_remarks(self.viewer)
            .filter(student_id__in=ids, date__gte=start, date__lte=end)
            .order_by("-date", "-created_at", "-id")
        )
        grouped = _group(rows, lambda r: r.student_id)
        return [[r for r in grouped.get(k.id, []) if k.start <= r.date <= k.end] for k in keys]

    async def _register_readable_by_lesson(self, ids: list[int]) -> list[bool]:
        lessons = [x for x in await self.lesson_by_id.load_many(ids) if x is not None]
        readable = await policy.register_readable(self.viewer, lessons)
        return [i in readable for i in ids]

    async def _register_by_lesson(self, ids: list[int]) -> list[list[RegisterRowData]]:
        """Each lesson's students on its date (``policy.attendees``: enrolled in its class, or
        a group's lesson's members that day), by name, with marks, notices and history: five
        statements for any number of lessons."""
        lessons = [x for x in await self.lesson_by_id.load_many(ids) if x is not None]
        if not lessons:
            return [[] for _ in ids]
        class_ids = list({x.school_class_id for x in lessons})
        group_ids = list({x.group_id for x in lessons if x.group_id is not None})
        lesson_ids = [x.id for x in lessons]
        start, end = min(x.date for x in lessons), max(x.date for x in lessons)
        pupils = Q(
            student_id__in=Subquery(models.Enrollment.filter(school_class_id__in=class_ids).values("student_id"))
        )
        pupils |= Q(student_id__in=Subquery(models.GroupMembership.filter(group_id__in=group_ids).values("student_id")))
        enrollments, memberships, marks, revisions, items = await asyncio.gather(
            models.Enrollment.filter(
                Q(end_date__isnull=True) | Q(end_date__gte=start),
                school_class_id__in=class_ids,
                start_date__lte=end,
            ).select_related("student"),
            models.GroupMembership.filter(
                Q(end_date__isnull=True) | Q(end_date__gte=start), group_id__in=group_ids, start_date__lte=end
            ).select_related("student"),
            models.Attendance.filter(lesson_id__in=lesson_ids),
            models.AttendanceRevision.filter(lesson_id__in=lesson_ids).order_by("at", "id"),
            models.AbsenceNoticeItem.filter(
                pupils,
                Q(lesson_id__in=lesson_ids) | Q(lesson_id__isnull=True),
                date__in=list({x.date for x in lessons}),
            ).select_related("notice"),
        )
        mark_of = {(a.lesson_id, a.student_id): a for a in marks}
        history = _group(revisions, lambda r: (r.lesson_id, r.student_id))
        result: dict[int, list[RegisterRowData]] = {}
        for lesson in lessons:
            rows = []
            spans: list[Any] = (
                [m for m in memberships if m.group_id == lesson.group_id]
                if lesson.group_id is not None
                else [e for e in enrollments if e.school_class_id == lesson.school_class_id]
            )
            for span in spans:
                if not (span.start_date <= lesson.date and (span.end_date is None or span.end_date >= lesson.date)):
                    continue
                student = span.student
                notice = next(
                    (
                        i.notice
                        for i in items
                        if i.student_id == student.id
                        and (i.lesson_id == lesson.id or (i.lesson_id is None and i.date == lesson.date))
                    ),
                    None,
                )
                key = (lesson.id, student.id)
                rows.append(RegisterRowData(student, lesson, mark_of.get(key), notice, history.get(key, [])))
            rows.sort(key=lambda r: (r.student.full_name, r.student.id))
            result[lesson.id] = rows
        return [result.get(i, []) for i in ids]

    async def _attendance_revisions_by_mark(self, keys: list[tuple[int, int]]) -> list[list[models.AttendanceRevision]]:
        """Keys are (student id, lesson id); the changes of that mark, oldest first."""
        rows = await models.AttendanceRevision.filter(
            student_id__in={k[0] for k in keys}, lesson_id__in={k[1] for k in keys}
        ).order_by("at", "id")
        grouped = _group(rows, lambda r: (r.student_id, r.lesson_id))
        return [grouped.get(k, []) for k in keys]

    async def _attendance_by_mark(self, keys: list[tuple[int, int]]) -> list[models.Attendance | None]:
        """Keys are (student id, lesson id); that student's mark at that lesson, if any."""
        rows = await models.Attendance.filter(student_id__in={k[0] for k in keys}, lesson_id__in={k[1] for k in keys})
        found = {(r.student_id, r.lesson_id): r for r in rows}
        return [found.get(k) for k in keys]

    async def _absence_notices_by_student(self, keys: list[RangeKey]) -> list[list[models.AbsenceNotice]]:
        """A notice spanning days of two windows (a transfer during the absence) is seen whole
        by each side whose window it overlaps."""
        ids, start, end = _span(keys)
        rows = await models.AbsenceNotice.filter(student_id__in=ids, start_date__lte=end, end_date__gte=start).order_by(
            "start_date", "id"
        )
        seen = await self._windows(ids)
        grouped = _group(rows, lambda n: n.student_id)
        return [
            [
                n
                for n in grouped.get(k.id, [])
                if n.start_date <= k.end
                and n.end_date >= k.start
                and any(w.overlaps(n.start_date, n.end_date) for w in seen[k.id])
            ]
            for k in keys
        ]

    async def _windows(self, ids: list[int]) -> dict[int, list[windows.Window]]:
        return dict(zip(ids, await self.windows_by_student.load_many(ids), strict=True))

    async def _windows_by_student(self, ids: list[int]) -> list[list[windows.Window]]:
        found = await windows.windows_of(self.viewer, list(set(ids)))
        return [found[i] for i in ids]

    async def _absence_notice_items_by_notice(self, ids: list[int]) -> list[list[models.AbsenceNoticeItem]]:
        rows = await models.AbsenceNoticeItem.filter(notice_id__in=set(ids)).order_by("date", "id")
        grouped = _group(rows, lambda i: i.notice_id)
        return [grouped.get(i, []) for i in ids]

    async def _visible_slots_by_school(self, ids: list[int]) -> list[list[models.TimetableSlot]]:
        """The timetable of each school's classes the viewer sees, by class, weekday, period."""
        rows = (
            await policy.visible_slots(self.viewer)
            .filter(school_class__school_id__in=set(ids))
            .select_related("school_class")
            .order_by("school_class__grade_level", "school_class__letter", "weekday", "period", "valid_from", "id")
        )
        self.prime_many(self.class_by_id, [s.school_class for s in rows])
        grouped = _group(rows, lambda s: s.school_class.school_id)
        return [grouped.get(i, []) for i in ids]

    async def _short_days_by_school(self, keys: list[RangeKey]) -> list[list[models.ShortDay]]:
        ids, start, end = _span(keys)
        rows = await models.ShortDay.filter(school_id__in=ids, date__gte=start, date__lte=end).order_by("date")
        grouped = _group(rows, lambda d: d.school_id)
        return [[d for d in grouped.get(k.id, []) if k.start <= d.date <= k.end] for k in keys]

    async def _term_grades_by_student(self, keys: list[tuple[int, str]]) -> list[list[models.TermGrade]]:
        """Final grades per (student id, period key "term:<id>" / "year:<id>"), every subject."""
        rows = await models.TermGrade.filter(
            student_id__in={k[0] for k in keys}, period_key__in={k[1] for k in keys}
        ).order_by("subject_id", "id")
        grouped = _group(rows, lambda t: (t.student_id, t.period_key))
        return [grouped.get(k, []) for k in keys]

    async def _final_grades_by_student(self, keys: list[tuple[int, int]]) -> list[list[models.TermGrade]]:
        """The final grades the viewer reads per (student id, academic year id), through the policy
        (``visible_term_grades``): by subject, each term's (by its first day) before the year's."""
        rows = await (
            policy.visible_term_grades(self.viewer)
            .filter(student_id__in={k[0] for k in keys}, academic_year_id__in={k[1] for k in keys})
            .select_related("term")
        )
        self.prime_many(self.term_by_id, [t.term for t in rows if t.term is not None])
        rows.sort(key=lambda t: (t.subject_id, t.term is None, t.term.start_date if t.term else date.min, t.id))
        grouped = _group(rows, lambda t: (t.student_id, t.academic_year_id))
        return [grouped.get(k, []) for k in keys]

    async def _classes_by_meeting(self, ids: list[int]) -> list[list[models.SchoolClass]]:
        rows = await models.MeetingClass.filter(meeting_id__in=set(ids)).select_related("school_class")
        self.prime_many(self.class_by_id, [r.school_class for r in rows])
        grouped = _group(rows, lambda r: r.meeting_id)
        ordered = {
            k: sorted(v, key=lambda r: (r.school_class.grade_level, r.school_class.letter)) for k, v in grouped.items()
        }
        return [[r.school_class for r in ordered.get(i, [])] for i in ids]

    async def _visible_group_by_id(self, ids: list[int]) -> list[models.ClassGroup | None]:
        """Each group if the viewer sees it (``policy.visible_class_groups``): one statement."""
        found = {g.id: g for g in await policy.visible_class_groups(self.viewer).filter(id__in=set(ids))}
        return [found.get(i) for i in ids]

    async def _visible_groups_by_class(self, ids: list[int]) -> list[list[models.ClassGroup]]:
        """The groups drawing from each class that the viewer sees, by name: one statement."""
        links = models.ClassGroupClass.filter(school_class_id__in=set(ids))
        rows = await links.filter(
            group_id__in=Subquery(policy.visible_class_groups(self.viewer).values("id"))
        ).select_related("group")
        self.prime_many(self.visible_group_by_id, [r.group for r in rows])
        grouped = _group(rows, lambda r: r.school_class_id)
        return [[r.group for r in sorted(grouped.get(i, []), key=lambda r: (r.group.name, r.group_id))] for i in ids]

    async def _classes_by_group(self, ids: list[int]) -> list[list[models.SchoolClass]]:
        """The classes each group draws from, by grade level and letter: one statement."""
        rows = await models.ClassGroupClass.filter(group_id__in=set(ids)).select_related("school_class")
        self.prime_many(self.class_by_id, [r.school_class for r in rows])
        grouped = _group(rows, lambda r: r.group_id)
        key = lambda r: (r.school_class.grade_level, r.school_class.letter, r.school_class_id)  # noqa: E731
        return [[r.school_class for r in sorted(grouped.get(i, []), key=key)] for i in ids]

    async def _members_by_group(self, ids: list[int]) -> list[list[models.GroupMembership]]:
        """Every membership of each group whose student the viewer sees
        (``policy.visible_group_memberships``), by the student's name then start: one statement."""
        rows = (
            await policy.visible_group_memberships(self.viewer)
            .filter(group_id__in=set(ids))
            .select_related("student")
            .order_by("student__full_name", "student_id", "start_date", "id")
        )
        self.prime_many(self.student_by_id, [r.student for r in rows])
        grouped = _group(rows, lambda r: r.group_id)
        return [grouped.get(i, []) for i in ids]

    async def _meeting_staffed(self, ids: list[int]) -> list[bool]:
        """Whether the viewer sees the meeting as staff (every answer), not as an invited parent."""
        rows = await policy.staffed_meetings(self.viewer).filter(id__in=set(ids)).values("id")
        found = {int(row["id"]) for row in rows}
        return [i in found for i in ids]

    async def _members_by_chat(self, ids: list[int]) -> list[list[models.ChatMember]]:
        """Current members of each chat, by name then membership (``Chat.participants``'s
        order), with their users (primed): one statement."""
        rows = (
            await models.ChatMember.filter(chat_id__in=set(ids), removed_at__isnull=True)
            .select_related("user")
            .order_by(chats.MEMBERS.by or "id", "id")
        )
        self.prime_many(self.user_by_id, [m.user for m in rows])
        grouped = _group(rows, lambda m: m.chat_id)
        return [grouped.get(i, []) for i in ids]

    async def _last_message_by_chat(self, ids: list[int]) -> list[models.Message | None]:
        """The newest message (tombstones too) of each chat, with its author: one statement."""
        newest = models.Message.filter(chat_id__in=set(ids)).group_by("chat_id").annotate(newest=Max("id"))
        rows = await models.Message.filter(id__in=Subquery(newest.values("newest"))).select_related("author")
        found = {m.chat_id: m for m in rows}
        self.prime_many(self.message_by_id, rows)
        self.prime_many(self.user_by_id, [m.author for m in rows])
        return [found.get(i) for i in ids]

    async def _unread_by_chat(self, ids: list[int]) -> list[int]:
        """The viewer's unread messages per chat: newer than their read position, not their
        own, not deleted. One grouped statement for every chat of a list."""
        uid = self.viewer.user_id if self.viewer.user_id is not None else policy.NOBODY
        rows = await core.fetch(_UNREAD_SQL.format(ids=core.placeholders(len(set(ids)))), [uid, *set(ids), uid])
        counts = {int(r["chat_id"]): int(r["unread"]) for r in rows}
        return [counts.get(i, 0) for i in ids]

    async def _guardianships_by_student(self, ids: list[int]) -> list[list[models.Guardianship]]:
        """Each student's guardianships the viewer may see (``policy.visible_guardianships``),
        oldest first, with their guardians (primed): one statement."""
        rows = (
            await policy.visible_guardianships(self.viewer)
            .filter(student_id__in=set(ids))
            .select_related("guardian")
            .order_by("created_at", "id")
        )
        self.prime_many(self.user_by_id, [g.guardian for g in rows])
        grouped = _group(rows, lambda g: g.student_id)
        return [grouped.get(i, []) for i in ids]

    async def _login_by_student(self, ids: list[int]) -> list[models.User | None]:
        """Each student's own login, for those whose login the viewer reads
        (``policy.login_readable_students``), primed as users: one statement."""
        rows = (
            await policy.login_readable_students(self.viewer)
            .filter(id__in=set(ids), user_id__isnull=False)
            .select_related("user")
        )
        found: dict[int, models.User] = {s.id: s.user for s in rows if s.user is not None}
        self.prime_many(self.user_by_id, found.values())
        return [found.get(i) for i in ids]

    async def _revocations_by_guardianship(self, ids: list[int]) -> list[list[models.GuardianshipRevocation]]:
        """Each guardianship's revocations, newest first, for the admins who run it
        (``policy.administered_guardianships``); nobody else reads one: one statement."""
        administered = policy.administered_guardianships(self.viewer).filter(id__in=set(ids)).values("id")
        rows = await models.GuardianshipRevocation.filter(guardianship_id__in=Subquery(administered)).order_by(
            "-revoked_at", "-id"
        )
        grouped = _group(rows, lambda r: r.guardianship_id)
        return [grouped.get(i, []) for i in ids]

    async def _membership_by_chat(self, ids: list[int]) -> list[models.ChatMember | None]:
        """The viewer's current membership of each chat."""
        rows = await models.ChatMember.filter(
            chat_id__in=set(ids), user_id=self.viewer.user_id, removed_at__isnull=True
        )
        found = {m.chat_id: m for m in rows}
        return [found.get(i) for i in ids]


_UNREAD_SQL = """
SELECT m.chat_id AS chat_id, COUNT(*) AS unread
FROM chat_message m
JOIN chat_member cm ON cm.chat_id = m.chat_id AND cm.user_id = ? AND cm.removed_at IS NULL
WHERE m.chat_id IN ({ids}) AND m.id > COALESCE(cm.last_read_message_id, 0)
  AND m.author_id <> ? AND m.deleted_at IS NULL
GROUP BY m.chat_id
"""


_FACTORIES: dict[str, Callable[[Loaders], DataLoader[Any, Any]]] = {
    "user_by_id": lambda loaders: DataLoader(_by_id(models.User)),
    "school_by_id": lambda loaders: DataLoader(_by_id(models.School)),
    "subject_by_id": lambda loaders: DataLoader(_by_id(models.Subject)),
    "class_by_id": lambda loaders: DataLoader(_by_id(models.SchoolClass)),
    "lesson_by_id": lambda loaders: DataLoader(_by_id(models.Lesson)),
    "student_by_id": lambda loaders: DataLoader(_by_id(models.Student)),
    "grade_by_id": lambda loaders: DataLoader(_by_id(models.Grade)),
    "homework_by_id": lambda loaders: DataLoader(loaders._homework_by_id),
    "term_grade_by_id": lambda loaders: DataLoader(_by_id(models.TermGrade)),
    "class_by_student": lambda loaders: DataLoader(loaders._class_by_student),
    "visible_students_by_class": lambda loaders: DataLoader(loaders._visible_students_by_class),
    "diary_by_student": lambda loaders: DataLoader(loaders._diary_by_student),
    "grades_by_student": lambda loaders: DataLoader(loaders._grades_by_student),
    "removed_grades_by_student": lambda loaders: DataLoader(loaders._removed_grades_by_student),
    "homework_by_lesson": lambda loaders: DataLoader(loaders._homework_by_lesson),
    "assessment_by_lesson": lambda loaders: DataLoader(loaders._assessment_by_lesson),
    "assessment_by_id": lambda loaders: DataLoader(loaders._assessment_by_id),
    "upcoming_assessments_by_student": lambda loaders: DataLoader(loaders._upcoming_assessments_by_student),
    "days_off_by_school": lambda loaders: DataLoader(loaders._days_off_by_school),
    "lessons_by_class": lambda loaders: DataLoader(loaders._lessons_by_class),
    "terms_by_school": lambda loaders: DataLoader(loaders._terms_by_school),
    "student_visible": lambda loaders: DataLoader(loaders._student_visible),
    "face_visible": lambda loaders: DataLoader(loaders._face_visible),
    "visible_classes_by_school": lambda loaders: DataLoader(loaders._visible_classes_by_school),
    "any_homework_by_id": lambda loaders: DataLoader(_by_id(models.Homework)),
    "remarks_by_student": lambda loaders: DataLoader(loaders._remarks_by_student),
    "register_readable_by_lesson": lambda loaders: DataLoader(loaders._register_readable_by_lesson),
    "register_by_lesson": lambda loaders: DataLoader(loaders._register_by_lesson),
    "attendance_revisions_by_mark": lambda loaders: DataLoader(loaders._attendance_revisions_by_mark),
    "attendance_by_mark": lambda loaders: DataLoader(loaders._attendance_by_mark),
    "absence_notices_by_student": lambda loaders: DataLoader(loaders._absence_notices_by_student),
    "windows_by_student": lambda loaders: DataLoader(loaders._windows_by_student),
    "absence_notice_items_by_notice": lambda loaders: DataLoader(loaders._absence_notice_items_by_notice),
    "term_grades_by_student": lambda loaders: DataLoader(loaders._term_grades_by_student),
    "final_grades_by_student": lambda loaders: DataLoader(loaders._final_grades_by_student),
    "subject_totals_by_class": lambda loaders: DataLoader(averages.totals_by_subject),
    "student_totals_by_class": lambda loaders: DataLoader(averages.totals_by_student),
    "day_totals_by_chart": lambda loaders: DataLoader(averages.totals_by_day),
    "term_by_id": lambda loaders: DataLoader(_by_id(models.Term)),
    "lesson_counts_by_student": lambda loaders: DataLoader(averages.lesson_counts),
    "grade_totals_by_student": lambda loaders: DataLoader(averages.grade_totals),
    "outbox_event_by_id": lambda loaders: DataLoader(_by_id(models.OutboxEvent)),
    "announcement_by_id": lambda loaders: DataLoader(_by_id(models.Announcement)),
    "meeting_by_id": lambda loaders: DataLoader(_by_id(models.Meeting)),
    "classes_by_meeting": lambda loaders: DataLoader(loaders._classes_by_meeting),
    "responses_by_meeting": lambda loaders: DataLoader(
        _by_key(models.MeetingResponse, "meeting_id", "answered_at", "id")
    ),
    "meeting_staffed": lambda loaders: DataLoader(loaders._meeting_staffed),
    "day_off_by_id": lambda loaders: DataLoader(_by_id(models.DayOff)),
    "visible_slots_by_school": lambda loaders: DataLoader(loaders._visible_slots_by_school),
    "short_days_by_school": lambda loaders: DataLoader(loaders._short_days_by_school),
    "chat_by_id": lambda loaders: DataLoader(_by_id(models.Chat)),
    "message_by_id": lambda loaders: DataLoader(_by_id(models.Message)),
    "members_by_chat": lambda loaders: DataLoader(loaders._members_by_chat),
    "last_message_by_chat": lambda loaders: DataLoader(loaders._last_message_by_chat),
    "unread_by_chat": lambda loaders: DataLoader(loaders._unread_by_chat),
    "membership_by_chat": lambda loaders: DataLoader(loaders._membership_by_chat),
    "administered_by_school": lambda loaders: DataLoader(loaders._administered_by_school),
    "audit_page_by_school": lambda loaders: DataLoader(audit_log.pages_by_school),
    "account_page_by_school": lambda loaders: DataLoader(partial(account_list.pages_by_school, loaders.viewer)),
    "member_page_by_chat": lambda loaders: DataLoader(partial(chats.MEMBERS.pages, loaders.viewer)),
    "response_page_by_meeting": lambda loaders: DataLoader(partial(meetings.ANSWERS.pages, loaders.viewer)),
    "school_page_by_district": lambda loaders: DataLoader(partial(schools.DISTRICT_SCHOOLS.pages, loaders.viewer)),
    "guardianships_by_student": lambda loaders: DataLoader(loaders._guardianships_by_student),
    "revocations_by_guardianship": lambda loaders: DataLoader(loaders._revocations_by_guardianship),
    "login_by_student": lambda loaders: DataLoader(loaders._login_by_student),
    "visible_group_by_id": lambda loaders: DataLoader(loaders._visible_group_by_id),
    "visible_groups_by_class": lambda loaders: DataLoader(loaders._visible_groups_by_class),
    "classes_by_group": lambda loaders: DataLoader(loaders._classes_by_group),
    "members_by_group": lambda loaders: DataLoader(loaders._members_by_group),
    "attendees_by_lesson": lambda loaders: DataLoader(loaders._attendees_by_lesson),
    "submissions_by_class": lambda loaders: DataLoader(loaders._submissions_by_class),
}
