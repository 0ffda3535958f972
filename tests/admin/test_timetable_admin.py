"""timetableSlotCreate / Update / Delete, lessonCancel / Restore / Substitute, School.timetable:
an admin runs the weekly timetable, the year's lessons follow, and no grade is ever lost.

Each test builds its own school from factories (its admin runs it) with fresh classes, each
with one student and two mathematics teachers; dates are counted from the clock's today."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import models
from resolvers import lesson_plan
from resolvers.core import now_utc, today_utc
from tests.api.test_statements import _count, _explain
from tests.client import Client
from tests.conftest import StatementCounter
from tests.factories import Factory, SchoolKit
from tests.helpers import gid, open_socket

RESULT = """__typename
  ... on TimetableSlotSuccess { slot { id weekday period room validFrom validTo teacher { fullName }
    subject { name } schoolClass { name } } lessons { created updated removed cancelled restored kept { id date } } }
  ... on ValidationError { fields { field code } }
  ... on Error { code message }"""
CREATE = "mutation C($input: TimetableSlotCreateInput!) { timetableSlotCreate(input: $input) { " + RESULT + " } }"
UPDATE = "mutation U($input: TimetableSlotUpdateInput!) { timetableSlotUpdate(input: $input) { " + RESULT + " } }"
DELETE = """mutation D($input: TimetableSlotDeleteInput!) { timetableSlotDelete(input: $input) { __typename
  ... on TimetableSlotDeleteSuccess { slot { id validTo } lessons { created removed kept { id date } } }
  ... on Error { code message } } }"""
LESSON_RESULT = """__typename ... on LessonChangeSuccess { lesson { id status cancelReason substitutionReason
  teacher { fullName } substitutedTeacher { fullName } } }
  ... on ValidationError { fields { field code } } ... on Error { code message }"""
CANCEL = "mutation C($input: LessonCancelInput!) { lessonCancel(input: $input) { " + LESSON_RESULT + " } }"
RESTORE = "mutation R($input: LessonRestoreInput!) { lessonRestore(input: $input) { " + LESSON_RESULT + " } }"
SUBSTITUTE = "mutation S($input: LessonSubstituteInput!) { lessonSubstitute(input: $input) { " + LESSON_RESULT + " } }"
CLASS_LESSONS = """query L($id: ID!, $from: Date!, $to: Date!) { node(id: $id) { ... on SchoolClass {
  lessons(from: $from, to: $to) { id date period startsAt room status teacher { fullName } subject { name } } } } }"""
DIARY = """query D($id: ID!, $from: Date!, $to: Date!) { student(id: $id) { diary(from: $from, to: $to) {
  date kind entries { lesson { id period status cancelReason substitutionReason teacher { fullName }
  substitutedTeacher { fullName } } } } } }"""
TIMETABLE = """{ viewer { schools { name timetable { id weekday period room validFrom validTo
  schoolClass { name } subject { name } teacher { fullName } } } } }"""

YEAR_DAYS_AHEAD = 200  # the school year runs on this long after today: over 20 weeks of lessons to come


@dataclass
class Fresh:
    """A class of the school with one student and two mathematics teachers assigned to it."""

    kit: SchoolKit
    school: models.School
    class_name: str
    klass: models.SchoolClass
    subject: models.Subject
    teacher: models.User
    other_teacher: models.User
    student: models.Student
    year: models.AcademicYear


async def _school(factory: Factory, name: str = "School") -> SchoolKit:
    """A school (no classes yet) teaching mathematics and Russian, whose year and its one term
    run from 120 days ago to ``YEAR_DAYS_AHEAD`` days on."""
    kit = await factory.school(name, subjects=("Mathematics", "Russian"), classes=())
    end = today_utc() + timedelta(days=YEAR_DAYS_AHEAD)
    kit.year.end_date = end
    await kit.year.save(update_fields=["end_date"])
    kit.term.end_date = end
    await kit.term.save(update_fields=["end_date"])
    return kit


async def _fresh(factory: Factory, kit: SchoolKit) -> Fresh:
    """A new class of ``kit`` (grade 10, letter T<n>) with its student and two mathematics teachers."""
    n = len(kit.classes) + 1
    klass = await models.SchoolClass.create(
        school=kit.school, academic_year=kit.year, grade_level=10, letter=f"T{n}", homeroom_teacher=None
    )
    kit.classes[klass.name] = klass
    teachers = [await factory.teacher(kit, [(klass.name, "Mathematics")], name=f"teacher{n}-{k}") for k in range(2)]
    student = await factory.student(kit, klass.name, f"pupil{n}", login=False)
    return Fresh(
        kit, kit.school, klass.name, klass, kit.subjects["Mathematics"], teachers[0], teachers[1], student, kit.year
    )


async def _counts() -> tuple[int, int, int]:
    return (
        await models.TimetableSlot.all().count(),
        await models.Lesson.all().count(),
        await models.AuditEntry.all().count(),
    )


def _school_days(f: Fresh, weekday: int, first: date, last: date, days_off: list[models.DayOff]) -> list[date]:
    out = []
    day = first
    while day <= last:
        off = any(d.start_date <= day <= d.end_date for d in days_off)
        if day.isoweekday() == weekday and not off:
            out.append(day)
        day += timedelta(days=1)
    return out


async def _create(client: Client, f: Fresh, **overrides: Any) -> dict[str, Any]:
    fields = {
        "schoolClassId": gid(f.klass, "SchoolClass"),
        "subjectId": gid(f.subject, "Subject"),
        "teacherId": gid(f.teacher, "User"),
        "weekday": 3,
        "period": 2,
        "room": f" {f.klass.id}-1 ",
        **overrides,
    }
    result: dict[str, Any] = (await client.data(CREATE, input=fields))["timetableSlotCreate"]
    return result


async def _slot(client: Client, f: Fresh, **overrides: Any) -> dict[str, Any]:
    result = await _create(client, f, **overrides)
    assert result["__typename"] == "TimetableSlotSuccess", result
    return result


async def _lessons(client: Client, f: Fresh, first: date, last: date) -> list[dict[str, Any]]:
    data = await client.data(CLASS_LESSONS, id=gid(f.klass, "SchoolClass"), **{"from": str(first), "to": str(last)})
    lessons: list[dict[str, Any]] = data["node"]["lessons"]
    return lessons


async def test_a_new_slot_gives_lessons_for_the_rest_of_the_year(factory: Factory) -> None:
    kit = await _school(factory)
    admin = factory.client(kit.admin)
    f = await _fresh(factory, kit)
    today = today_utc()
    await factory.day_off(
        kit, today + timedelta(days=21), today + timedelta(days=34), models.DayOffKind.VACATION, "Winter vacation"
    )
    before = await _counts()
    result = await _slot(admin, f)
    slot = result["slot"]
    assert (slot["weekday"], slot["period"], slot["room"], slot["validTo"]) == (3, 2, f"{f.klass.id}-1", None)
    assert slot["validFrom"] == str(max(today, f.year.start_date))
    assert (slot["teacher"]["fullName"], slot["subject"]["name"], slot["schoolClass"]["name"]) == (
        f.teacher.full_name,
        "Mathematics",
        f.klass.name,
    )
    days_off = list(await models.DayOff.filter(school_id=f.school.id))
    expected = _school_days(f, 3, today, f.year.end_date, days_off)
    assert result["lessons"]["created"] == len(expected) > 20
    assert await _counts() == (before[0] + 1, before[1] + len(expected), before[2] + 1)

    # The admin reads them back, and the family sees them in the diary, at the bells of period 2.
    window_end = today + timedelta(days=60)
    lessons = await _lessons(admin, f, today, window_end)
    assert [x["date"] for x in lessons] == [str(d) for d in expected if d <= window_end]
    bell = await models.BellPeriod.get(school_id=f.school.id, variant=models.BellVariant.REGULAR, number=2)
    first = lessons[0]
    assert (first["period"], first["room"], first["status"], first["teacher"]["fullName"]) == (
        2,
        f"{f.klass.id}-1",
        "SCHEDULED",
        f.teacher.full_name,
    )
    starts = datetime.fromisoformat(first["startsAt"]).astimezone(ZoneInfo(f.school.timezone))
    assert (starts.date().isoformat(), starts.time()) == (first["date"], bell.starts_at)
    diary = await admin.data(DIARY, id=gid(f.student, "Student"), **{"from": str(today), "to": str(window_end)})
    entries = [e["lesson"]["id"] for d in diary["student"]["diary"] for e in d["entries"]]
    assert entries == [x["id"] for x in lessons]
    # The winter vacation is in the school's calendar: no lesson falls in it.
    winter = next(d for d in days_off if d.name == "Winter vacation")
    assert not await models.Lesson.filter(
        school_class_id=f.klass.id, date__gte=winter.start_date, date__lte=winter.end_date
    ).exists()


async def test_generation_is_idempotent_and_set_based(factory: Factory, count_statements: StatementCounter) -> None:
    kit = await _school(factory)
    admin = factory.client(kit.admin)
    f = await _fresh(factory, kit)
    await _slot(admin, f)
    slot = await models.TimetableSlot.get(school_class_id=f.klass.id)
    before = await models.Lesson.filter(school_class_id=f.klass.id).count()
    count_statements.statements.clear()
    report = await lesson_plan.sync_lessons([slot], today_utc(), f.year.end_date, reshape=True)
    assert (report.created, report.removed, report.updated, report.cancelled, report.kept) == (0, 0, 0, 0, [])
    assert await models.Lesson.filter(school_class_id=f.klass.id).count() == before
    # Reading the slots' lessons, their records, the classes and the calendar: a few statements, not one a lesson.
    assert count_statements.count <= 8, count_statements.statements
    # A lost lesson comes back, in one INSERT with the rest.
    last = await models.Lesson.filter(school_class_id=f.klass.id).order_by("-date").first()
    assert last is not None
    await last.delete()
    count_statements.statements.clear()
    report = await lesson_plan.sync_lessons([slot], today_utc(), f.year.end_date, reshape=True)
    assert report.created == 1
    assert sum("INSERT" in s for s in count_statements.statements) == 1


@pytest.mark.parametrize(
    ("overrides", "codes"),
    [
        ({"weekday": 6}, [("weekday", "WEEKDAY_OUT_OF_RANGE")]),
        ({"period": 9}, [("period", "PERIOD_NOT_IN_BELL_SCHEDULE")]),
        ({"room": "x" * 51}, [("room", "ROOM_TOO_LONG")]),
        ({"validFrom": "2001-09-01"}, [("validFrom", "OUTSIDE_ACADEMIC_YEAR")]),
        ({"weekday": 0, "period": 0}, [("weekday", "WEEKDAY_OUT_OF_RANGE"), ("period", "PERIOD_NOT_IN_BELL_SCHEDULE")]),
    ],
)
async def test_bad_input_is_refused_and_changes_nothing(
    factory: Factory, overrides: dict[str, Any], codes: list[tuple[str, str]]
) -> None:
    kit = await _school(factory)
    f = await _fresh(factory, kit)
    before = await _counts()
    result = await _create(factory.client(kit.admin), f, **overrides)
    assert result["__typename"] == "ValidationError", result
    assert [(x["field"], x["code"]) for x in result["fields"]] == codes
    assert await _counts() == before


async def test_the_teacher_must_teach_the_subject_in_the_class(factory: Factory) -> None:
    kit = await _school(factory)
    admin = factory.client(kit.admin)
    f = await _fresh(factory, kit)
    g = await _fresh(factory, kit)
    # Teachers of the school who teach Russian in the class, or mathematics in another class only.
    russian = await factory.teacher(kit, [(f.class_name, "Russian")], name="russian")
    before = await _counts()
    for stranger in (russian, g.teacher):
        result = await _create(admin, f, teacherId=gid(stranger, "User"))
        assert (result["__typename"], result["code"]) == ("ValidationError", "TEACHER_NOT_ASSIGNED")
    # The admin themself is visible but does not teach.
    assert kit.admin is not None
    result = await _create(admin, f, teacherId=gid(kit.admin, "User"))
    assert [(x["field"], x["code"]) for x in result["fields"]] == [("teacherId", "NOT_A_TEACHER")]
    assert await _counts() == before


async def test_conflicts_are_refused(factory: Factory) -> None:
    kit = await _school(factory)
    admin = factory.client(kit.admin)
    f = await _fresh(factory, kit)
    await _slot(admin, f, weekday=2, period=7, room="R-1")
    before = await _counts()
    # The same class at the same time (another teacher, no room).
    clash = await _create(admin, f, weekday=2, period=7, teacherId=gid(f.other_teacher, "User"), room=None)
    assert [(x["field"], x["code"]) for x in clash["fields"]] == [("period", "CLASS_BUSY")]
    # The same teacher in another class at the same time, and the room taken.
    g = await _fresh(factory, kit)
    await models.TeachingAssignment.create(teacher=f.teacher, school_class=g.klass, subject=g.subject)
    double = await _create(admin, g, weekday=2, period=7, room="R-1", teacherId=gid(f.teacher, "User"))
    assert [(x["field"], x["code"]) for x in double["fields"]] == [
        ("teacherId", "TEACHER_BUSY"),
        ("room", "ROOM_TAKEN"),
    ]
    assert await _counts() == before
    # Not overlapping in dates: fine.
    later = f.year.end_date - timedelta(days=20)
    await admin.data(UPDATE, input={"slotId": (await _only_slot(f))["id"], "validTo": str(later - timedelta(days=1))})
    ok = await _create(
        admin, g, weekday=2, period=7, room="R-1", teacherId=gid(f.teacher, "User"), validFrom=str(later)
    )
    assert ok["__typename"] == "TimetableSlotSuccess", ok


async def _only_slot(f: Fresh) -> dict[str, Any]:
    slot = await models.TimetableSlot.get(school_class_id=f.klass.id)
    return {"id": gid(slot, "TimetableSlot"), "model": slot}


async def test_changing_a_slot_moves_future_lessons_and_keeps_those_with_records(factory: Factory) -> None:
    kit = await _school(factory)
    admin = factory.client(kit.admin)
    f = await _fresh(factory, kit)
    await _slot(admin, f, weekday=3, period=2)
    slot = (await _only_slot(f))["model"]
    today = today_utc()
    lessons = await models.Lesson.filter(slot_id=slot.id).order_by("date")
    # A past lesson of the slot with a grade (history), and a future one with homework.
    past = await models.Lesson.create(
        school_class_id=f.klass.id,
        subject_id=f.subject.id,
        teacher_id=f.teacher.id,
        slot_id=slot.id,
        date=today - timedelta(days=7),
        period=2,
        starts_at=lessons[0].starts_at - timedelta(days=7),
        ends_at=lessons[0].ends_at - timedelta(days=7),
        topic="Fractions",
    )
    grade = await factory.grade(f.student, past, value="5")
    busy = lessons[1]
    await factory.homework(busy, "Exercises 1-5")
    # And one with an announced assessment (one called off does not hold its lesson).
    tested = lessons[2]
    await models.PlannedAssessment.create(
        lesson=tested, kind=models.GradeKind.TEST, description="Test", planned_by_id=f.teacher.id
    )
    await models.PlannedAssessment.create(
        lesson=lessons[3],
        kind=models.GradeKind.TEST,
        description="Off",
        planned_by_id=f.teacher.id,
        cancelled_at=now_utc(),
    )
    result = (
        await admin.data(
            UPDATE,
            input={
                "slotId": gid(slot, "TimetableSlot"),
                "weekday": 5,
                "period": 3,
                "teacherId": gid(f.other_teacher, "User"),
                "room": "",
            },
        )
    )["timetableSlotUpdate"]
    assert result["__typename"] == "TimetableSlotSuccess", result
    assert (result["slot"]["weekday"], result["slot"]["period"], result["slot"]["room"]) == (5, 3, None)
    report = result["lessons"]
    assert report["kept"] == [{"id": gid(x, "Lesson"), "date": str(x.date)} for x in (busy, tested)]
    assert report["removed"] == len(lessons) - 2
    # Future lessons are on Fridays in period 3 with the new teacher; the kept one stays where it was.
    future = await _lessons(admin, f, today, today + timedelta(days=40))
    moved = [x for x in future if x["id"] not in (gid(busy, "Lesson"), gid(tested, "Lesson"))]
    assert moved
    assert {date.fromisoformat(x["date"]).isoweekday() for x in moved} == {5}
    assert {(x["period"], x["room"], x["teacher"]["fullName"]) for x in moved} == {(3, None, f.other_teacher.full_name)}
    # The past lesson and its grade are history: untouched.
    await past.refresh_from_db()
    assert (past.teacher_id, past.period, past.date.isoweekday()) == (
        f.teacher.id,
        2,
        (today - timedelta(days=7)).isoweekday(),
    )
    assert await models.Grade.filter(id=grade.id, lesson_id=past.id, deleted_at__isnull=True).exists()


async def test_changing_the_teacher_keeps_substitutions_and_grades(factory: Factory) -> None:
    kit = await _school(factory)
    admin = factory.client(kit.admin)
    f = await _fresh(factory, kit)
    await _slot(admin, f)
    slot = (await _only_slot(f))["model"]
    first = await models.Lesson.filter(slot_id=slot.id).order_by("date").first()
    assert first is not None
    substitute = (await _fresh(factory, kit)).teacher  # a teacher of the school with nothing else to do then
    sub = (
        await admin.data(
            SUBSTITUTE, input={"lessonId": gid(first, "Lesson"), "teacherId": gid(substitute, "User"), "reason": "Ill"}
        )
    )["lessonSubstitute"]
    assert sub["__typename"] == "LessonChangeSuccess", sub
    await admin.data(UPDATE, input={"slotId": gid(slot, "TimetableSlot"), "teacherId": gid(f.other_teacher, "User")})
    await first.refresh_from_db()
    # The substitute still gives it; the planned teacher is now the new one.
    assert (first.teacher_id, first.original_teacher_id) == (substitute.id, f.other_teacher.id)
    others = await models.Lesson.filter(slot_id=slot.id).exclude(id=first.id)
    assert others
    assert {x.teacher_id for x in others} == {f.other_teacher.id}


async def test_deleting_a_slot_ends_it(factory: Factory) -> None:
    kit = await _school(factory)
    admin = factory.client(kit.admin)
    f = await _fresh(factory, kit)
    today = today_utc()
    await _slot(admin, f, validFrom=str(today - timedelta(days=14)))
    slot = (await _only_slot(f))["model"]
    lessons = await models.Lesson.filter(slot_id=slot.id).order_by("date")
    await factory.mark(f.student, lessons[0], models.AttendanceStatus.PRESENT)
    before = await _counts()
    result = (await admin.data(DELETE, input={"slotId": gid(slot, "TimetableSlot")}))["timetableSlotDelete"]
    assert result["__typename"] == "TimetableSlotDeleteSuccess", result
    assert result["slot"] == {"id": gid(slot, "TimetableSlot"), "validTo": str(today - timedelta(days=1))}
    assert result["lessons"]["kept"] == [{"id": gid(lessons[0], "Lesson"), "date": str(lessons[0].date)}]
    assert result["lessons"]["removed"] == len(lessons) - 1
    assert await _counts() == (before[0], before[1] - len(lessons) + 1, before[2] + 1)
    remaining = await _lessons(admin, f, today, today + timedelta(days=91))
    assert [x["id"] for x in remaining] == [gid(lessons[0], "Lesson")]
    # A slot that never started is deleted outright.
    await _slot(admin, f, weekday=1, validFrom=str(today + timedelta(days=7)))
    fresh_slot = await models.TimetableSlot.get(school_class_id=f.klass.id, weekday=1)
    gone = (await admin.data(DELETE, input={"slotId": gid(fresh_slot, "TimetableSlot")}))["timetableSlotDelete"]
    assert gone["slot"] is None
    assert not await models.TimetableSlot.exists(id=fresh_slot.id)
    assert not await models.Lesson.filter(school_class_id=f.klass.id).exclude(id=lessons[0].id).exists()


async def test_cancel_and_restore_a_lesson(factory: Factory) -> None:
    kit = await _school(factory)
    admin = factory.client(kit.admin)
    f = await _fresh(factory, kit)
    await _slot(admin, f)
    lesson = await models.Lesson.filter(school_class_id=f.klass.id).order_by("date").first()
    assert lesson is not None
    audits = await models.AuditEntry.all().count()
    cancelled = (await admin.data(CANCEL, input={"lessonId": gid(lesson, "Lesson"), "reason": " Excursion "}))[
        "lessonCancel"
    ]
    assert cancelled["lesson"]["status"] == "CANCELLED"
    # The family's diary shows it as cancelled, with the reason.
    day = str(lesson.date)
    diary = await admin.data(DIARY, id=gid(f.student, "Student"), **{"from": day, "to": day})
    entry = diary["student"]["diary"][0]["entries"][0]["lesson"]
    assert (entry["status"], entry["cancelReason"]) == ("CANCELLED", "Excursion")
    again = (await admin.data(CANCEL, input={"lessonId": gid(lesson, "Lesson"), "reason": "x"}))["lessonCancel"]
    assert (again["__typename"], again["code"]) == ("ValidationError", "LESSON_ALREADY_CANCELLED")
    restored = (await admin.data(RESTORE, input={"lessonId": gid(lesson, "Lesson")}))["lessonRestore"]
    assert (restored["lesson"]["status"], restored["lesson"]["cancelReason"]) == ("SCHEDULED", None)
    twice = (await admin.data(RESTORE, input={"lessonId": gid(lesson, "Lesson")}))["lessonRestore"]
    assert (twice["__typename"], twice["code"]) == ("ValidationError", "LESSON_NOT_CANCELLED")
    assert await models.AuditEntry.filter(school_id=f.school.id).count() >= 2
    assert await models.AuditEntry.all().count() == audits + 2
    # A lesson that took place (a mark) is not cancelled; nor is a reason optional.
    await factory.mark(f.student, lesson, models.AttendanceStatus.PRESENT)
    took_place = (await admin.data(CANCEL, input={"lessonId": gid(lesson, "Lesson"), "reason": "  "}))["lessonCancel"]
    assert [(x["field"], x["code"]) for x in took_place["fields"]] == [
        ("reason", "REASON_REQUIRED"),
        ("lessonId", "LESSON_HAS_RECORDS"),
    ]
    await lesson.refresh_from_db()
    assert lesson.status == models.LessonStatus.SCHEDULED


async def test_a_substitute_sees_and_marks_the_lesson(factory: Factory) -> None:
    kit = await _school(factory)
    admin = factory.client(kit.admin)
    f = await _fresh(factory, kit)
    await _slot(admin, f)
    lesson = await models.Lesson.filter(school_class_id=f.klass.id).order_by("date").first()
    assert lesson is not None
    substitute_user = (await _fresh(factory, kit)).teacher  # teaches another class only
    substitute = factory.client(substitute_user)
    node = "query N($id: ID!) { node(id: $id) { id } }"
    assert (await substitute.data(node, id=gid(lesson, "Lesson")))["node"] is None
    result = (
        await admin.data(
            SUBSTITUTE,
            input={"lessonId": gid(lesson, "Lesson"), "teacherId": gid(substitute_user, "User"), "reason": "Course"},
        )
    )["lessonSubstitute"]
    assert result["lesson"]["teacher"]["fullName"] == substitute_user.full_name
    assert result["lesson"]["substitutedTeacher"]["fullName"] == f.teacher.full_name
    assert result["lesson"]["substitutionReason"] == "Course"
    assert (await substitute.data(node, id=gid(lesson, "Lesson")))["node"] == {"id": gid(lesson, "Lesson")}
    # Naming the planned teacher ends the substitution.
    back = (
        await admin.data(
            SUBSTITUTE, input={"lessonId": gid(lesson, "Lesson"), "teacherId": gid(f.teacher, "User"), "reason": ""}
        )
    )["lessonSubstitute"]
    assert (back["lesson"]["teacher"]["fullName"], back["lesson"]["substitutedTeacher"]) == (f.teacher.full_name, None)


async def test_a_busy_substitute_is_refused(factory: Factory) -> None:
    kit = await _school(factory)
    admin = factory.client(kit.admin)
    f = await _fresh(factory, kit)
    g = await _fresh(factory, kit)
    await _slot(admin, f, weekday=4, period=5)
    await _slot(admin, g, weekday=4, period=5)
    lesson = await models.Lesson.filter(school_class_id=f.klass.id).order_by("date").first()
    assert lesson is not None
    before = await _counts()
    result = (
        await admin.data(
            SUBSTITUTE, input={"lessonId": gid(lesson, "Lesson"), "teacherId": gid(g.teacher, "User"), "reason": "Ill"}
        )
    )["lessonSubstitute"]
    assert [(x["field"], x["code"]) for x in result["fields"]] == [("teacherId", "TEACHER_BUSY")]
    assert await _counts() == before


async def test_scope(factory: Factory) -> None:
    """Another school's class, slot, lesson or teacher is not found; non-admins are FORBIDDEN;
    the district admin runs every school of the district."""
    kit = await _school(factory)
    admin2 = factory.client(kit.admin)
    f = await _fresh(factory, kit)
    await _slot(admin2, f)
    slot = (await _only_slot(f))["model"]
    lesson = await models.Lesson.filter(school_class_id=f.klass.id).first()
    assert lesson is not None
    # Another school of the district, with its admin and a mathematics teacher of its 5A.
    own_kit = await factory.school("Own school", subjects=("Mathematics",), classes=("5A",))
    admin = factory.client(own_kit.admin)
    teacher = factory.client(await factory.teacher(own_kit, [("5A", "Mathematics")]))
    district = factory.client(await factory.district_admin())
    # The class's own family: a parent and their child, who can see the class's lessons.
    guardian = await factory.parent()
    child = await factory.student(kit, f.class_name, "child", guardians=[guardian])
    child_user = await models.User.get(id=child.user_id)
    families = [factory.client(guardian), factory.client(child_user)]
    before = await _counts()
    created = await _create(admin, f)
    assert (created["__typename"], created["code"]) == ("NotFoundError", "CLASS_NOT_FOUND")
    missing = await _create(admin, f, schoolClassId=gid(models.SchoolClass(id=10**9), "SchoolClass"))
    assert (missing["code"], missing["message"]) == (created["code"], created["message"])
    updated = (await admin.data(UPDATE, input={"slotId": gid(slot, "TimetableSlot"), "period": 3}))[
        "timetableSlotUpdate"
    ]
    assert (updated["__typename"], updated["code"]) == ("NotFoundError", "SLOT_NOT_FOUND")
    deleted = (await admin.data(DELETE, input={"slotId": gid(slot, "TimetableSlot")}))["timetableSlotDelete"]
    assert (deleted["__typename"], deleted["code"]) == ("NotFoundError", "SLOT_NOT_FOUND")
    cancel = (await admin.data(CANCEL, input={"lessonId": gid(lesson, "Lesson"), "reason": "x"}))["lessonCancel"]
    assert (cancel["__typename"], cancel["code"]) == ("NotFoundError", "LESSON_NOT_FOUND")
    # The other school's admin names this school's teacher for their own class: not found.
    foreign_teacher = await _create(
        admin,
        f,
        schoolClassId=gid(own_kit.classes["5A"], "SchoolClass"),
        subjectId=gid(own_kit.subjects["Mathematics"], "Subject"),
    )
    assert (foreign_teacher["__typename"], foreign_teacher["code"]) == ("NotFoundError", "TEACHER_NOT_FOUND")
    for client in (teacher,):
        body = await client.post(
            CREATE,
            input={
                "schoolClassId": gid(f.klass, "SchoolClass"),
                "subjectId": "x",
                "teacherId": "x",
                "weekday": 1,
                "period": 1,
            },
        )
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        body = await client.post(CANCEL, input={"lessonId": gid(lesson, "Lesson"), "reason": "x"})
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    for family in families:
        body = await family.post(DELETE, input={"slotId": gid(slot, "TimetableSlot")})
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await _counts() == before
    # The district admin may change the slot.
    moved = (await district.data(UPDATE, input={"slotId": gid(slot, "TimetableSlot"), "room": "DA"}))[
        "timetableSlotUpdate"
    ]
    assert moved["slot"]["room"] == "DA"


@dataclass
class Timetables:
    kit: SchoolKit  # 5A, 6B and 7A, each with a weekly timetable
    other: SchoolKit  # another school of the district, with its own
    parent: models.User  # of a child in 5A and one in 6B


async def _timetables(factory: Factory) -> Timetables:
    """Two schools of a district with weekly timetables, and a parent of two children of the first."""
    kit = await factory.school(subjects=("Mathematics", "Russian"), classes=("5A", "6B", "7A"))
    maths = await factory.teacher(kit, [(c, "Mathematics") for c in kit.classes], name="maths")
    russian = await factory.teacher(kit, [(c, "Russian") for c in kit.classes], name="russian")
    for n, class_name in enumerate(kit.classes):
        for weekday in (1, 3):
            await factory.slot(kit, class_name, "Mathematics", maths, weekday, period=n + 1)
            await factory.slot(kit, class_name, "Russian", russian, weekday, period=n + 4)
    other = await factory.school("Other school", classes=("8A",))
    other_teacher = await factory.teacher(other, [("8A", "Mathematics")], name="t8")
    for weekday in (2, 4):
        await factory.slot(other, "8A", "Mathematics", other_teacher, weekday, period=1)
    parent = await factory.parent()
    await factory.student(kit, "5A", "anna", guardians=[parent])
    await factory.student(kit, "6B", "boris", guardians=[parent])
    return Timetables(kit, other, parent)


async def test_timetable_read(factory: Factory, count_statements: StatementCounter) -> None:
    """School.timetable lists the visible classes' slots; one school costs what two cost."""
    world = await _timetables(factory)
    admin = factory.client(world.kit.admin)
    district = factory.client(await factory.district_admin())
    small, one = await _count(admin, count_statements, TIMETABLE)
    large, two = await _count(district, count_statements, TIMETABLE)
    assert [s["name"] for s in one["viewer"]["schools"]] == [world.kit.school.name]
    assert len(two["viewer"]["schools"]) == 2
    slots_one = one["viewer"]["schools"][0]["timetable"]
    assert len(slots_one) == await models.TimetableSlot.filter(school_class__school_id=world.kit.school.id).count()
    assert sum(len(s["timetable"]) for s in two["viewer"]["schools"]) > len(slots_one)
    assert len(large) == len(small), _explain(small, large)
    # A parent sees their children's classes' timetables only.
    family = await factory.client(world.parent).data(TIMETABLE)
    names = {x["schoolClass"]["name"] for s in family["viewer"]["schools"] for x in s["timetable"]}
    assert names == {"5A", "6B"}


GRADE = """mutation G($input: GradeCreateInput!) { gradeCreate(input: $input) { __typename
  ... on GradeCreateSuccess { grade { value teacher { fullName } } } ... on Error { code message } } }"""
MARK = """mutation M($input: AttendanceMarkInput!) { attendanceMark(input: $input) { __typename
  ... on Error { code message } } }"""


async def test_a_substitute_grades_and_marks_the_lesson_they_give(factory: Factory) -> None:
    """A teacher who does not teach the class gives yesterday's lesson for a colleague: they mark
    and grade it; before the substitution they could not."""
    kit = await _school(factory)
    admin = factory.client(kit.admin)
    f = await _fresh(factory, kit)
    other = await _fresh(factory, kit)
    yesterday = today_utc() - timedelta(days=1)
    starts = datetime.combine(yesterday, datetime.min.time(), tzinfo=ZoneInfo("UTC")) + timedelta(hours=6)
    lesson = await models.Lesson.create(
        school_class_id=f.klass.id,
        subject_id=f.subject.id,
        teacher_id=f.teacher.id,
        date=yesterday,
        period=1,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=45),
    )
    substitute = factory.client(other.teacher)
    grade = {"input": {"lessonId": gid(lesson, "Lesson"), "studentId": gid(f.student, "Student"), "value": "4"}}
    refused = (await substitute.data(GRADE, **grade))["gradeCreate"]
    assert (refused["__typename"], refused["code"]) == ("NotFoundError", "STUDENT_NOT_FOUND")
    done = (
        await admin.data(
            SUBSTITUTE,
            input={"lessonId": gid(lesson, "Lesson"), "teacherId": gid(other.teacher, "User"), "reason": "Ill"},
        )
    )["lessonSubstitute"]
    assert done["__typename"] == "LessonChangeSuccess", done
    graded = (await substitute.data(GRADE, **grade))["gradeCreate"]
    assert graded["__typename"] == "GradeCreateSuccess", graded
    assert graded["grade"] == {"value": "4", "teacher": {"fullName": other.teacher.full_name}}
    marks = [{"studentId": gid(f.student, "Student"), "status": "PRESENT"}]
    marked = (await substitute.data(MARK, input={"lessonId": gid(lesson, "Lesson"), "marks": marks}))["attendanceMark"]
    assert marked["__typename"] == "AttendanceMarkSuccess", marked
    # Their own class's student is not in this lesson's class.
    stranger = {"input": {**grade["input"], "studentId": gid(other.student, "Student")}}
    not_here = (await substitute.data(GRADE, **stranger))["gradeCreate"]
    assert (not_here["__typename"], not_here["code"]) == ("ValidationError", "STUDENT_NOT_IN_CLASS")


async def test_two_admins_racing_for_the_same_hour(factory: Factory) -> None:
    """Both check, one writes: the school's lock makes the second see the first's slot."""
    kit = await _school(factory)
    admin = factory.client(kit.admin)
    district = factory.client(await factory.district_admin())
    f = await _fresh(factory, kit)
    before = await _counts()
    first, second = await asyncio.gather(
        _create(admin, f, weekday=1, period=6, room=None),
        _create(district, f, weekday=1, period=6, room=None, teacherId=gid(f.other_teacher, "User")),
    )
    outcomes = sorted([first["__typename"], second["__typename"]])
    assert outcomes == ["TimetableSlotSuccess", "ValidationError"], (first, second)
    refused = first if first["__typename"] == "ValidationError" else second
    assert [(x["field"], x["code"]) for x in refused["fields"]] == [("period", "CLASS_BUSY")]
    assert (await _counts())[0] == before[0] + 1


async def test_a_slot_costs_the_same_statements_for_one_lesson_or_the_year(
    factory: Factory, count_statements: StatementCounter
) -> None:
    """Lesson generation is set-based: a slot of one day and one of the whole year cost the same."""
    kit = await _school(factory)
    admin = factory.client(kit.admin)
    f = await _fresh(factory, kit)
    days_off = list(await models.DayOff.filter(school_id=f.school.id))
    monday = _school_days(f, 1, today_utc(), f.year.end_date, days_off)[0]
    costs = []
    for weekday, until in ((1, monday), (2, None)):
        count_statements.statements.clear()
        extra = {"validTo": str(until)} if until else {}
        result = await _slot(admin, f, weekday=weekday, period=1, room=None, validFrom=str(monday), **extra)
        costs.append((len(count_statements.statements), result["lessons"]["created"]))
    (day_cost, day_lessons), (year_cost, year_lessons) = costs
    assert day_lessons == 1
    assert year_lessons > 10
    assert day_cost == year_cost, costs


EVENTS = """subscription E($id: ID) { diaryEvents(studentId: $id) { kind student { id }
  lesson { id status cancelReason teacher { fullName } substitutedTeacher { fullName } } grade { value } } }"""


async def _family(factory: Factory, f: Fresh) -> Client:
    """A parent of the fresh class's student."""
    user = await factory.parent(f"parent-{f.klass.id}")
    await factory.guardianship(f.kit, user, f.student)
    return factory.client(user)


async def test_the_family_hears_of_cancellations_and_substitutes_live(factory: Factory, server_url: str) -> None:
    kit = await _school(factory)
    admin = factory.client(kit.admin)
    f = await _fresh(factory, kit)
    g = await _fresh(factory, kit)
    await _slot(admin, f)
    lesson = await models.Lesson.filter(school_class_id=f.klass.id).order_by("date").first()
    assert lesson is not None
    family = await _family(factory, f)
    other_family = await _family(factory, g)  # another family of the school
    mine = await open_socket(server_url, family.token)
    theirs = await open_socket(server_url, other_family.token)
    await mine.start(EVENTS)
    await theirs.start(EVENTS)
    await asyncio.sleep(0.2)
    lesson_id = gid(lesson, "Lesson")
    await admin.data(CANCEL, input={"lessonId": lesson_id, "reason": "Theatre trip"})
    event = (await mine.next())["payload"]["data"]["diaryEvents"]
    assert event == {
        "kind": "LESSON_CANCELLED",
        "student": {"id": gid(f.student, "Student")},
        "lesson": {
            "id": lesson_id,
            "status": "CANCELLED",
            "cancelReason": "Theatre trip",
            "teacher": {"fullName": f.teacher.full_name},
            "substitutedTeacher": None,
        },
        "grade": None,
    }
    await admin.data(RESTORE, input={"lessonId": lesson_id})
    restored = (await mine.next())["payload"]["data"]["diaryEvents"]
    assert (restored["kind"], restored["lesson"]["status"]) == ("LESSON_RESTORED", "SCHEDULED")
    await admin.data(SUBSTITUTE, input={"lessonId": lesson_id, "teacherId": gid(g.teacher, "User"), "reason": "Course"})
    substituted = (await mine.next())["payload"]["data"]["diaryEvents"]
    assert substituted["kind"] == "LESSON_SUBSTITUTED"
    assert (substituted["lesson"]["teacher"], substituted["lesson"]["substitutedTeacher"]) == (
        {"fullName": g.teacher.full_name},
        {"fullName": f.teacher.full_name},
    )
    await theirs.nothing()  # another family hears nothing of it
    for socket in (mine, theirs):
        await socket.ws.close()
