"""The demo district, on whatever day the clock says (CI runs this on seven dates of a school
year): the demo parent logs in with the documented password and finds a sensible diary.

In term: this school week's lessons, with grades over the last school days (none yet on the
first day of a year). In summer (June to August): the year just finished, its last weeks
marked and graded. These are the only tests that read the demo seed."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest

import models
from demo.seed import academic_year_start
from resolvers.core import today_utc
from tests.client import Client
from tests.conftest import login_as
from tests.helpers import gid

CHILDREN = "{ viewer { children { id fullName schoolClass { name school { name } } } } }"
DIARY = """
query D($id: ID!, $from: Date!, $to: Date!) { student(id: $id) { diary(from: $from, to: $to) {
  date kind entries { lesson { subject { name } topic group { id } } grades { value } attendance
  homework { text } } } } }
"""


@pytest.mark.parametrize(
    ("today", "start"),
    [
        (date(2026, 12, 7), date(2026, 9, 1)),
        (date(2027, 1, 1), date(2026, 9, 1)),
        (date(2027, 5, 31), date(2026, 9, 1)),
        (date(2027, 7, 15), date(2026, 9, 1)),  # summer: the year just finished
        (date(2027, 8, 31), date(2026, 9, 1)),
        (date(2027, 9, 1), date(2027, 9, 1)),  # the new year's first day
    ],
)
def test_the_demo_year_is_the_current_one_or_in_summer_the_one_just_finished(today: date, start: date) -> None:
    assert academic_year_start(today) == start


async def test_the_demo_parent_sees_a_sensible_diary_today(demo_parent: Client) -> None:
    children = (await demo_parent.data(CHILDREN))["viewer"]["children"]
    assert sorted(c["schoolClass"]["name"] for c in children) == ["5A", "6B"]
    child = next(c for c in children if c["schoolClass"]["name"] == "5A")
    student = await models.Student.get(user__login="student")
    year = await models.AcademicYear.get(school_id=student.school_id)
    today = today_utc()
    assert year.start_date == academic_year_start(today)

    # The week to look at: this one, or in summer the year's last week.
    end = min(today, year.end_date)
    start = end - timedelta(days=20)  # longer than any break (the winter one is 14 days)
    days = (await demo_parent.data(DIARY, id=child["id"], **{"from": start.isoformat(), "to": end.isoformat()}))[
        "student"
    ]["diary"]
    school_days = [d for d in days if d["kind"] == "SCHOOL_DAY" and date.fromisoformat(d["date"]) >= year.start_date]
    # Three weeks always hold a school day of the year (on its first day, that day).
    assert school_days, days
    assert all(d["entries"] for d in school_days), "every school day of the demo has lessons"
    past = [d for d in school_days if date.fromisoformat(d["date"]) < today]
    grades = [g for d in past for e in d["entries"] for g in e["grades"]]
    # the lessons the child attends: the class's, and their own groups' (a diary may also list
    # the other group's lessons until it shows only the child's groups)
    own = {gid(g, "ClassGroup") for g in await models.ClassGroup.filter(memberships__student_id=student.id)}
    marks = [
        e["attendance"] for d in past for e in d["entries"] if (e["lesson"]["group"] or {}).get("id", "") in {"", *own}
    ]
    if past:
        assert grades, "the school days before today are graded"
        assert all(m is not None for m in marks), "and every lesson before today is marked"
        assert all(e["lesson"]["topic"] for d in past for e in d["entries"])
    else:  # the first day of the year: nothing graded or marked yet
        assert today == year.start_date
        assert grades == []
    upcoming = [d for d in school_days if date.fromisoformat(d["date"]) > today]
    assert all(e["grades"] == [] and e["attendance"] is None for d in upcoming for e in d["entries"])


async def test_in_summer_the_diary_says_vacation(demo_parent: Client) -> None:
    """This week's diary outside the school year: every weekday is the summer vacation."""
    children = (await demo_parent.data(CHILDREN))["viewer"]["children"]
    year = await models.AcademicYear.get(school__name="School No. 1")
    today = today_utc()
    for day in (year.start_date - timedelta(days=3), year.end_date + timedelta(days=1)):
        days = (
            await demo_parent.data(DIARY, id=children[0]["id"], **{"from": day.isoformat(), "to": day.isoformat()})
        )["student"]["diary"]
        assert days[0]["kind"] in ("VACATION", "WEEKEND"), (today, days)
        assert days[0]["entries"] == []


CHATS = "{ viewer { chats(first: 100) { edges { node { title unreadCount } } } } }"
SEARCH = "query S($text: String) { peopleSearch(query: $text) { fullName } }"


async def test_the_demo_chats_are_there_for_their_members_only(demo: None, http: httpx.AsyncClient) -> None:
    """The teacher's chat with 5A's parents and School No. 1's staff room, one unread each."""

    async def chats(login: str) -> dict[str, int]:
        data = await (await login_as(http, login)).data(CHATS)
        return {e["node"]["title"]: e["node"]["unreadCount"] for e in data["viewer"]["chats"]["edges"]}

    parents_chat, staff_room = "5A mathematics: parents", "School No. 1 staff room"
    for login in ("parent", "parent2"):
        assert (await chats(login)).get(parents_chat) == 1
    assert {parents_chat, staff_room} <= set(await chats("teacher"))
    admin = await chats("admin")
    assert staff_room in admin
    assert parents_chat not in admin
    assert set(await chats("student")) & {parents_chat, staff_room} == set()


async def test_the_demo_people_are_searchable(demo: None, http: httpx.AsyncClient) -> None:
    child = await models.Student.get(user__login="student")
    data = await (await login_as(http, "admin")).data(SEARCH, text=child.full_name.split()[0].upper())
    assert child.full_name in [p["fullName"] for p in data["peopleSearch"]]


async def test_the_demo_families_have_remarks_once_there_were_lessons(demo: None) -> None:
    """Each demo family's child has the teacher's two remarks about recent mathematics lessons,
    unless their class has not yet had three (the first days of a year)."""
    for login in ("parent", "parent2"):
        children = await models.Student.filter(guardianships__guardian__login=login)
        assert children
        for child in children:
            enrollment = await models.Enrollment.get(student_id=child.id, end_date__isnull=True)
            held = await models.Lesson.filter(
                school_class_id=enrollment.school_class_id, subject__name="Mathematics", date__lt=today_utc()
            ).count()
            assert await models.Remark.filter(student_id=child.id).count() == (2 if held >= 3 else 0), login


async def test_the_demo_logins_work_with_the_documented_password(demo: None, http: httpx.AsyncClient) -> None:
    for login in ("parent", "parent2", "student", "teacher", "admin", "district", "applicant"):
        body = await Client(http).data(
            'mutation L($l: String!) { login(input: {login: $l, password: "demo"}) { __typename } }', l=login
        )
        assert body["login"]["__typename"] == "LoginSuccess", login


async def test_the_demo_has_class_groups(demo: None, http: httpx.AsyncClient) -> None:
    """School No. 1 (demo/groups.py): 5A's English in two groups at the same hours, each with
    its own teacher; 6B's computing in halves, both given by one teacher at different hours;
    every child of the class in one group, and a group's lessons marked for its members only."""
    school = await models.School.get(name="School No. 1")
    groups = {g.name: g for g in await models.ClassGroup.filter(school_id=school.id)}
    assert set(groups) == {"5A English 1", "5A English 2", "6B computing 1", "6B computing 2"}
    for class_name, names in (("5A", ("5A English 1", "5A English 2")), ("6B", ("6B computing 1", "6B computing 2"))):
        klass = await models.SchoolClass.get(school_id=school.id, grade_level=int(class_name[0]), letter=class_name[1])
        enrolled = {r[0] for r in await models.Enrollment.filter(school_class_id=klass.id).values_list("student_id")}
        members = [
            set(await models.GroupMembership.filter(group_id=groups[n].id).values_list("student_id", flat=True))
            for n in names
        ]
        assert members[0]
        assert members[1]
        assert not members[0] & members[1]
        assert members[0] | members[1] == enrolled
    student = await models.Student.get(user__login="student")
    assert await models.GroupMembership.exists(student_id=student.id, group_id=groups["5A English 1"].id)

    teachers = {
        name: {r[0] for r in await models.TeachingAssignment.filter(group_id=g.id).values_list("teacher__login")}
        for name, g in groups.items()
    }
    assert teachers["5A English 2"] == {"t1.en2"}
    assert len(teachers["5A English 1"]) == 1
    assert teachers["5A English 1"] != teachers["5A English 2"]
    assert teachers["6B computing 1"] == teachers["6B computing 2"]  # one teacher, two groups
    hours = {
        name: set(await models.TimetableSlot.filter(group_id=g.id).values_list("weekday", "period"))
        for name, g in groups.items()
    }
    assert hours["5A English 1"] == hours["5A English 2"]
    assert hours["6B computing 1"]
    assert not hours["6B computing 1"] & hours["6B computing 2"]

    for group in groups.values():
        lessons = models.Lesson.filter(group_id=group.id)
        assert await lessons.exists(), group.name
        marked = set(await models.Attendance.filter(lesson__group_id=group.id).values_list("student_id", flat=True))
        assert marked <= set(
            await models.GroupMembership.filter(group_id=group.id).values_list("student_id", flat=True)
        )
    body = await Client(http).data(
        'mutation L($l: String!) { login(input: {login: $l, password: "demo"}) { __typename } }', l="t1.en2"
    )
    assert body["login"]["__typename"] == "LoginSuccess"
