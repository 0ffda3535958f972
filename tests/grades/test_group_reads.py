"""Families see only their child's group (issue 21, README "Class groups"): a group's lesson,
its homework and its announced assessment are in the diary, the upcoming assessments and the
progress of the children who were the group's members on the lesson's day, and of nobody else
in the class (``policy.LESSONS_OF_STUDENTS``); its live events and reminders go to their
families only. A cross-class group's lesson is filed under its home class and still reaches its
members from the other class, under their own class."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

import models
from pubsub.broker import EventKind
from resolvers import reminders
from resolvers.core import freeze, today_utc
from tests.factories import Factory, SchoolKit, school_days_before, school_days_from
from tests.helpers import gid
from tests.notifying import inbox, run_notifier

DIARY = """query D($id: ID!, $from: Date!, $to: Date!) { student(id: $id) { diary(from: $from, to: $to) {
  date entries { lesson { id audience subject { name } } homework { id text } } } } }"""
UPCOMING = """query U($id: ID!) { student(id: $id) { upcomingAssessments(days: 14) { id lesson { id } } } }"""
PROGRESS = """query P($id: ID!) { student(id: $id) { progress { subject { name } absences } } }"""
NODE = """query N($id: ID!) { node(id: $id) { id } }"""
CANCEL = """mutation C($input: LessonCancelInput!) { lessonCancel(input: $input) { __typename
  ... on Error { code } } }"""
ASSIGN = """mutation A($input: HomeworkAssignInput!) { homeworkAssign(input: $input) { __typename
  ... on HomeworkAssignSuccess { homework { id } } ... on Error { code } } }"""


@dataclass
class Groups:
    kit: SchoolKit
    teachers: dict[str, models.User]  # "en", "de", "pro" (groups only), "maths" (5A as a whole)
    children: dict[str, models.Student]  # ann: English; ben: German; cat: German, then English
    parents: dict[str, models.User]  # from ``moved``; dan: 5B, in the cross-class group; eve: no group
    lessons: dict[str, list[models.Lesson]]  # per group (and "maths"): one a day on ``days``
    days: list[Any]  # two school days before today and the next one after it
    moved: Any


async def _groups(factory: Factory) -> Groups:
    kit = await factory.school(subjects=("English", "German", "Mathematics"), classes=("5A", "5B"))
    a, b = kit.classes["5A"], kit.classes["5B"]
    groups: dict[str, models.ClassGroup] = {}
    for name, kind, classes in (
        ("en", "SPLIT", [a]),
        ("de", "SPLIT", [a]),
        ("pro", "CROSS_CLASS", [a, b]),
    ):
        groups[name] = await models.ClassGroup.create(
            school=kit.school, academic_year=kit.year, home_class=a, name=f"5 {name} {factory.tag}", kind=kind
        )
        for klass in classes:
            await models.ClassGroupClass.create(group=groups[name], school_class=klass)
    subjects = {"en": "English", "de": "German", "pro": "Mathematics"}
    teachers = {"maths": await factory.teacher(kit, [("5A", "Mathematics")], name="maths")}
    for name, subject in subjects.items():
        teachers[name] = await factory.teacher(kit, [], name=f"teacher_{name}")
        await models.TeachingAssignment.create(
            teacher=teachers[name], school_class=a, subject=kit.subjects[subject], group=groups[name]
        )
    parents = {n: await factory.parent(f"parent_{n}") for n in ("ann", "ben", "cat", "dan", "eve")}
    children = {
        n: await factory.student(kit, "5B" if n == "dan" else "5A", n, guardians=[parents[n]], login=False)
        for n in parents
    }
    days = [*school_days_before(today_utc(), 2), school_days_from(today_utc() + timedelta(days=1), 1)[0]]
    moved, start = days[1], kit.year.start_date
    for child, group in (("ann", "en"), ("ben", "de"), ("dan", "pro")):
        await models.GroupMembership.create(student=children[child], group=groups[group], start_date=start)
    await models.GroupMembership.create(
        student=children["cat"], group=groups["de"], start_date=start, end_date=moved - timedelta(days=1)
    )
    await models.GroupMembership.create(student=children["cat"], group=groups["en"], start_date=moved)
    lessons: dict[str, list[models.Lesson]] = {n: [] for n in (*subjects, "maths")}
    for day in days:
        lessons["maths"].append(await factory.lesson(kit, "5A", "Mathematics", teachers["maths"], day, period=1))
        for name, subject in subjects.items():
            period = 5 if name == "pro" else 3  # both language groups at the same hour
            lessons[name].append(
                await factory.lesson(kit, "5A", subject, teachers[name], day, period=period, group=groups[name])
            )
    return Groups(kit, teachers, children, parents, lessons, days, moved)


async def _diary(factory: Factory, g: Groups, child: str) -> list[tuple[Any, str, str]]:
    data = await factory.client(g.parents[child]).data(
        DIARY, id=gid(g.children[child], "Student"), **{"from": g.days[0].isoformat(), "to": g.days[-1].isoformat()}
    )
    return [
        (d["date"], e["lesson"]["subject"]["name"], e["lesson"]["audience"])
        for d in data["student"]["diary"]
        for e in d["entries"]
    ]


def _expect(g: Groups, *per_day: tuple[str, ...]) -> list[tuple[Any, str, str]]:
    """Per day (in order), the subjects of the child's lessons in period order."""
    names = {"maths": ("Mathematics", "CLASS"), "en": ("English", "GROUP"), "de": ("German", "GROUP")}
    names["pro"] = ("Mathematics", "GROUP")
    return [(day.isoformat(), *names[n]) for day, todays in zip(g.days, per_day, strict=True) for n in todays]


async def test_a_child_sees_only_the_lessons_of_the_groups_they_were_in_on_the_day(factory: Factory) -> None:
    g = await _groups(factory)
    assert await _diary(factory, g, "ann") == _expect(g, *[("maths", "en")] * 3)
    assert await _diary(factory, g, "ben") == _expect(g, *[("maths", "de")] * 3)
    # cat moved from German to English on the second day: the old group before, the new one after
    assert await _diary(factory, g, "cat") == _expect(g, ("maths", "de"), ("maths", "en"), ("maths", "en"))
    # 5B's dan: the cross-class group's lessons, filed under 5A, and none of 5A's own
    assert await _diary(factory, g, "dan") == _expect(g, *[("pro",)] * 3)
    assert await _diary(factory, g, "eve") == _expect(g, *[("maths",)] * 3)


async def test_a_groups_homework_and_assessment_are_its_members_only(factory: Factory) -> None:
    g = await _groups(factory)
    en, de = g.lessons["en"][-1], g.lessons["de"][-1]
    homework = {n: await factory.homework(lesson, text=n) for n, lesson in (("en", en), ("de", de))}
    planned = await models.PlannedAssessment.create(
        lesson=en, kind=models.GradeKind.TEST, description="Unit 3", planned_by=g.teachers["en"]
    )
    for child, sees, hidden in (("ann", "en", "de"), ("cat", "en", "de"), ("ben", "de", "en")):
        parent = factory.client(g.parents[child])
        diary = await parent.data(
            DIARY,
            id=gid(g.children[child], "Student"),
            **{"from": g.days[-1].isoformat(), "to": g.days[-1].isoformat()},
        )
        texts = [h["text"] for d in diary["student"]["diary"] for e in d["entries"] for h in e["homework"]]
        assert texts == [sees]
        upcoming = (await parent.data(UPCOMING, id=gid(g.children[child], "Student")))["student"]
        assert upcoming["upcomingAssessments"] == (
            [{"id": gid(planned, "PlannedAssessment"), "lesson": {"id": gid(en, "Lesson")}}] if sees == "en" else []
        )
        # not theirs looks like not there, by id too
        assert (await parent.data(NODE, id=gid(homework[hidden], "Homework")))["node"] is None
        assert (await parent.data(NODE, id=gid(g.lessons[hidden][-1], "Lesson")))["node"] is None
        assert (await parent.data(NODE, id=gid(homework[sees], "Homework")))["node"] is not None
    ben = factory.client(g.parents["ben"])
    assert (await ben.data(NODE, id=gid(planned, "PlannedAssessment")))["node"] is None
    # the cross-class group's lesson is its 5B member's to look up; another school's parent sees none of it
    assert (await factory.client(g.parents["dan"]).data(NODE, id=gid(g.lessons["pro"][0], "Lesson")))["node"]
    other = await factory.school(name="Other", subjects=("English",))
    stranger = await factory.parent("stranger")
    await factory.student(other, "5A", "zed", guardians=[stranger], login=False)
    for obj, name in ((g.lessons["en"][0], "Lesson"), (homework["en"], "Homework"), (g.children["ann"], "Student")):
        assert (await factory.client(stranger).data(NODE, id=gid(obj, name)))["node"] is None


async def test_a_child_is_counted_only_for_their_groups_lessons(factory: Factory) -> None:
    g = await _groups(factory)
    await factory.mark(g.children["ann"], g.lessons["en"][0], models.AttendanceStatus.ABSENT_UNEXCUSED)
    await factory.mark(g.children["cat"], g.lessons["de"][0], models.AttendanceStatus.ABSENT_EXCUSED)
    await factory.mark(g.children["dan"], g.lessons["pro"][0], models.AttendanceStatus.ABSENT_EXCUSED)

    async def progress(child: str) -> dict[str, int]:
        data = await factory.client(g.parents[child]).data(PROGRESS, id=gid(g.children[child], "Student"))
        return {p["subject"]["name"]: p["absences"] for p in data["student"]["progress"]}

    assert await progress("ann") == {"English": 1, "Mathematics": 0}
    assert await progress("ben") == {"German": 0, "Mathematics": 0}
    assert await progress("cat") == {"English": 0, "German": 1, "Mathematics": 0}
    assert await progress("dan") == {"Mathematics": 1}  # the profile group's, not 5A's mathematics
    assert await progress("eve") == {"Mathematics": 0}


async def test_a_groups_events_and_reminders_reach_its_members_families_only(app: Any, factory: Factory) -> None:
    g = await _groups(factory)
    en = g.lessons["en"][-1]
    while await run_notifier(app):  # every event before this test is notified
        pass
    made = await factory.client(g.teachers["en"]).data(ASSIGN, input={"lessonId": gid(en, "Lesson"), "text": "Read"})
    assert made["homeworkAssign"]["__typename"] == "HomeworkAssignSuccess", made
    rows = await models.OutboxEvent.filter(lesson_id=en.id, kind=EventKind.HOMEWORK_ASSIGNED)
    assert sorted(r.student_id for r in rows) == sorted([g.children["ann"].id, g.children["cat"].id])
    while await run_notifier(app):
        pass
    told = {n: [x["kind"] for x in await inbox(factory.client(p))] for n, p in g.parents.items()}
    assert told == {"ann": ["HOMEWORK_ASSIGNED"], "cat": ["HOMEWORK_ASSIGNED"], "ben": [], "dan": [], "eve": []}

    # the cross-class group's events go to 5B's dan under his own class
    pro = g.lessons["pro"][-1]
    made = await factory.client(g.teachers["pro"]).data(ASSIGN, input={"lessonId": gid(pro, "Lesson"), "text": "Sums"})
    assert made["homeworkAssign"]["__typename"] == "HomeworkAssignSuccess", made
    rows = await models.OutboxEvent.filter(lesson_id=pro.id, kind=EventKind.HOMEWORK_ASSIGNED)
    assert [(r.student_id, r.school_class_id) for r in rows] == [(g.children["dan"].id, g.kit.classes["5B"].id)]

    # the school cancels the German group's lesson: its members' families are told, no one else's
    de = g.lessons["de"][-1]
    assert g.kit.admin is not None
    cancel = {"lessonId": gid(de, "Lesson"), "reason": "Teacher ill"}
    done = await factory.client(g.kit.admin).data(CANCEL, input=cancel)
    assert done["lessonCancel"]["__typename"] == "LessonChangeSuccess", done
    rows = await models.OutboxEvent.filter(lesson_id=de.id, kind=EventKind.LESSON_CANCELLED)
    assert [r.student_id for r in rows] == [g.children["ben"].id]  # cat left the German group

    await models.PlannedAssessment.create(
        lesson=en, kind=models.GradeKind.TEST, description="Unit 3", planned_by=g.teachers["en"]
    )
    eve = datetime.combine(en.date - timedelta(days=1), time(20, 0), tzinfo=UTC)
    with freeze(eve):
        await reminders.remind_assessments(app.state.broker)
    reminded = await models.AssessmentReminder.filter(planned_assessment__lesson_id=en.id).values_list(
        "user_id", flat=True
    )
    assert sorted(int(str(u)) for u in reminded) == sorted([g.parents["ann"].id, g.parents["cat"].id])


STUDENT = """query S($id: ID!, $from: Date!, $to: Date!) { student(id: $id) { diary(from: $from, to: $to) {
  date entries { lesson { id } } } } }"""
CLASS_STUDENTS = """query C($id: ID!) { node(id: $id) { ... on SchoolClass { students { id } } } }"""


async def test_a_group_only_teacher_reads_only_their_groups_children_on_their_days(factory: Factory) -> None:
    g = await _groups(factory)
    span = {"from": g.days[0].isoformat(), "to": g.days[-1].isoformat()}

    async def days_read(teacher: str, child: str) -> list[str] | None:
        data = await factory.client(g.teachers[teacher]).data(STUDENT, id=gid(g.children[child], "Student"), **span)
        if data["student"] is None:
            return None
        return [d["date"] for d in data["student"]["diary"] if d["entries"]]

    every = [d.isoformat() for d in g.days]
    assert await days_read("en", "ann") == every
    assert await days_read("en", "cat") == every[1:]  # in the English group from the second day only
    assert await days_read("en", "ben") is None  # the German group's child is not there
    assert await days_read("en", "eve") is None  # nor a child of no group
    assert await days_read("de", "cat") == every[:1]
    assert await days_read("pro", "dan") == every  # the cross-class group's 5B member
    assert await days_read("pro", "eve") is None
    # the whole class's teacher keeps reading the whole class
    for child in ("ann", "ben", "cat", "eve"):
        assert await days_read("maths", child) == every
    listed = await factory.client(g.teachers["en"]).data(CLASS_STUDENTS, id=gid(g.kit.classes["5A"], "SchoolClass"))
    assert sorted(s["id"] for s in listed["node"]["students"]) == sorted(
        gid(g.children[c], "Student") for c in ("ann", "cat")
    )


JOURNAL = """query J($class: ID!, $subject: ID!) { node(id: $class) { ... on SchoolClass {
  journal(subjectId: $subject) { lessons { id } rows { student { id } } } } } }"""


async def test_a_group_only_teachers_journal_holds_their_groups_lessons_and_members(factory: Factory) -> None:
    g = await _groups(factory)

    async def journal(teacher: str, subject: str) -> tuple[set[str], set[str]]:
        data = await factory.client(g.teachers[teacher]).data(
            JOURNAL,
            **{"class": gid(g.kit.classes["5A"], "SchoolClass"), "subject": gid(g.kit.subjects[subject], "Subject")},
        )
        found = data["node"]["journal"]
        return {x["id"] for x in found["lessons"]}, {r["student"]["id"] for r in found["rows"]}

    def ids(*names: str) -> set[str]:
        return {gid(g.children[n], "Student") for n in names}

    lessons, students = await journal("en", "English")
    assert lessons == {gid(x, "Lesson") for x in g.lessons["en"]}
    assert students == ids("ann", "cat")  # not ben of the German group, nor eve
    lessons, students = await journal("pro", "Mathematics")
    assert lessons == {gid(x, "Lesson") for x in g.lessons["pro"]}  # not the whole class's mathematics
    assert students == ids("dan")  # 5B's member of the cross-class group
    lessons, students = await journal("maths", "Mathematics")  # the whole class's teacher: the whole class
    assert {gid(x, "Lesson") for x in g.lessons["maths"]} <= lessons
    assert students == ids("ann", "ben", "cat", "eve")


CLASS_LESSONS = """query L($id: ID!, $from: Date!, $to: Date!) { node(id: $id) { ... on SchoolClass {
  lessons(from: $from, to: $to) { id } } } }"""


async def test_a_class_lists_a_groups_lessons_to_whom_they_are_visible(factory: Factory) -> None:
    g = await _groups(factory)
    span = {"from": g.days[0].isoformat(), "to": g.days[-1].isoformat()}

    async def listed(user: models.User) -> set[str]:
        data = await factory.client(user).data(CLASS_LESSONS, id=gid(g.kit.classes["5A"], "SchoolClass"), **span)
        return {x["id"] for x in data["node"]["lessons"]}

    def of(*names: str, only: slice = slice(None)) -> set[str]:
        return {gid(x, "Lesson") for n in names for x in g.lessons[n][only]}

    assert await listed(g.parents["ann"]) == of("maths", "en")
    assert await listed(g.parents["ben"]) == of("maths", "de")
    assert await listed(g.parents["cat"]) == of("maths") | of("de", only=slice(0, 1)) | of("en", only=slice(1, None))
    assert await listed(g.parents["eve"]) == of("maths")
    # a group-only teacher: their group's, and what its members' diaries show on their days in it
    assert await listed(g.teachers["en"]) == of("maths", "en")
    assert await listed(g.teachers["maths"]) == of("maths", "en", "de", "pro")  # the class's teacher: all


async def _reached(client: Any, ids: list[str]) -> set[str]:
    """The ids of ``ids`` that ``node(id:)`` returns to the client."""
    return {i for i in ids if (await client.data(NODE, id=i))["node"] is not None}


async def test_a_group_only_teacher_reaches_by_id_exactly_the_lessons_of_their_members_diaries(
    factory: Factory,
) -> None:
    """Issue 21, the lead's option (a): a group-only teacher reads a member's whole diary on the
    days of membership, and ``node(id:)`` returns exactly those lessons (reachable implies visible):
    not a day before the child joined, not another group's lesson a non-member attends that day,
    and the member's other group's only while the child is a member of it."""
    g = await _groups(factory)
    pro = await models.ClassGroup.get(id=g.lessons["pro"][0].group_id)
    await models.GroupMembership.create(student=g.children["ann"], group=pro, start_date=g.days[2])
    client = factory.client(g.teachers["en"])
    span = {"from": g.days[0].isoformat(), "to": g.days[-1].isoformat()}
    in_diaries: set[str] = set()
    for child in ("ann", "cat"):
        data = await client.data(STUDENT, id=gid(g.children[child], "Student"), **span)
        in_diaries |= {e["lesson"]["id"] for d in data["student"]["diary"] for e in d["entries"]}
    every = [gid(x, "Lesson") for n in ("maths", "en", "de", "pro") for x in g.lessons[n]]
    reached = await _reached(client, every)
    assert reached == in_diaries
    expected = {gid(x, "Lesson") for n in ("maths", "en") for x in g.lessons[n]} | {gid(g.lessons["pro"][2], "Lesson")}
    assert reached == expected
    # cat's German lesson of the first day (before she joined English) and ann's cross-class
    # group's lessons before she joined it are not theirs, nor the German group's other lessons
    assert gid(g.lessons["de"][0], "Lesson") not in reached
    assert not {gid(x, "Lesson") for x in g.lessons["pro"][:2]} & reached
    # the German group's teacher: ben's and cat's first day, never an English lesson (ann is no
    # member of theirs, cat left them before her English lessons)
    reached_de = await _reached(factory.client(g.teachers["de"]), every)
    assert reached_de == {gid(x, "Lesson") for n in ("maths", "de") for x in g.lessons[n]}


GRADE_LESSON = """query G($id: ID!) { node(id: $id) { ... on Grade { id lesson { id } } } }"""
REMARK_LESSON = """query R($id: ID!) { node(id: $id) { ... on Remark { id lesson { id } } } }"""


async def test_a_grade_or_remark_seen_without_its_lesson_answers_no_lesson(factory: Factory) -> None:
    """A field that returns a lesson applies the lesson's scope, not its parent's (STYLE:
    "reachable implies visible"): cat's grade and remark in the German group's lesson stay her
    family's after her membership there is removed as entered by mistake (she was never in that lesson), but
    the lesson is no longer theirs, so ``lesson`` is null, as ``node`` of it is."""
    g = await _groups(factory)
    cat, lesson = g.children["cat"], g.lessons["de"][0]
    grade = await factory.grade(cat, lesson)
    remark = await factory.remark(cat, g.teachers["de"], lesson=lesson)
    parent = factory.client(g.parents["cat"])
    found = await parent.data(GRADE_LESSON, id=gid(grade, "Grade"))
    assert found["node"]["lesson"] == {"id": gid(lesson, "Lesson")}  # while she was a member that day
    await models.GroupMembership.filter(student_id=cat.id, group_id=lesson.group_id).delete()
    found = await parent.data(GRADE_LESSON, id=gid(grade, "Grade"))
    assert found["node"] == {"id": gid(grade, "Grade"), "lesson": None}
    found = await parent.data(REMARK_LESSON, id=gid(remark, "Remark"))
    assert found["node"] == {"id": gid(remark, "Remark"), "lesson": None}
    assert (await parent.data(NODE, id=gid(lesson, "Lesson")))["node"] is None
