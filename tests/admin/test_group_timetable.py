"""A class group's timetable (issue 21, README "Class groups"): a group's slot gives the group's
lessons (filed under its home class, `Lesson.audience` GROUP), two groups of one class meet at
the same hour while a teacher or a room is still never booked twice, a group's lessons stop
after the group ends, and cancelling or substituting a group's lesson works as for a class's."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import models
from resolvers.core import today_utc
from tests.admin.test_timetable_admin import CANCEL, SUBSTITUTE, _school
from tests.client import Client
from tests.factories import Factory, SchoolKit
from tests.helpers import gid

CREATE = """mutation C($input: TimetableSlotCreateInput!) { timetableSlotCreate(input: $input) { __typename
  ... on TimetableSlotSuccess { slot { id schoolClass { name } group { name } } lessons { created } }
  ... on ValidationError { fields { field code } } ... on Error { code message } } }"""
END = """mutation E($input: ClassGroupEndInput!) { classGroupEnd(input: $input) { __typename
  ... on Error { code message } } }"""
LESSONS = """query L($id: ID!, $from: Date!, $to: Date!) { node(id: $id) { ... on SchoolClass {
  lessons(from: $from, to: $to) { id date period audience group { name } } } } }"""


async def _groups(factory: Factory) -> tuple[SchoolKit, Client, dict[str, models.ClassGroup], dict[str, models.User]]:
    """A school with 5A and 5B, English taught in two groups of 5A and a cross-class group of both."""
    kit = await _school(factory)
    for name in ("5A", "5B"):
        kit.classes[name] = await models.SchoolClass.create(
            school=kit.school, academic_year=kit.year, grade_level=5, letter=name[-1]
        )
    groups: dict[str, models.ClassGroup] = {}
    for name, classes in (("5A English 1", ["5A"]), ("5A English 2", ["5A"]), ("5 profile", ["5A", "5B"])):
        group = await models.ClassGroup.create(
            school=kit.school,
            academic_year=kit.year,
            home_class=kit.classes[classes[0]],
            name=name,
            kind=models.GroupKind.SPLIT if len(classes) == 1 else models.GroupKind.CROSS_CLASS,
        )
        for c in classes:
            await models.ClassGroupClass.create(group=group, school_class=kit.classes[c])
        groups[name] = group
    teachers = {
        "one": await factory.teacher(kit, [], name="one"),
        "two": await factory.teacher(kit, [], name="two"),
        "whole": await factory.teacher(kit, [("5A", "Mathematics"), ("5B", "Mathematics")], name="whole"),
    }
    subject = kit.subjects["Russian"]
    for key, group in (("one", groups["5A English 1"]), ("two", groups["5A English 2"])):
        await models.TeachingAssignment.create(
            teacher=teachers[key], school_class=kit.classes["5A"], subject=subject, group=group
        )
    assert kit.admin is not None
    return kit, factory.client(kit.admin), groups, teachers


async def _create(
    admin: Client, kit: SchoolKit, teacher: models.User, group: models.ClassGroup | None, **extra: Any
) -> dict[str, Any]:
    fields = {
        "schoolClassId": gid(kit.classes["5A"], "SchoolClass"),
        "subjectId": gid(
            kit.subjects["Russian" if group and group.kind == models.GroupKind.SPLIT else "Mathematics"], "Subject"
        ),
        "teacherId": gid(teacher, "User"),
        "weekday": 2,
        "period": 3,
        **({"groupId": gid(group, "ClassGroup")} if group else {}),
        **extra,
    }
    result: dict[str, Any] = (await admin.data(CREATE, input=fields))["timetableSlotCreate"]
    return result


def _codes(result: dict[str, Any]) -> list[tuple[str, str]]:
    return [(f["field"], f["code"]) for f in result.get("fields", [])]


async def test_two_groups_of_a_class_meet_at_the_same_hour(factory: Factory) -> None:
    kit, admin, groups, teachers = await _groups(factory)
    first = await _create(admin, kit, teachers["one"], groups["5A English 1"], room="11")
    assert first["__typename"] == "TimetableSlotSuccess", first
    assert first["slot"]["group"] == {"name": "5A English 1"}
    second = await _create(admin, kit, teachers["two"], groups["5A English 2"], room="12")
    assert second["__typename"] == "TimetableSlotSuccess", second
    assert second["lessons"]["created"] > 0
    today = today_utc()
    week = {"from": str(today), "to": str(today + timedelta(days=6))}  # one Tuesday, whatever today is
    data = await admin.data(LESSONS, id=gid(kit.classes["5A"], "SchoolClass"), **week)
    lessons = data["node"]["lessons"]
    assert len(lessons) == 2
    assert {(x["audience"], x["group"]["name"]) for x in lessons} == {
        ("GROUP", "5A English 1"),
        ("GROUP", "5A English 2"),
    }
    assert len({(x["date"], x["period"]) for x in lessons}) == 1


async def test_a_teacher_room_class_or_group_is_still_never_booked_twice(factory: Factory) -> None:
    kit, admin, groups, teachers = await _groups(factory)
    await _create(admin, kit, teachers["one"], groups["5A English 1"], room="11")
    before = await models.TimetableSlot.filter(school_class__school_id=kit.school.id).count()
    # the same group again, by its other teacher's assignment? not theirs: refused too
    await models.TeachingAssignment.filter(teacher_id=teachers["two"].id).update(group_id=None)  # now class-wide
    again = await _create(admin, kit, teachers["two"], groups["5A English 1"], room="12")
    assert _codes(again) == [("period", "CLASS_BUSY")]
    room = await _create(admin, kit, teachers["two"], groups["5A English 2"], room="11")
    assert _codes(room) == [("room", "ROOM_TAKEN")]
    # the whole class at a group's hour: its children would be in two places
    whole = await _create(admin, kit, teachers["whole"], None)
    assert _codes(whole) == [("period", "CLASS_BUSY")]
    # 5B's class lesson at the hour of a cross-class group drawing from 5B
    profile = await _create(admin, kit, teachers["whole"], groups["5 profile"], period=4)
    assert profile["__typename"] == "TimetableSlotSuccess", profile
    busy = await _create(
        admin, kit, teachers["whole"], None, period=4, schoolClassId=gid(kit.classes["5B"], "SchoolClass")
    )
    assert _codes(busy) == [("period", "CLASS_BUSY"), ("teacherId", "TEACHER_BUSY")]
    assert await models.TimetableSlot.filter(school_class__school_id=kit.school.id).count() == before + 1


async def test_a_group_slot_needs_a_teacher_of_the_group(factory: Factory) -> None:
    kit, admin, groups, teachers = await _groups(factory)
    wrong = await _create(admin, kit, teachers["one"], groups["5A English 2"])
    assert _codes(wrong) == [("teacherId", "TEACHER_NOT_ASSIGNED")]
    # a group teacher cannot give the whole class's lessons
    whole = await _create(admin, kit, teachers["one"], None, subjectId=gid(kit.subjects["Russian"], "Subject"))
    assert _codes(whole) == [("teacherId", "TEACHER_NOT_ASSIGNED")]
    elsewhere = await factory.school("Elsewhere")
    stranger = await models.ClassGroup.create(
        school=elsewhere.school,
        academic_year=elsewhere.year,
        home_class=elsewhere.classes["5A"],
        name="X",
        kind="SPLIT",
    )
    missing = await _create(admin, kit, teachers["one"], stranger)
    assert missing == {"__typename": "NotFoundError", "code": "GROUP_NOT_FOUND", "message": "No such class group."}


async def test_an_ended_group_gives_no_lessons_after_its_last_day(factory: Factory) -> None:
    kit, admin, groups, teachers = await _groups(factory)
    group = groups["5A English 1"]
    made = await _create(admin, kit, teachers["one"], group)
    assert made["__typename"] == "TimetableSlotSuccess", made
    last_day = today_utc() + timedelta(days=14)
    ended = await admin.data(END, input={"groupId": gid(group, "ClassGroup"), "lastDay": str(last_day)})
    assert ended["classGroupEnd"]["__typename"] == "ClassGroupSuccess", ended
    dates = [x.date for x in await models.Lesson.filter(group_id=group.id)]
    assert dates
    assert max(dates) <= last_day
    slot = await models.TimetableSlot.get(group_id=group.id)
    assert slot.valid_to == last_day
    # a new slot of the ended group may not run past its end
    refused = await _create(admin, kit, teachers["one"], group, weekday=4)
    assert _codes(refused) == [("validTo", "GROUP_ENDED")]


async def test_a_group_lesson_is_cancelled_and_substituted_like_a_class_lesson(factory: Factory) -> None:
    kit, admin, groups, teachers = await _groups(factory)
    await _create(admin, kit, teachers["one"], groups["5A English 1"])
    lesson = await models.Lesson.filter(group_id=groups["5A English 1"].id).order_by("date").first()
    assert lesson is not None
    cancelled = await admin.data(CANCEL, input={"lessonId": gid(lesson, "Lesson"), "reason": "Trip"})
    assert cancelled["lessonCancel"]["lesson"]["status"] == "CANCELLED"
    other = await models.Lesson.filter(group_id=groups["5A English 1"].id).order_by("date").offset(1).first()
    assert other is not None
    given = await admin.data(
        SUBSTITUTE, input={"lessonId": gid(other, "Lesson"), "teacherId": gid(teachers["two"], "User"), "reason": "Ill"}
    )
    assert given["lessonSubstitute"]["__typename"] == "LessonChangeSuccess", given
    await other.refresh_from_db()
    assert (other.teacher_id, other.group_id) == (teachers["two"].id, groups["5A English 1"].id)
