"""N+1 is a bug: the statements a list field costs do not grow with the data. Each test
builds its schools, classes and four weeks of lessons from factories, dated from the clock's
today."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import models
from resolvers import policy, sessions
from resolvers.core import now_utc, today_utc
from resolvers.loaders import Loaders
from resolvers.sessions import Viewer
from tests.client import Client
from tests.conftest import StatementCounter
from tests.factories import Factory, SchoolKit, school_days_before

SCHOOL_TREE = """
query T($from: Date!, $to: Date!) { viewer { schools {
  name timezone gradeScale { min max passMark }
  terms { name startDate endDate } bellSchedule { number variant startsAt endsAt }
  daysOff(from: $from, to: $to) { name }
  classes { name homeroomTeacher { fullName }
    students { fullName schoolClass { name } school { name } }
    lessons(from: $from, to: $to) { period startsAt subject { name } teacher { fullName } schoolClass { name }
      homework { text links lesson { id } } } } } } }
"""
PROGRESS = """
{ viewer { children { fullName schoolClass { name }
  progress { subject { name } average weightedAverage absences unexcusedAbsences late
    grades { value weight kind teacher { fullName } lesson { topic } subject { name } student { fullName } } } } } }
"""
TEACHING = """
query T($from: Date!, $to: Date!) { viewer { teaching { subject { name } schoolClass { name
  students { fullName } lessons(from: $from, to: $to) { period homework { text } } } } } }
"""


def _range(weeks: int) -> dict[str, str]:
    end = today_utc()
    return {"from": (end - timedelta(weeks=weeks)).isoformat(), "to": end.isoformat()}


def _explain(small: list[str], large: list[str]) -> str:
    """Which statement shapes the larger request sent more (or fewer) times than the smaller."""
    more, fewer = Counter(large) - Counter(small), Counter(small) - Counter(large)
    return f"{len(small)} vs {len(large)} statements; extra: {dict(more)}; missing: {dict(fewer)}"


def _shape(statement: str) -> str:
    sql = statement.rsplit(": [", 1)[0]
    sql = sql[sql.find("FROM") :]
    sql = re.sub(r"\(\$\d+(,\$\d+)*\)|\(\?(,\?)*\)", "(...)", sql)
    return re.sub(r"\$\d+", "?", sql)[:120]


async def _count(
    client: Client, counter: StatementCounter, query: str, **variables: object
) -> tuple[list[str], dict[str, Any]]:
    counter.statements.clear()
    data = await client.data(query, **variables)
    return [_shape(s) for s in counter.statements], data


WEEKS = 4  # of lessons before today, in every class


@dataclass
class Staffed:
    """A school with lessons of mathematics and Russian in each class on each of the last
    ``WEEKS`` weeks' school days, every lesson with homework, every class with a homeroom teacher
    and students, and a day off today."""

    kit: SchoolKit
    maths: dict[str, models.User] = field(default_factory=dict)  # by class: its mathematics teacher


async def _staffed(
    factory: Factory, name: str, classes: tuple[str, ...], maths: dict[str, tuple[str, ...]], students: int = 3
) -> Staffed:
    """``maths`` maps a teacher's name to the classes they teach mathematics in."""
    kit = await factory.school(name, classes=classes)
    world = Staffed(kit)
    for teacher_name, taught in maths.items():
        teacher = await factory.teacher(
            kit, [(c, "Mathematics") for c in taught], name=f"{teacher_name}{kit.school.id}"
        )
        world.maths.update(dict.fromkeys(taught, teacher))
    russian = await factory.teacher(kit, [(c, "Russian language") for c in classes], name=f"russian{kit.school.id}")
    days = school_days_before(today_utc(), 5 * WEEKS)
    for class_name in classes:
        class_id = kit.classes[class_name].id
        homeroom = await factory.teacher(kit, [], name=f"homeroom{class_id}")
        await models.SchoolClass.filter(id=class_id).update(homeroom_teacher_id=homeroom.id)
        for n in range(students):
            await factory.student(kit, class_name, f"pupil{class_id}n{n}", login=False)
        for day in days:
            for period, (subject, teacher) in enumerate(
                (("Mathematics", world.maths[class_name]), ("Russian language", russian)), start=1
            ):
                lesson = await factory.lesson(kit, class_name, subject, teacher, day, period, topic=f"Topic {day}")
                await factory.homework(lesson, f"Exercise {day}", links=["https://example.org/task"])
    await factory.day_off(kit, today_utc())
    return world


async def test_school_tree(factory: Factory, count_statements: StatementCounter) -> None:
    """One school x 1 week (admin) costs what two schools x 4 weeks (district admin) cost."""
    first = await _staffed(factory, "First", ("5A", "6B"), {"maths": ("5A", "6B")})
    await _staffed(factory, "Second", ("7A", "7B", "8A"), {"maths": ("7A", "7B"), "algebra": ("8A",)})
    admin, district = factory.client(first.kit.admin), factory.client(await factory.district_admin())
    small, one = await _count(admin, count_statements, SCHOOL_TREE, **_range(1))
    large, two = await _count(district, count_statements, SCHOOL_TREE, **_range(WEEKS))
    assert len(one["viewer"]["schools"]) == 1
    assert len(two["viewer"]["schools"]) == 2
    lessons = sum(len(c["lessons"]) for s in two["viewer"]["schools"] for c in s["classes"])
    assert lessons > 3 * sum(len(c["lessons"]) for s in one["viewer"]["schools"] for c in s["classes"]) / 2
    assert len(large) == len(small), _explain(small, large)


@dataclass
class Families:
    parent: models.User  # of a child in 5A and one in 6B
    other_parent: models.User  # of one child in 5A


async def _families(factory: Factory) -> Families:
    """Two subjects, each with its teacher, in 5A and 6B on the last ten school days; every child
    graded in every lesson of their class and marked in some: absent, excused or not, and late."""
    kit = await factory.school(classes=("5A", "6B"))
    teachers = {
        subject: await factory.teacher(kit, [("5A", subject), ("6B", subject)], name=f"tutor{n}")
        for n, subject in enumerate(kit.subjects)
    }
    parent, other_parent = await factory.parent("mum"), await factory.parent("dad")
    pupils = {
        "5A": [
            await factory.student(kit, "5A", "anna", guardians=[parent]),
            await factory.student(kit, "5A", "vera", guardians=[other_parent]),
        ],
        "6B": [await factory.student(kit, "6B", "boris", guardians=[parent])],
    }
    kinds = [models.GradeKind.CLASSWORK, models.GradeKind.TEST, models.GradeKind.ORAL]
    marks = [models.AttendanceStatus.ABSENT_UNEXCUSED, models.AttendanceStatus.ABSENT_EXCUSED]
    for n, day in enumerate(school_days_before(today_utc(), 10)):
        for class_name, children in pupils.items():
            for period, subject in enumerate(kit.subjects, start=1):
                teacher = teachers[subject]
                lesson = await factory.lesson(kit, class_name, subject, teacher, day, period, topic=f"Topic {n}")
                for child in children:
                    await factory.grade(child, lesson, str(2 + (n + period) % 4), 1 + n % 2, kinds[n % 3])
                    if n % 4 == 3:
                        await factory.mark(child, lesson, marks[period % 2])
                    elif n % 4 == 1:
                        await factory.mark(child, lesson, models.AttendanceStatus.LATE, late_minutes=5)
    return Families(parent, other_parent)


async def test_progress(factory: Factory, count_statements: StatementCounter) -> None:
    families = await _families(factory)
    small, one = await _count(factory.client(families.other_parent), count_statements, PROGRESS)
    large, two = await _count(factory.client(families.parent), count_statements, PROGRESS)
    assert len(one["viewer"]["children"]) == 1
    assert len(two["viewer"]["children"]) == 2
    assert all(c["progress"] for c in two["viewer"]["children"])
    assert len(large) == len(small), _explain(small, large)


async def test_teaching(factory: Factory, count_statements: StatementCounter) -> None:
    """A teacher of two classes (4 weeks) costs what a one-class teacher (1 week) costs."""
    school = await _staffed(factory, "School", ("5A", "6B", "7A"), {"maths": ("5A", "6B"), "single": ("7A",)})
    one_class, teacher = factory.client(school.maths["7A"]), factory.client(school.maths["5A"])
    small, one = await _count(one_class, count_statements, TEACHING, **_range(1))
    large, two = await _count(teacher, count_statements, TEACHING, **_range(WEEKS))
    assert (len(one["viewer"]["teaching"]), len(two["viewer"]["teaching"])) == (1, 2)
    assert len(large) == len(small), _explain(small, large)


SESSIONS = """
{ viewer { sessions(first: 100) { edges { cursor node { id userAgent address createdAt lastSeenAt current } }
  pageInfo { hasNextPage endCursor } } } }
"""


async def test_sessions(factory: Factory, count_statements: StatementCounter) -> None:
    """Eight sessions cost what two cost: the request's own session with its account, and one
    page of live sessions."""
    clients = []
    for name, devices in (("few", 2), ("many", 8)):
        user = await factory.user(name)
        pairs = [
            await sessions.start_session(factory.settings, user, f"Device {n}", "10.0.0.1") for n in range(devices)
        ]
        clients.append(Client(factory.http, pairs[-1].access_token))
    small, few = await _count(clients[0], count_statements, SESSIONS)
    large, many = await _count(clients[1], count_statements, SESSIONS)
    assert (len(few["viewer"]["sessions"]["edges"]), len(many["viewer"]["sessions"]["edges"])) == (2, 8)
    assert len(large) == len(small) == 2, _explain(small, large)


PARTICIPANTS = """
{ viewer { chats(first: 100) { edges { node { title
  participants(first: 3) { edges { cursor node { isAdmin user { fullName } } } pageInfo { hasNextPage endCursor } }
  later: participants(last: 2) { edges { node { user { fullName } } } } } } } } }
"""


async def test_chat_participants(factory: Factory, count_statements: StatementCounter) -> None:
    """The members of four chats of seven cost what those of one chat of two cost: each page
    request is one statement for every chat of the list (``pages.pages_by_owner``)."""
    kit = await factory.school()
    few, many = await factory.teacher(kit, [], name="few"), await factory.teacher(kit, [], name="many")
    people = [await factory.parent(f"member{n}") for n in range(6)]
    await factory.chat(kit, few, people[:1], title="one")
    for n in range(4):
        await factory.chat(kit, many, people, title=f"chat {n}")
    small, one = await _count(factory.client(few), count_statements, PARTICIPANTS)
    large, four = await _count(factory.client(many), count_statements, PARTICIPANTS)
    chats = [e["node"] for e in four["viewer"]["chats"]["edges"]]
    assert len(one["viewer"]["chats"]["edges"]) == 1
    assert len(chats) == 4
    assert all(len(c["participants"]["edges"]) == 3 and c["participants"]["pageInfo"]["hasNextPage"] for c in chats)
    assert len(large) == len(small), _explain(small, large)


ANSWERS = """
{ viewer { meetings { title
  answers(first: 2) { edges { cursor node { answer comment user { fullName } } } pageInfo { hasNextPage endCursor } }
  latest: answers(last: 1) { edges { node { answeredAt } } } } } }
"""


async def test_meeting_answers(factory: Factory, count_statements: StatementCounter) -> None:
    """The answers to four meetings of several parents each cost what one meeting's single answer
    costs: each page request is one statement for every meeting listed (``pages.pages_by_owner``)."""
    kit = await factory.school(classes=("5A", "6B"))
    few, many = await factory.homeroom(kit, "5A"), await factory.homeroom(kit, "6B")
    parents = [await factory.parent(f"guardian{n}") for n in range(3)]
    for n, parent in enumerate(parents):
        await factory.student(kit, "6B", f"pupil{n}", guardians=[parent])
    start = now_utc() + timedelta(days=7)
    for organiser, class_name, count, answering in ((few, "5A", 1, parents[:1]), (many, "6B", 4, parents)):
        for n in range(count):
            meeting = await models.Meeting.create(
                school=kit.school,
                organiser=organiser,
                title=f"{class_name} meeting {n}",
                starts_at=start,
                ends_at=start + timedelta(hours=1),
                place="Room 1",
            )
            await models.MeetingClass.create(meeting=meeting, school_class=kit.classes[class_name])
            for parent in answering:
                await models.MeetingResponse.create(
                    meeting=meeting, user=parent, answer=models.MeetingAnswer.ATTENDING, answered_at=now_utc()
                )
    small, one = await _count(factory.client(few), count_statements, ANSWERS)
    large, four = await _count(factory.client(many), count_statements, ANSWERS)
    assert [len(m["answers"]["edges"]) for m in one["viewer"]["meetings"]] == [1]
    assert [len(m["answers"]["edges"]) for m in four["viewer"]["meetings"]] == [2, 2, 2, 2]
    assert len(large) == len(small), _explain(small, large)


DISTRICT_SCHOOLS = """
{ viewer { districts { name
  schoolsConnection(first: 2) { edges { cursor node { name } } pageInfo { hasNextPage endCursor } }
  last: schoolsConnection(last: 1) { edges { node { name } } } } } }
"""


async def test_district_schools(factory: Factory, count_statements: StatementCounter) -> None:
    """The schools of three districts of three schools each cost what one district's single school
    costs: each page request is one statement for every district listed (``pages.pages_by_owner``)."""
    few, many = await factory.user("few"), await factory.user("many")
    one = await models.District.create(name="One")
    await models.School.create(district=one, name="Only", timezone="Europe/Moscow")
    await models.RoleGrant.create(user=few, role=models.Role.DISTRICT_ADMIN, district=one)
    for n in range(3):
        district = await models.District.create(name=f"District {n}")
        for letter in "ABC":
            await models.School.create(district=district, name=f"School {letter}", timezone="Europe/Moscow")
        await models.RoleGrant.create(user=many, role=models.Role.DISTRICT_ADMIN, district=district)
    small, single = await _count(factory.client(few), count_statements, DISTRICT_SCHOOLS)
    large, three = await _count(factory.client(many), count_statements, DISTRICT_SCHOOLS)
    assert [len(d["schoolsConnection"]["edges"]) for d in single["viewer"]["districts"]] == [1]
    assert [len(d["schoolsConnection"]["edges"]) for d in three["viewer"]["districts"]] == [2, 2, 2]
    assert len(large) == len(small), _explain(small, large)


async def test_loaders_made_where_the_field_is(factory: Factory, count_statements: StatementCounter) -> None:
    """``Loaders.grouped`` and ``Loaders.one`` (a field's loader declared at the field): the
    parents of a list share one statement however many they are, two fields asking with the
    same arguments share the loader, and a rule's scope decides what ``one`` answers."""
    kit = await factory.school()
    teacher = await factory.teacher(kit, [("5A", "Mathematics")], name="maths")
    parent = await factory.parent()
    other_parent = await factory.parent(name="other")
    students = [await factory.student(kit, "5A", f"pupil{i}", guardians=[parent]) for i in range(3)]
    stranger = await factory.student(kit, "5A", "stranger", guardians=[other_parent])
    mine = await factory.remark(students[0], teacher)
    theirs = await factory.remark(stranger, teacher)

    loaders = Loaders(Viewer(parent.id))
    enrollments = loaders.grouped(models.Enrollment, "student_id", "start_date", "id")
    assert loaders.grouped(models.Enrollment, "student_id", "start_date", "id") is enrollments
    count_statements.statements.clear()
    found = await asyncio.gather(*(enrollments.load(s.id) for s in [*students, stranger]))
    assert len(count_statements.statements) == 1, count_statements.statements
    assert [[e.student_id for e in rows] for rows in found] == [[s.id] for s in [*students, stranger]]

    remarks = loaders.one(policy.visible_remarks)
    count_statements.statements.clear()
    got = await asyncio.gather(remarks.load(mine.id), remarks.load(theirs.id), remarks.load(theirs.id + 1000))
    assert len(count_statements.statements) == 1, count_statements.statements
    assert [r.id if r else None for r in got] == [mine.id, None, None]
