"""A group-only teacher's reach into final grades, progress, the class rank and the journal's
averages (issue 21, option (a); README "Class groups"): a member's final grade of a term, and
their progress and rank, only when the child was in the teacher's group on a day of that term;
the progress counts those days only. The world is ``test_group_reads._groups`` (ann: English;
ben: German; cat: German, then English from ``moved``; dan: 5B, the cross-class group; eve: no
group) with the year cut in two terms (the first ends 30 days ago) and two more 5A children:
fay, in the English group during the first term only, and gus, in it until 15 days ago and
again from the world's first day."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import models
from resolvers.core import today_utc
from tests.conftest import StatementCounter
from tests.factories import Factory, school_days_before
from tests.grades.test_group_reads import Groups, _groups
from tests.helpers import gid, open_socket

NODE = "query N($id: ID!) { node(id: $id) { id } }"
STUDENT = """query S($id: ID!, $t1: ID!, $t2: ID!) { student(id: $id) {
  t1: progress(termId: $t1) { subject { name } termGrade { id } }
  t2: progress(termId: $t2) { subject { name } termGrade { id } }
  r1: rank(termId: $t1) { classSize } r2: rank(termId: $t2) { classSize } } }"""
CLASS = """query C($id: ID!, $t1: ID!, $t2: ID!) { node(id: $id) { ... on SchoolClass { students { id
  t1: progress(termId: $t1) { termGrade { id } } t2: progress(termId: $t2) { termGrade { id } } } } } }"""
GAP = """query G($id: ID!, $subject: ID!, $from: Date!, $to: Date!) { student(id: $id) {
  progress { subject { name } weightedAverage absences grades { id } }
  progressChart(subjectId: $subject, from: $from, to: $to) { gradeCount } } }"""
JOURNAL = """query J($id: ID!, $subject: ID!) { node(id: $id) { ... on SchoolClass { journal(subjectId: $subject) {
  rows { student { id } average termGrade { id } } } } } }"""
SET = """mutation S($input: TermGradeSetInput!) { termGradeSet(input: $input) { __typename
  ... on TermGradeSetSuccess { termGrade { id } } ... on ValidationError { fields { field code } }
  ... on Error { code } } }"""
GRADES = """mutation G($input: GradesCreateInput!) { gradesCreate(input: $input) { __typename } }"""
EVENTS = """subscription E($id: ID!) { diaryEvents(studentId: $id) { kind termGrade { id } } }"""


@dataclass
class Finals:
    g: Groups
    first: models.Term  # ended 30 days ago
    second: models.Term  # the current one
    early: date  # a school day of the first term: fay's and ann's, with English and mathematics
    gap: date  # a day gus was out of the English group (a mathematics lesson, graded 2, missed)
    finals: dict[tuple[str, str], str]  # (child, "t1"/"t2"/"year") -> the final grade's global id


async def _finals(factory: Factory) -> Finals:
    g = await _groups(factory)
    kit, today = g.kit, today_utc()
    kit.term.end_date = today - timedelta(days=30)
    await kit.term.save(update_fields=["end_date"])
    second = await models.Term.create(
        academic_year=kit.year, school=kit.school, name="Term 2", number=2,
        start_date=today - timedelta(days=29), end_date=kit.year.end_date,
    )  # fmt: skip
    english = await models.ClassGroup.get(home_class=kit.classes["5A"], name=f"5 en {factory.tag}")
    for name in ("fay", "gus"):
        g.parents[name] = await factory.parent(f"parent_{name}")
        g.children[name] = await factory.student(kit, "5A", name, guardians=[g.parents[name]], login=False)
    start = kit.year.start_date
    spans: list[tuple[str, date, date | None]] = [("fay", start, today - timedelta(days=40))]
    spans.append(("gus", start, today - timedelta(days=15)))
    spans.append(("gus", g.days[0], None))
    for child, first, last in spans:
        await models.GroupMembership.create(student=g.children[child], group=english, start_date=first, end_date=last)
    early, before = (school_days_before(today - timedelta(days=n), 1)[0] for n in (45, 18))
    gap = school_days_before(today - timedelta(days=7), 1)[0]
    maths = g.teachers["maths"]
    await factory.lesson(kit, "5A", "English", g.teachers["en"], early, period=3, group=english)
    lessons = {day: await factory.lesson(kit, "5A", "Mathematics", maths, day) for day in (early, before, gap)}
    gus = g.children["gus"]
    for lesson, value in ((lessons[before], "5"), (lessons[gap], "2"), (g.lessons["maths"][0], "4")):
        await factory.grade(gus, lesson, value)
    await factory.mark(gus, lessons[gap], models.AttendanceStatus.ABSENT_UNEXCUSED)
    finals: dict[tuple[str, str], str] = {}
    for child in ("ann", "ben", "cat", "dan", "eve", "fay"):
        subject = "Mathematics" if child == "dan" else "English"
        periods: list[tuple[str, models.Term | None]] = [("t1", kit.term), ("t2", second)]
        if child in ("ben", "fay"):
            periods.append(("year", None))
        for key, term in periods:
            finals[child, key] = gid(await _final(factory, g, child, subject, term), "TermGrade")
    return Finals(g, kit.term, second, early, gap, finals)


async def _final(factory: Factory, g: Groups, child: str, subject: str, term: models.Term | None) -> models.TermGrade:
    student = g.children[child]
    enrollment = await models.Enrollment.get(student_id=student.id)
    return await models.TermGrade.create(
        student=student,
        subject=g.kit.subjects[subject],
        school_class_id=enrollment.school_class_id,  # 5B for dan: set in the child's own class
        academic_year=g.kit.year,
        term=term,
        period_key=f"term:{term.id}" if term else f"year:{g.kit.year.id}",
        teacher=g.teachers["maths"],
        value="5",
        numeric_value=5.0,
    )


def _ids(w: Finals, *keys: tuple[str, str]) -> set[str]:
    return {w.finals[k] for k in keys}


async def test_a_group_teacher_reads_the_final_grades_of_the_terms_their_members_were_in_the_group(
    factory: Factory,
) -> None:
    w = await _finals(factory)
    expected = {
        # fay left before the second term, cat joined in it: their other terms' are not there
        "en": _ids(w, ("ann", "t1"), ("ann", "t2"), ("cat", "t2"), ("fay", "t1"), ("fay", "year")),
        "de": _ids(w, ("ben", "t1"), ("ben", "t2"), ("ben", "year"), ("cat", "t1"), ("cat", "t2")),
        "pro": _ids(w, ("dan", "t1"), ("dan", "t2")),  # set in 5B, the class of the member's days
        "maths": {i for (child, _k), i in w.finals.items() if child != "dan"},  # the whole class: unchanged
    }
    for teacher, sees in expected.items():
        client = factory.client(w.g.teachers[teacher])
        reached = {i for i in w.finals.values() if (await client.data(NODE, id=i))["node"] is not None}
        assert reached == sees, teacher
    for child in ("fay", "ben"):  # the family: all of its child's
        client = factory.client(w.g.parents[child])
        reached = {i for i in w.finals.values() if (await client.data(NODE, id=i))["node"] is not None}
        assert reached == {i for (c, _k), i in w.finals.items() if c == child}, child


async def test_a_group_teachers_progress_and_rank_of_a_member_follow_the_terms_in_the_group(factory: Factory) -> None:
    w = await _finals(factory)
    terms = {"t1": gid(w.first, "Term"), "t2": gid(w.second, "Term")}

    async def read(teacher: str, child: str) -> dict[str, Any]:
        client = factory.client(w.g.teachers[teacher])
        found: dict[str, Any] = (await client.data(STUDENT, id=gid(w.g.children[child], "Student"), **terms))["student"]
        return found

    def finals_of(progress: list[dict[str, Any]]) -> set[str]:
        return {p["termGrade"]["id"] for p in progress if p["termGrade"]}

    fay = await read("en", "fay")  # in the group during the first term only
    assert {p["subject"]["name"] for p in fay["t1"]} == {"English", "Mathematics"}
    assert finals_of(fay["t1"]) == _ids(w, ("fay", "t1"))
    assert (fay["t2"], fay["r2"]) == ([], None)
    assert fay["r1"] is not None
    cat = await read("en", "cat")  # joined in the second term
    assert (cat["t1"], cat["r1"]) == ([], None)
    assert (finals_of(cat["t2"]), cat["r2"] is not None) == (_ids(w, ("cat", "t2")), True)
    # cat left the German group in the second term: both terms' ranks for its teacher
    for teacher, child in (("de", "cat"), ("en", "ann"), ("maths", "fay"), ("maths", "cat")):
        found = await read(teacher, child)
        assert (found["r1"] is None, found["r2"] is None) == (False, False), (teacher, child)
    # through the class's list, the same: a member's final grades of their terms in the group only
    data = await factory.client(w.g.teachers["en"]).data(CLASS, id=gid(w.g.kit.classes["5A"], "SchoolClass"), **terms)
    listed = {
        p["termGrade"]["id"] for s in data["node"]["students"] for t in ("t1", "t2") for p in s[t] if p["termGrade"]
    }
    assert listed == _ids(w, ("ann", "t1"), ("ann", "t2"), ("cat", "t2"), ("fay", "t1"))


async def test_a_members_progress_counts_only_their_days_in_the_group(factory: Factory) -> None:
    """gus left the English group 15 days ago and came back on the world's first day: the English
    teacher's progress and chart of gus leave out the days between (a 2 and an absence)."""
    w = await _finals(factory)
    subject = gid(w.g.kit.subjects["Mathematics"], "Subject")
    span = {"from": w.second.start_date.isoformat(), "to": today_utc().isoformat()}

    async def maths(teacher: str) -> tuple[float, int, int, int]:
        client = factory.client(w.g.teachers[teacher])
        data = await client.data(GAP, id=gid(w.g.children["gus"], "Student"), subject=subject, **span)
        found = next(p for p in data["student"]["progress"] if p["subject"]["name"] == "Mathematics")
        charted = sum(p["gradeCount"] for p in data["student"]["progressChart"])
        return found["weightedAverage"], found["absences"], len(found["grades"]), charted

    assert await maths("en") == (4.5, 0, 2, 2)  # the 5 and the 4 of gus's days in the group
    assert await maths("maths") == (3.67, 1, 3, 3)  # the whole class's teacher: every day


async def test_a_group_teachers_journal_averages_their_members_days_only(factory: Factory) -> None:
    """An English grade cat got in a whole-class English lesson before joining the English group
    is not in the group's journal (nor its average); the member's final grade of the term is."""
    w = await _finals(factory)
    g = w.g
    lesson = await factory.lesson(g.kit, "5A", "English", g.teachers["maths"], g.days[0], period=6)
    await factory.grade(g.children["cat"], lesson, "2")
    await factory.grade(g.children["ann"], lesson, "3")
    await factory.grade(g.children["cat"], g.lessons["en"][1], "5")
    await factory.grade(g.children["ann"], g.lessons["en"][1], "5")
    data = await factory.client(g.teachers["en"]).data(
        JOURNAL, id=gid(g.kit.classes["5A"], "SchoolClass"), subject=gid(g.kit.subjects["English"], "Subject")
    )
    rows = {r["student"]["id"]: r for r in data["node"]["journal"]["rows"]}
    cat, ann = rows[gid(g.children["cat"], "Student")], rows[gid(g.children["ann"], "Student")]
    assert (cat["average"], cat["termGrade"]) == (5.0, {"id": w.finals["cat", "t2"]})
    assert (ann["average"], ann["termGrade"]) == (4.0, {"id": w.finals["ann", "t2"]})
    assert gid(g.children["fay"], "Student") not in rows  # not in the group this term


async def _set(factory: Factory, w: Finals, teacher: str, child: str, term: models.Term | None) -> Any:
    fields = {
        "studentId": gid(w.g.children[child], "Student"),
        "subjectId": gid(w.g.kit.subjects["English"], "Subject"),
    }
    if term is not None:
        fields["termId"] = gid(term, "Term")
    result = (await factory.client(w.g.teachers[teacher]).data(SET, input={**fields, "value": "4"}))["termGradeSet"]
    if result["__typename"] == "TermGradeSetSuccess":
        return "ok"
    return sorted((f["field"], f["code"]) for f in result.get("fields", [])) or result["code"]


async def test_a_group_teacher_sets_only_the_final_grades_they_read(factory: Factory) -> None:
    w = await _finals(factory)
    await models.TermGrade.filter(student_id=w.g.children["cat"].id).delete()
    before = await models.TermGrade.all().count()
    # cat joined the English group in the second term: not the first term's final grade
    assert await _set(factory, w, "en", "cat", w.first) == [("termId", "NOT_ASSIGNED")]
    assert await _set(factory, w, "en", "fay", w.second) == [("subjectId", "NOT_ASSIGNED")]  # not a member today
    assert await models.TermGrade.all().count() == before
    assert await _set(factory, w, "en", "cat", w.second) == "ok"
    assert await _set(factory, w, "en", "cat", None) == "ok"  # the year's: cat is in the group this year
    assert await _set(factory, w, "en", "gus", w.first) == "ok"  # in the group then, and today


async def test_a_group_teacher_following_a_child_gets_only_the_grades_they_read(
    factory: Factory, server_url: str
) -> None:
    w = await _finals(factory)
    await models.TermGrade.filter(student_id=w.g.children["fay"].id).delete()
    socket = await open_socket(server_url, factory.client(w.g.teachers["en"]).token)
    await socket.start(EVENTS, id=gid(w.g.children["fay"], "Student"))
    await asyncio.sleep(0.2)
    maths = factory.client(await factory.teacher(w.g.kit, [("5A", "English")], name="english"))  # the whole class's
    # a grade of a day after fay left the group: not the English teacher's, skipped like the next
    lesson = {"lessonId": gid(w.g.lessons["maths"][0], "Lesson")}
    grades = [{"studentId": gid(w.g.children["fay"], "Student"), "value": "2"}]
    given = await factory.client(w.g.teachers["maths"]).data(GRADES, input={**lesson, "grades": grades})
    assert given["gradesCreate"]["__typename"] == "GradesCreateSuccess", given
    fields = {
        "studentId": gid(w.g.children["fay"], "Student"),
        "subjectId": gid(w.g.kit.subjects["English"], "Subject"),
    }
    for term, value in ((w.second, "3"), (w.first, "4")):  # the second term's first: skipped
        result = await maths.data(SET, input={**fields, "termId": gid(term, "Term"), "value": value})
        assert result["termGradeSet"]["__typename"] == "TermGradeSetSuccess", result
    first = await models.TermGrade.get(student_id=w.g.children["fay"].id, term_id=w.first.id)
    message = await socket.next()
    assert message["payload"]["data"]["diaryEvents"] == {
        "kind": "TERM_GRADE_SET",
        "termGrade": {"id": gid(first, "TermGrade")},
    }
    await socket.nothing()
    await socket.ws.close()


async def test_a_group_teachers_finals_cost_no_statement_per_member(
    factory: Factory, count_statements: StatementCounter
) -> None:
    """A group's teacher's class list with each member's final grades costs the same for one
    member as for three."""
    w = await _finals(factory)
    terms = {"t1": gid(w.first, "Term"), "t2": gid(w.second, "Term")}
    costs = []
    for teacher, members in (("de", 2), ("en", 4)):
        count_statements.statements.clear()
        data = await factory.client(w.g.teachers[teacher]).data(
            CLASS, id=gid(w.g.kit.classes["5A"], "SchoolClass"), **terms
        )
        costs.append(count_statements.count)
        assert len(data["node"]["students"]) == members
    assert costs[0] == costs[1], costs
