"""absenceNoticeCreate / absenceNoticeDelete and Student.absenceNotices: a parent's notice
pre-marks the lessons it covers, teachers see it in the register, withdrawn days lose their
pre-marks; only the child's guardians write, and the family hears of it live. Each test builds
its own school from factories, dated from the clock's today."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import models
from resolvers.core import now_utc, pk_of, today_utc
from tests.api.test_statements import _count, _explain
from tests.classwork.test_attendance import MARK, REGISTER, make_lesson
from tests.client import Client
from tests.conftest import StatementCounter
from tests.factories import Factory, SchoolKit, school_days_before, school_days_from
from tests.helpers import gid, open_socket

CREATE = """
mutation C($input: AbsenceNoticeCreateInput!) { absenceNoticeCreate(input: $input) {
  __typename
  ... on AbsenceNoticeCreateSuccess { notice { id kind from to reason days lessons { id }
      student { id } createdBy { fullName } createdAt } }
  ... on ValidationError { fields { field message } }
  ... on Error { code message }
} }
"""
DELETE = """
mutation D($input: AbsenceNoticeDeleteInput!) { absenceNoticeDelete(input: $input) {
  __typename
  ... on AbsenceNoticeDeleteSuccess { deletedDays notice { id from to days } }
  ... on ValidationError { fields { field message } }
  ... on Error { code message }
} }
"""
NOTICES = """
query N($id: ID!, $from: Date!, $to: Date!) { student(id: $id) { absenceNotices(from: $from, to: $to) {
  id kind from to reason days createdBy { fullName } student { fullName } lessons { id date subject { name } } } } }
"""
NODE = "query N($id: ID!) { node(id: $id) { __typename ... on AbsenceNotice { reason } } }"


@dataclass
class Family:
    kit: SchoolKit
    teacher: models.User  # mathematics in 5A and 6B
    district: models.User  # district admin over the school
    parent: models.User  # of child (5A) and sibling (6B)
    child: models.Student  # 5A, with a login of their own
    sibling: models.Student  # 6B
    other_parent: models.User  # of a classmate of child's, in 5A only
    days: list[date]  # the next three school days after today, oldest first


async def _family(factory: Factory) -> Family:
    """A parent with a child in 5A and one in 6B, another family in 5A; on each of the next three
    school days, 5A has Mathematics (period 1) and Russian (period 2), 6B has Mathematics."""
    kit = await factory.school(classes=("5A", "6B"))
    teacher = await factory.teacher(kit, [("5A", "Mathematics"), ("6B", "Mathematics")], name="maths")
    russian = await factory.teacher(kit, [("5A", "Russian language")], name="russian")
    parent = await factory.parent()
    child = await factory.student(kit, "5A", "anna", guardians=[parent])
    sibling = await factory.student(kit, "6B", "boris", guardians=[parent], login=False)
    other_parent = await factory.parent("other")
    await factory.student(kit, "5A", "vera", guardians=[other_parent], login=False)
    await factory.student(kit, "5A", "gleb", guardians=[await factory.parent("parent-gleb")], login=False)
    days = school_days_from(today_utc() + timedelta(days=1), 3)
    for day in days:
        await factory.lesson(kit, "5A", "Mathematics", teacher, day, period=1)
        await factory.lesson(kit, "5A", "Russian language", russian, day, period=2)
        await factory.lesson(kit, "6B", "Mathematics", teacher, day, period=1)
    return Family(kit, teacher, await factory.district_admin(), parent, child, sibling, other_parent, days)


def _admin(factory: Factory, family: Family) -> Client:
    assert family.kit.admin is not None
    return factory.client(family.kit.admin)


async def _own_login(factory: Factory, child: models.Student) -> Client:
    return factory.client(await models.User.get(id=child.user_id))


async def lessons_on(
    family: Family, day: date, class_name: str = "5A", subject: str | None = None
) -> list[models.Lesson]:
    rows = models.Lesson.filter(
        school_class_id=family.kit.classes[class_name].id, date=day, status=models.LessonStatus.SCHEDULED
    )
    if subject is not None:
        rows = rows.filter(subject_id=family.kit.subjects[subject].id)
    return await rows.order_by("period")


async def _create(client: Client, **fields: Any) -> dict[str, Any]:
    result: dict[str, Any] = (await client.data(CREATE, input=fields))["absenceNoticeCreate"]
    return result


async def _delete(client: Client, **fields: Any) -> dict[str, Any]:
    result: dict[str, Any] = (await client.data(DELETE, input=fields))["absenceNoticeDelete"]
    return result


def _by_day(child: models.Student, start: date, end: date, reason: str = "Flu") -> dict[str, Any]:
    return {
        "studentId": gid(child, "Student"),
        "kind": "BY_DAY",
        "from": start.isoformat(),
        "to": end.isoformat(),
        "reason": reason,
    }


def _for_lessons(child: models.Student, lessons: list[models.Lesson], reason: str = "Dentist") -> dict[str, Any]:
    return {
        "studentId": gid(child, "Student"),
        "kind": "LESSONS",
        "lessonIds": [gid(x, "Lesson") for x in lessons],
        "reason": reason,
    }


async def _counts() -> tuple[int, int, int, int]:
    return (
        await models.AbsenceNotice.all().count(),
        await models.AbsenceNoticeItem.all().count(),
        await models.Attendance.all().count(),
        await models.OutboxEvent.all().count(),
    )


async def test_notice_by_day_premarks_lessons_and_teacher_sees_it(factory: Factory) -> None:
    family = await _family(factory)
    parent, teacher, child = factory.client(family.parent), factory.client(family.teacher), family.child
    d1, d2 = family.days[:2]
    expected = [x for d in (d1, d2) for x in await lessons_on(family, d)]
    events = await models.OutboxEvent.all().count()
    result = await _create(parent, **_by_day(child, d1, d2, " Flu "))
    assert result["__typename"] == "AbsenceNoticeCreateSuccess", result
    notice = result["notice"]
    assert (notice["kind"], notice["from"], notice["to"], notice["reason"]) == (
        "BY_DAY",
        d1.isoformat(),
        d2.isoformat(),
        "Flu",
    )
    assert notice["days"] == [(d1 + timedelta(days=i)).isoformat() for i in range((d2 - d1).days + 1)]
    assert notice["lessons"] == []
    assert notice["student"]["id"] == gid(child, "Student")
    parent_user = family.parent
    assert notice["createdBy"]["fullName"] == parent_user.full_name

    marks = await models.Attendance.filter(student_id=child.id, lesson_id__in=[x.id for x in expected])
    assert len(marks) == len(expected) > 0
    assert all(
        (m.status, m.reason, m.marked_by_id, m.notice_id is not None)
        == (models.AttendanceStatus.ABSENT_EXCUSED, "Flu", parent_user.id, True)
        for m in marks
    )
    new_events = await models.OutboxEvent.filter(id__gt=0).order_by("-id").limit(1)
    assert await models.OutboxEvent.all().count() == events + 1
    assert (new_events[0].kind, new_events[0].student_id) == ("ATTENDANCE_MARKED", child.id)

    maths = (await lessons_on(family, d1, subject="Mathematics"))[0]
    register = (await teacher.data(REGISTER, id=gid(maths, "Lesson")))["node"]["register"]
    row = next(r for r in register if r["student"]["id"] == gid(child, "Student"))
    assert (row["status"], row["reason"], row["fromNotice"], row["markedBy"]["fullName"]) == (
        "ABSENT_EXCUSED",
        "Flu",
        True,
        parent_user.full_name,
    )
    assert row["absenceNotice"] == {"id": notice["id"], "reason": "Flu"}
    assert [(h["oldStatus"], h["newStatus"], h["by"]["fullName"]) for h in row["history"]] == [
        (None, "ABSENT_EXCUSED", parent_user.full_name)
    ]
    others = [r for r in register if r["student"]["id"] != gid(child, "Student")]
    assert others
    assert all(r["absenceNotice"] is None and r["status"] is None for r in others)

    span = {"from": (d1 - timedelta(days=3)).isoformat(), "to": d1.isoformat()}
    readers = (
        parent,
        teacher,
        _admin(factory, family),
        factory.client(family.district),
        await _own_login(factory, child),
    )
    for client in readers:
        shown = (await client.data(NOTICES, id=gid(child, "Student"), **span))["student"]["absenceNotices"]
        assert [n["id"] for n in shown] == [notice["id"]]
        assert (await client.data(NODE, id=notice["id"]))["node"] == {"__typename": "AbsenceNotice", "reason": "Flu"}
    other_parent = factory.client(family.other_parent)
    assert (await other_parent.data(NOTICES, id=gid(child, "Student"), **span))["student"] is None
    assert (await other_parent.data(NODE, id=notice["id"]))["node"] is None

    before = await _counts()
    again = await _create(parent, **_by_day(child, d2, d2))
    assert (again["code"], again["fields"][0]["field"]) == ("NOTICE_OVERLAPS", "from")
    lesson_overlap = await _create(parent, **_for_lessons(child, await lessons_on(family, d1)))
    assert (lesson_overlap["code"], lesson_overlap["fields"][0]["field"]) == ("NOTICE_OVERLAPS", "lessonIds[0]")
    assert await _counts() == before


async def test_withdrawing_days_removes_their_premarks(factory: Factory) -> None:
    family = await _family(factory)
    parent, child = factory.client(family.parent), family.child
    d1, d2 = family.days[:2]
    created = (await _create(parent, **_by_day(child, d1, d2)))["notice"]
    second_day = [x.id for x in await lessons_on(family, d2)]
    revisions = await models.AttendanceRevision.filter(student_id=child.id).count()

    partial = await _delete(parent, noticeId=created["id"], **{"from": d2.isoformat(), "to": d2.isoformat()})
    assert partial["__typename"] == "AbsenceNoticeDeleteSuccess", partial
    assert partial["deletedDays"] == [d2.isoformat()]
    assert partial["notice"]["id"] == created["id"]
    assert d2.isoformat() not in partial["notice"]["days"]
    assert partial["notice"]["to"] == partial["notice"]["days"][-1] < d2.isoformat()
    assert not await models.Attendance.filter(student_id=child.id, lesson_id__in=second_day).exists()
    assert await models.Attendance.filter(student_id=child.id, date=d1, notice_id__isnull=False).exists()
    removed = await models.AttendanceRevision.filter(student_id=child.id).order_by("-id").limit(len(second_day))
    assert all((r.old_status, r.new_status) == ("ABSENT_EXCUSED", None) for r in removed)
    assert await models.AttendanceRevision.filter(student_id=child.id).count() == revisions + len(second_day)

    rest = await _delete(parent, noticeId=created["id"])
    assert rest["__typename"] == "AbsenceNoticeDeleteSuccess", rest
    assert rest["notice"] is None
    assert rest["deletedDays"] == [d for d in created["days"] if d < d2.isoformat()]
    assert not await models.AbsenceNotice.exists(id=pk_of(created["id"], "AbsenceNotice"))
    assert not await models.AbsenceNoticeItem.filter(student_id=child.id).exists()
    assert not await models.Attendance.filter(student_id=child.id, notice_id__isnull=False).exists()
    gone = await _delete(parent, noticeId=created["id"])
    assert gone["code"] == "NOTICE_NOT_FOUND"


async def test_past_days_keep_teacher_marks_and_cannot_be_withdrawn(factory: Factory) -> None:
    family = await _family(factory)
    parent, child = factory.client(family.parent), family.child
    # The child's last school day before today: Mathematics, marked by the teacher.
    lesson = await factory.lesson(
        family.kit, "5A", "Mathematics", family.teacher, school_days_before(today_utc(), 1)[0]
    )
    await factory.mark(child, lesson, models.AttendanceStatus.PRESENT)
    assert lesson.date >= today_utc() - timedelta(days=30)
    mark = await models.Attendance.get(student_id=child.id, lesson_id=lesson.id)
    events = await models.OutboxEvent.all().count()
    created = await _create(parent, **_by_day(child, lesson.date, lesson.date))
    assert created["__typename"] == "AbsenceNoticeCreateSuccess", created
    kept = await models.Attendance.get(id=mark.id)
    assert (kept.status, kept.marked_by_id, kept.notice_id) == (mark.status, mark.marked_by_id, None)
    assert await models.OutboxEvent.all().count() == events

    before = await _counts()
    refused = await _delete(parent, noticeId=created["notice"]["id"])
    assert (refused["code"], refused["fields"][0]["field"]) == ("NOTICE_IN_PAST", "from")
    assert await _counts() == before


async def test_teacher_mark_replaces_the_premark(factory: Factory) -> None:
    family = await _family(factory)
    parent, teacher, child = factory.client(family.parent), factory.client(family.teacher), family.child
    lesson = await make_lesson(family.kit, family.teacher)
    created = await _create(parent, **_for_lessons(child, [lesson]))
    assert created["notice"]["lessons"] == [{"id": gid(lesson, "Lesson")}]
    assert created["notice"]["days"] == [lesson.date.isoformat()]
    marked = await teacher.data(
        MARK,
        input={
            "lessonId": gid(lesson, "Lesson"),
            "marks": [{"studentId": gid(child, "Student"), "status": "PRESENT"}],
        },
    )
    assert marked["attendanceMark"]["__typename"] == "AttendanceMarkSuccess"
    register = (await teacher.data(REGISTER, id=gid(lesson, "Lesson")))["node"]["register"]
    row = next(r for r in register if r["student"]["id"] == gid(child, "Student"))
    assert (row["status"], row["fromNotice"], row["absenceNotice"]["reason"]) == ("PRESENT", False, "Dentist")
    assert [h["newStatus"] for h in row["history"]] == ["ABSENT_EXCUSED", "PRESENT"]

    withdrawn = await _delete(parent, noticeId=created["notice"]["id"])
    assert (withdrawn["notice"], withdrawn["deletedDays"]) == (None, [lesson.date.isoformat()])
    kept = await models.Attendance.get(student_id=child.id, lesson_id=lesson.id)
    assert kept.status == models.AttendanceStatus.PRESENT


async def test_every_refusal_writes_nothing(factory: Factory) -> None:
    family = await _family(factory)
    parent, child = factory.client(family.parent), family.child
    today = today_utc()
    d1 = family.days[0]
    sibling_lesson = (await lessons_on(family, d1, "6B"))[0]
    own = await lessons_on(family, d1)
    cancelled = await make_lesson(family.kit, family.teacher, started=False)
    cancelled.status = models.LessonStatus.CANCELLED
    await cancelled.save(update_fields=["status"])
    before = await _counts()
    cases: list[tuple[dict[str, Any], str, str]] = [
        (_by_day(child, d1, d1 - timedelta(days=1)), "INVALID_RANGE", "to"),
        (_by_day(child, d1, d1 + timedelta(days=31)), "RANGE_TOO_LONG", "to"),
        (_by_day(child, today - timedelta(days=31), today - timedelta(days=31)), "NOTICE_TOO_OLD", "from"),
        (_by_day(child, d1, d1, "   "), "REASON_REQUIRED", "reason"),
        (_by_day(child, d1, d1, "x" * 501), "REASON_TOO_LONG", "reason"),
        ({**_by_day(child, d1, d1), "to": None}, "RANGE_REQUIRED", "from"),
        (_for_lessons(child, []), "LESSONS_REQUIRED", "lessonIds"),
        (_for_lessons(child, [sibling_lesson]), "LESSON_NOT_FOUND", "lessonIds[0]"),
        (_for_lessons(child, [own[0], own[0]]), "DUPLICATE_LESSON", "lessonIds[1]"),
        (_for_lessons(child, [cancelled]), "LESSON_CANCELLED", "lessonIds[0]"),
        ({**_for_lessons(child, own), "from": d1.isoformat()}, "RANGE_NOT_EXPECTED", "from"),
    ]
    for fields, code, field in cases:
        result = await _create(parent, **fields)
        assert result["__typename"] == "ValidationError", (code, result)
        assert (result["code"], result["fields"][0]["field"]) == (code, field)
    assert await _counts() == before
    longest = await _create(parent, **_by_day(child, d1, d1 + timedelta(days=30)))
    assert len(longest["notice"]["days"]) == 31


async def test_only_the_childs_guardians_write(factory: Factory) -> None:
    family = await _family(factory)
    parent, other_parent, teacher, child = (
        factory.client(family.parent),
        factory.client(family.other_parent),
        factory.client(family.teacher),
        family.child,
    )
    d1 = family.days[0]
    before = await _counts()
    staff = (teacher, _admin(factory, family), factory.client(family.district), await _own_login(factory, child))
    for client in staff:
        body = await client.post(CREATE, input=_by_day(child, d1, d1))
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    hidden = await _create(other_parent, **_by_day(child, d1, d1))
    missing = await _create(other_parent, **_by_day(models.Student(id=10**9), d1, d1))
    assert hidden == missing
    assert hidden["code"] == "STUDENT_NOT_FOUND"
    assert not await models.AbsenceNotice.filter(student_id=child.id).exists()
    assert await _counts() == before

    created = (await _create(parent, **_by_day(child, d1, d1)))["notice"]
    other_hidden = await _delete(other_parent, noticeId=created["id"])
    other_missing = await _delete(other_parent, noticeId=gid(models.Lesson(id=10**9), "AbsenceNotice"))
    assert other_hidden == other_missing
    assert other_hidden["code"] == "NOTICE_NOT_FOUND"
    body = await teacher.post(DELETE, input={"noticeId": created["id"]})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await models.AbsenceNotice.exists(id=pk_of(created["id"], "AbsenceNotice"))


async def test_a_guardian_writes_until_revoked(factory: Factory) -> None:
    family = await _family(factory)
    parent, other_parent, child = factory.client(family.parent), factory.client(family.other_parent), family.child
    d1, d2 = family.days[:2]
    link = await models.Guardianship.create(guardian=family.other_parent, student=child)
    created = await _create(other_parent, **_by_day(child, d1, d1))
    assert created["__typename"] == "AbsenceNoticeCreateSuccess", created
    notice_pk = pk_of(created["notice"]["id"], "AbsenceNotice")
    audit = await models.AuditEntry.get(action="absence_notice.create", object_id=notice_pk)
    assert audit.actor_id == link.guardian_id
    link.revoked_at = now_utc()
    await link.save(update_fields=["revoked_at"])
    assert (await _create(other_parent, **_by_day(child, d2, d2)))["code"] == "STUDENT_NOT_FOUND"
    assert (await _delete(other_parent, noticeId=created["notice"]["id"]))["code"] == "NOTICE_NOT_FOUND"
    withdrawn = await _delete(parent, noticeId=created["notice"]["id"])
    assert withdrawn["__typename"] == "AbsenceNoticeDeleteSuccess"
    assert await models.AuditEntry.exists(action="absence_notice.delete", object_id=notice_pk)


async def test_notices_statements_do_not_grow(factory: Factory, count_statements: StatementCounter) -> None:
    family = await _family(factory)
    parent, child = factory.client(family.parent), family.child
    d1, d2, d3 = family.days[:3]
    await _create(parent, **_for_lessons(child, (await lessons_on(family, d1))[:1]))
    await _create(parent, **_by_day(child, d2, d2))
    await _create(parent, **_for_lessons(child, (await lessons_on(family, d3))[:2]))
    one_day = {"from": d1.isoformat(), "to": d1.isoformat()}
    all_days = {"from": d1.isoformat(), "to": d3.isoformat()}
    small, one = await _count(parent, count_statements, NOTICES, id=gid(child, "Student"), **one_day)
    large, three = await _count(parent, count_statements, NOTICES, id=gid(child, "Student"), **all_days)
    assert len(one["student"]["absenceNotices"]) == 1
    assert [len(n["lessons"]) for n in three["student"]["absenceNotices"]] == [1, 0, 2]
    assert len(large) == len(small), _explain(small, large)


EVENTS = """
subscription E($studentId: ID) { diaryEvents(studentId: $studentId) { kind student { id } } }
"""


async def test_family_hears_of_the_premark_live(server_url: str, factory: Factory) -> None:
    family = await _family(factory)
    parent, child = factory.client(family.parent), family.child
    mine = await open_socket(server_url, parent.token)
    theirs = await open_socket(server_url, factory.client(family.other_parent).token)
    await mine.start(EVENTS, studentId=gid(child, "Student"))
    await theirs.start(EVENTS)
    await asyncio.sleep(0.2)
    d1 = family.days[0]
    assert (await _create(parent, **_by_day(child, d1, d1)))["__typename"] == "AbsenceNoticeCreateSuccess"
    message = await mine.next()
    assert message["payload"]["data"]["diaryEvents"] == {
        "kind": "ATTENDANCE_MARKED",
        "student": {"id": gid(child, "Student")},
    }
    await theirs.nothing()
    theirs_children = await models.Student.filter(
        guardianships__guardian_id=family.other_parent.id, guardianships__revoked_at__isnull=True
    )
    assert theirs_children
    assert child.id not in [c.id for c in theirs_children]
    await mine.ws.close()
    await theirs.ws.close()
