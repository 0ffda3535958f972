"""A group's teacher and a group's families beyond the lessons (issue 21, README "Group
lessons"): the timetable's slots, remarks, grades by id and absence notices follow the group and
the dates of membership. The world is ``test_group_reads._groups``: 5A split into an English and
a German group (teachers "en" and "de", groups only), a cross-class 5A+5B group ("pro"), a
mathematics teacher of 5A as a whole; ann (English), ben (German), cat (German, then English from
``moved``), dan (5B, the cross-class group), eve (no group)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import models
from tests.factories import Factory
from tests.grades.test_group_reads import Groups, _groups
from tests.helpers import gid

TIMETABLE = """{ viewer { schools { timetable { id } } } }"""
NODE = """query N($id: ID!) { node(id: $id) { id } }"""
REMARK = """mutation R($input: RemarkCreateInput!) { remarkCreate(input: $input) { __typename
  ... on ValidationError { fields { field code } } ... on Error { code } } }"""
REMARKS = """query R($id: ID!, $from: Date!, $to: Date!) { student(id: $id) { remarks(from: $from, to: $to)
  { id } } }"""
GRADES = """query G($id: ID!, $from: Date!, $to: Date!) { student(id: $id) { diary(from: $from, to: $to) {
  entries { grades { id } } } } }"""
NOTICES = """query A($id: ID!, $from: Date!, $to: Date!) { student(id: $id) { absenceNotices(from: $from, to: $to)
  { id } } }"""


async def _slot(
    g: Groups, group: str | None, subject: str, weekday: int, valid_from: Any = None
) -> models.TimetableSlot:
    groups = {m.name.split()[1]: m for m in await models.ClassGroup.filter(home_class=g.kit.classes["5A"])}
    return await models.TimetableSlot.create(
        school_class=g.kit.classes["5A"],
        subject=g.kit.subjects[subject],
        teacher=g.teachers[group or "maths"],
        weekday=weekday,
        period=3,
        valid_from=valid_from or g.kit.year.start_date,
        group=groups[group] if group else None,
    )


async def _timetable(factory: Factory, viewer: models.User) -> set[str]:
    data = await factory.client(viewer).data(TIMETABLE)
    return {s["id"] for school in data["viewer"]["schools"] for s in school["timetable"]}


async def test_a_child_sees_only_the_slots_of_their_groups_and_class(factory: Factory) -> None:
    g = await _groups(factory)
    slots = {
        "maths": await _slot(g, None, "Mathematics", 1),
        "en": await _slot(g, "en", "English", 2),
        "de": await _slot(g, "de", "German", 2),
        # a German slot from the day cat left the group: never one of cat's
        "de_later": await _slot(g, "de", "German", 3, valid_from=g.moved),
        "pro": await _slot(g, "pro", "Mathematics", 4),
    }
    ids = {name: gid(slot, "TimetableSlot") for name, slot in slots.items()}

    def named(*names: str) -> set[str]:
        return {ids[n] for n in names}

    assert await _timetable(factory, g.parents["ann"]) == named("maths", "en")
    assert await _timetable(factory, g.parents["ben"]) == named("maths", "de", "de_later")
    assert await _timetable(factory, g.parents["cat"]) == named("maths", "en", "de")
    assert await _timetable(factory, g.parents["dan"]) == named("pro")  # 5B's member: not 5A's own
    assert await _timetable(factory, g.parents["eve"]) == named("maths")
    # a group-only teacher: their group's slots, not the rest of the class's
    assert await _timetable(factory, g.teachers["en"]) == named("en")
    assert await _timetable(factory, g.teachers["de"]) == named("de", "de_later")
    assert await _timetable(factory, g.teachers["pro"]) == named("pro")
    # the class's whole-class teacher and its admin: every slot of the class and its groups
    assert await _timetable(factory, g.teachers["maths"]) == set(ids.values())
    assert g.kit.admin is not None
    assert await _timetable(factory, g.kit.admin) == set(ids.values())
    # by id too: another group's slot is not there
    for viewer, hidden in (
        (g.parents["ann"], "de"),
        (g.parents["cat"], "de_later"),
        (g.teachers["en"], "maths"),
        (g.teachers["en"], "de"),
    ):
        assert (await factory.client(viewer).data(NODE, id=ids[hidden]))["node"] is None, (viewer.email, hidden)
    assert (await factory.client(g.parents["ann"]).data(NODE, id=ids["en"]))["node"] == {"id": ids["en"]}


async def _remark(factory: Factory, teacher: models.User, student: models.Student, lesson: Any = None) -> Any:
    fields = {"studentId": gid(student, "Student"), "kind": "PRAISE", "text": "Well done"}
    if lesson is not None:
        fields["lessonId"] = gid(lesson, "Lesson")
    result = (await factory.client(teacher).data(REMARK, input=fields))["remarkCreate"]
    if result["__typename"] == "RemarkCreateSuccess":
        return "ok"
    return sorted(f["code"] for f in result.get("fields", [])) or result["code"]


async def test_a_group_teacher_remarks_only_on_their_groups_members_on_their_days(factory: Factory) -> None:
    g = await _groups(factory)
    en, de, pro = (g.teachers[n] for n in ("en", "de", "pro"))
    before = await models.Remark.all().count()
    # the other group's child and one of no group are not there for the English teacher at all
    assert await _remark(factory, en, g.children["ben"]) == "STUDENT_NOT_FOUND"
    assert await _remark(factory, en, g.children["eve"]) == "STUDENT_NOT_FOUND"
    assert await _remark(factory, de, g.children["cat"]) == ["NOT_ASSIGNED"]  # left the German group
    # cat joined the English group on the second day: not a remark on the first day's lesson
    assert await _remark(factory, en, g.children["cat"], g.lessons["en"][0]) == ["NOT_ASSIGNED"]
    assert await models.Remark.all().count() == before  # refused: nothing written
    assert await _remark(factory, en, g.children["ann"]) == "ok"
    assert await _remark(factory, en, g.children["cat"], g.lessons["en"][1]) == "ok"
    assert await _remark(factory, de, g.children["cat"], g.lessons["de"][0]) == "ok"
    # the cross-class group's teacher: its 5B member, also on the group's lesson filed under 5A
    assert await _remark(factory, pro, g.children["dan"], g.lessons["pro"][0]) == "ok"
    assert await _remark(factory, pro, g.children["ann"]) == "STUDENT_NOT_FOUND"
    # the whole class's teacher still remarks on anyone of 5A, not with another group's lesson
    assert await _remark(factory, g.teachers["maths"], g.children["ben"]) == "ok"
    assert await _remark(factory, g.teachers["maths"], g.children["ann"], g.lessons["de"][0]) == ["LESSON_NOT_IN_CLASS"]


async def _remarks(factory: Factory, g: Groups, viewer: models.User, child: str) -> set[str]:
    data = await factory.client(viewer).data(
        REMARKS, id=gid(g.children[child], "Student"), **{"from": g.days[0].isoformat(), "to": g.days[-1].isoformat()}
    )
    return {r["id"] for r in (data["student"] or {"remarks": []})["remarks"]}


async def test_a_group_teacher_reads_the_remarks_of_their_members_days_only(factory: Factory) -> None:
    g = await _groups(factory)
    maths = g.teachers["maths"]
    written = {
        (child, i): gid(await factory.remark(g.children[child], maths, day=day), "Remark")
        for child in ("ann", "ben", "cat", "eve")
        for i, day in enumerate(g.days[:2])
    }

    def of(*keys: tuple[str, int]) -> set[str]:
        return {written[k] for k in keys}

    en, de = g.teachers["en"], g.teachers["de"]
    assert await _remarks(factory, g, en, "ann") == of(("ann", 0), ("ann", 1))
    assert await _remarks(factory, g, en, "cat") == of(("cat", 1))  # not of before cat joined
    assert await _remarks(factory, g, de, "cat") == of(("cat", 0))  # not of after cat left
    for viewer, child in ((en, "ben"), (en, "eve"), (de, "ann")):
        assert await _remarks(factory, g, viewer, child) == set()
    assert await _remarks(factory, g, maths, "cat") == of(("cat", 0), ("cat", 1))
    assert await _remarks(factory, g, g.parents["cat"], "cat") == of(("cat", 0), ("cat", 1))
    # reachable is visible, and not yours looks like not there: by id
    for (child, i), remark in written.items():
        for viewer, name in ((en, "en"), (de, "de")):
            seen = (await factory.client(viewer).data(NODE, id=remark))["node"] is not None
            expected = remark in await _remarks(factory, g, viewer, child)
            assert seen == expected, (name, child, i)


async def _grades(factory: Factory, g: Groups, viewer: models.User, child: str) -> set[str]:
    data = await factory.client(viewer).data(
        GRADES, id=gid(g.children[child], "Student"), **{"from": g.days[0].isoformat(), "to": g.days[-1].isoformat()}
    )
    student = data["student"] or {"diary": []}
    return {x["id"] for d in student["diary"] for e in d["entries"] for x in e["grades"]}


async def test_a_group_teacher_reaches_no_grade_of_a_member_outside_their_days(factory: Factory) -> None:
    g = await _groups(factory)
    grades = {
        ("cat", "maths", 0): await factory.grade(g.children["cat"], g.lessons["maths"][0]),
        ("cat", "de", 0): await factory.grade(g.children["cat"], g.lessons["de"][0]),
        ("cat", "maths", 1): await factory.grade(g.children["cat"], g.lessons["maths"][1]),
        ("cat", "en", 1): await factory.grade(g.children["cat"], g.lessons["en"][1]),
        ("ann", "en", 0): await factory.grade(g.children["ann"], g.lessons["en"][0]),
        ("ben", "de", 0): await factory.grade(g.children["ben"], g.lessons["de"][0]),
        ("dan", "pro", 0): await factory.grade(g.children["dan"], g.lessons["pro"][0]),
    }
    ids = {k: gid(v, "Grade") for k, v in grades.items()}
    expected = {
        # cat's grades of before joining the English group (another teacher's) are not the English teacher's
        "en": {("cat", "maths", 1), ("cat", "en", 1), ("ann", "en", 0)},
        "de": {("cat", "maths", 0), ("cat", "de", 0), ("ben", "de", 0)},
        "pro": {("dan", "pro", 0)},
        "maths": {k for k in ids if k[0] != "dan"},
    }
    for teacher, sees in expected.items():
        client = factory.client(g.teachers[teacher])
        reached = {k for k, i in ids.items() if (await client.data(NODE, id=i))["node"] is not None}
        assert reached == sees, teacher
        # what the diary shows them is exactly what node() returns
        listed = set().union(*[await _grades(factory, g, g.teachers[teacher], c) for c in ("ann", "ben", "cat", "dan")])
        assert listed == {ids[k] for k in sees}, teacher
    # homework of the other group's lesson is not there for a group's teacher either
    homework = await factory.homework(g.lessons["de"][0])
    assert (await factory.client(g.teachers["en"]).data(NODE, id=gid(homework, "Homework")))["node"] is None
    assert (await factory.client(g.teachers["de"]).data(NODE, id=gid(homework, "Homework")))["node"] is not None


async def test_a_group_teacher_reads_the_notices_covering_their_members_days(factory: Factory) -> None:
    g = await _groups(factory)
    first, last = g.days[0], g.days[-1]
    notices = {
        "cat_before": await factory.absence_notice(g.children["cat"], g.parents["cat"], first, first),
        "cat_after": await factory.absence_notice(g.children["cat"], g.parents["cat"], last, last),
        "ann": await factory.absence_notice(g.children["ann"], g.parents["ann"], first, last),
        "ben": await factory.absence_notice(g.children["ben"], g.parents["ben"], first, first + timedelta(days=1)),
        "eve": await factory.absence_notice(g.children["eve"], g.parents["eve"], first, first),
    }
    ids = {k: gid(v, "AbsenceNotice") for k, v in notices.items()}
    expected = {
        "en": {"cat_after", "ann"},  # cat's day in the German group is not the English teacher's
        "de": {"cat_before", "ben"},  # nor cat's day after leaving it the German teacher's
        "pro": set(),
        "maths": set(ids),
    }
    for teacher, sees in expected.items():
        client = factory.client(g.teachers[teacher])
        reached = {k for k, i in ids.items() if (await client.data(NODE, id=i))["node"] is not None}
        assert reached == sees, teacher
        listed: set[str] = set()
        for child in ("ann", "ben", "cat", "eve"):
            data = await client.data(
                NOTICES, id=gid(g.children[child], "Student"), **{"from": first.isoformat(), "to": last.isoformat()}
            )
            listed |= {n["id"] for n in (data["student"] or {"absenceNotices": []})["absenceNotices"]}
        assert listed == {ids[k] for k in sees}, teacher
