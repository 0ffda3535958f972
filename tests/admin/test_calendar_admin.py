"""academicYear*, term*, dayOff*, bellScheduleSet, shortDay*: an admin runs the school calendar
and the year's lessons follow (from today on), without losing a grade.

Each test builds its own schools from factories (their admins run them), dated from the clock's
today; classes with a weekly timetable come from ``tests/admin/test_timetable_admin.py``'s builders."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import models
from resolvers.core import today_utc
from tests.admin.test_timetable_admin import CLASS_LESSONS, DIARY, Fresh, _fresh, _school, _slot
from tests.api.test_statements import _count, _explain
from tests.conftest import StatementCounter
from tests.factories import Factory, SchoolKit, school_days_before
from tests.helpers import gid

ERR = "... on ValidationError { fields { field code } } ... on Error { code message }"
CHANGES = "lessons { created removed cancelled restored kept { id date } }"
YEAR_CREATE = (
    "mutation Y($input: AcademicYearCreateInput!) { academicYearCreate(input: $input) { __typename"
    " ... on AcademicYearSuccess { academicYear { id name startDate endDate terms { id } } } " + ERR + " } }"
)
YEAR_UPDATE = (
    "mutation Y($input: AcademicYearUpdateInput!) { academicYearUpdate(input: $input) { __typename"
    " ... on AcademicYearUpdateSuccess { academicYear { id name endDate } " + CHANGES + " } " + ERR + " } }"
)
TERM_CREATE = (
    "mutation T($input: TermCreateInput!) { termCreate(input: $input) { __typename"
    " ... on TermSuccess { term { id name number startDate endDate } } " + ERR + " } }"
)
TERM_UPDATE = (
    "mutation T($input: TermUpdateInput!) { termUpdate(input: $input) { __typename"
    " ... on TermSuccess { term { id name number startDate endDate } } " + ERR + " } }"
)
TERM_DELETE = (
    "mutation T($input: TermDeleteInput!) { termDelete(input: $input) { __typename"
    " ... on TermDeleteSuccess { deletedTermId } " + ERR + " } }"
)
DAY_OFF_FIELDS = "dayOff { id kind name startDate endDate } " + CHANGES
DAY_OFF_CREATE = (
    "mutation D($input: DayOffCreateInput!) { dayOffCreate(input: $input) { __typename"
    " ... on DayOffSuccess { " + DAY_OFF_FIELDS + " } " + ERR + " } }"
)
DAY_OFF_UPDATE = (
    "mutation D($input: DayOffUpdateInput!) { dayOffUpdate(input: $input) { __typename"
    " ... on DayOffSuccess { " + DAY_OFF_FIELDS + " } " + ERR + " } }"
)
DAY_OFF_DELETE = (
    "mutation D($input: DayOffDeleteInput!) { dayOffDelete(input: $input) { __typename"
    " ... on DayOffDeleteSuccess { deletedDayOffId " + CHANGES + " } ... on Error { code message } } }"
)
BELLS = (
    "mutation B($input: BellScheduleSetInput!) { bellScheduleSet(input: $input) { __typename"
    " ... on BellScheduleSetSuccess { periods { number variant startsAt endsAt } lessonsRetimed } " + ERR + " } }"
)
SHORT_CREATE = (
    "mutation S($input: ShortDayCreateInput!) { shortDayCreate(input: $input) { __typename"
    " ... on ShortDaySuccess { shortDay { id date name } lessonsRetimed } " + ERR + " } }"
)
SHORT_DELETE = (
    "mutation S($input: ShortDayDeleteInput!) { shortDayDelete(input: $input) { __typename"
    " ... on ShortDayDeleteSuccess { deletedShortDayId lessonsRetimed } ... on Error { code message } } }"
)
CALENDAR = """query C($from: Date!, $to: Date!) { viewer { schools { name
  academicYears { id name startDate endDate terms { name number } }
  shortDays(from: $from, to: $to) { date name } daysOff(from: $from, to: $to) { id name kind } } } }"""
NODE = "query N($id: ID!) { node(id: $id) { __typename id } }"


async def _counts() -> tuple[int, ...]:
    return (
        await models.AcademicYear.all().count(),
        await models.Term.all().count(),
        await models.DayOff.all().count(),
        await models.BellPeriod.all().count(),
        await models.ShortDay.all().count(),
        await models.Lesson.all().count(),
        await models.AuditEntry.all().count(),
    )


async def _current_year(school: models.School) -> models.AcademicYear:
    today = today_utc()
    return await models.AcademicYear.get(school_id=school.id, start_date__lte=today, end_date__gte=today)


async def _term_ahead(kit: SchoolKit, days: int = 30) -> models.Term:
    """Ends the kit's term ``days`` after today and adds a second one from then to the year's end."""
    today = today_utc()
    kit.term.end_date = today + timedelta(days=days)
    await kit.term.save(update_fields=["end_date"])
    return await models.Term.create(
        academic_year=kit.year,
        school=kit.school,
        name="Term 2",
        number=2,
        start_date=today + timedelta(days=days + 1),
        end_date=kit.year.end_date,
    )


async def _shortened_bells(kit: SchoolKit) -> None:
    """The SHORTENED variant of the bells: seven 30-minute periods from 08:30, 10-minute breaks."""
    await models.BellPeriod.bulk_create(
        [
            models.BellPeriod(
                school=kit.school,
                variant=models.BellVariant.SHORTENED,
                number=n,
                start_minute=8 * 60 + 30 + 40 * (n - 1),
                end_minute=8 * 60 + 30 + 40 * (n - 1) + 30,
            )
            for n in range(1, 8)
        ]
    )


async def _future_wednesdays(f: Fresh, weeks_ahead: int, count: int) -> list[date]:
    """School-day Wednesdays on which the fresh class has a lesson, starting ``weeks_ahead`` weeks out."""
    start = today_utc() + timedelta(weeks=weeks_ahead)
    rows = await models.Lesson.filter(school_class_id=f.klass.id, date__gte=start).order_by("date").limit(count)
    return [x.date for x in rows]


# --- academic years and terms -----------------------------------------------------------


async def test_years_and_terms(factory: Factory) -> None:
    kit = await factory.school()
    admin2 = factory.client(kit.admin)
    school = kit.school
    current = await _current_year(school)
    start = current.end_date + timedelta(days=93)
    created = (
        await admin2.data(
            YEAR_CREATE,
            input={
                "schoolId": gid(school, "School"),
                "name": " Next year ",
                "startDate": str(start),
                "endDate": str(start + timedelta(days=270)),
            },
        )
    )["academicYearCreate"]
    assert created["__typename"] == "AcademicYearSuccess", created
    year = created["academicYear"]
    assert (year["name"], year["startDate"], year["terms"]) == ("Next year", str(start), [])
    year_id = year["id"]

    async def term(name: str, first: int, last: int) -> dict[str, Any]:
        result: dict[str, Any] = (
            await admin2.data(
                TERM_CREATE,
                input={
                    "academicYearId": year_id,
                    "name": name,
                    "startDate": str(start + timedelta(days=first)),
                    "endDate": str(start + timedelta(days=last)),
                },
            )
        )["termCreate"]
        return result

    next_year_terms = models.Term.filter(academic_year__school_id=school.id, academic_year__name="Next year")
    second = await term("Semester 2", 130, 270)
    first = await term("Semester 1", 0, 120)
    assert first["term"]["number"] == 1
    numbers = await next_year_terms.order_by("start_date")
    assert [(t.name, t.number) for t in numbers] == [("Semester 1", 1), ("Semester 2", 2)]  # in date order
    # Refusals, nothing written: overlapping, outside the year, a taken name, a reversed range.
    before = await _counts()
    overlap = await term("Extra", 100, 140)
    assert [(x["field"], x["code"]) for x in overlap["fields"]] == [("startDate", "TERM_OVERLAP")]
    outside = await term("Semester 1", 260, 300)
    assert [(x["field"], x["code"]) for x in outside["fields"]] == [
        ("startDate", "OUTSIDE_ACADEMIC_YEAR"),
        ("startDate", "TERM_OVERLAP"),
        ("name", "NAME_TAKEN"),
    ]
    reversed_ = await term("Backwards", 125, 121)
    assert [(x["field"], x["code"]) for x in reversed_["fields"]] == [("endDate", "INVALID_RANGE")]
    clash = (
        await admin2.data(
            YEAR_CREATE,
            input={
                "schoolId": gid(school, "School"),
                "name": current.name,
                "startDate": str(current.end_date - timedelta(days=10)),
                "endDate": str(current.end_date + timedelta(days=50)),
            },
        )
    )["academicYearCreate"]
    assert [(x["field"], x["code"]) for x in clash["fields"]] == [
        ("name", "NAME_TAKEN"),
        ("startDate", "YEAR_OVERLAP"),
    ]
    shrink = (
        await admin2.data(YEAR_UPDATE, input={"academicYearId": year_id, "endDate": str(start + timedelta(days=200))})
    )["academicYearUpdate"]
    assert [(x["field"], x["code"]) for x in shrink["fields"]] == [("endDate", "TERMS_OUTSIDE_YEAR")]
    assert await _counts() == before

    # Moving a term renumbers; deleting one renumbers the rest.
    moved = (
        await admin2.data(
            TERM_UPDATE,
            input={"termId": second["term"]["id"], "name": "Winter", "startDate": str(start - timedelta(days=0))},
        )
    )["termUpdate"]
    assert [(x["field"], x["code"]) for x in moved["fields"]] == [("startDate", "TERM_OVERLAP")]
    renamed = (await admin2.data(TERM_UPDATE, input={"termId": second["term"]["id"], "name": "Spring"}))["termUpdate"]
    assert (renamed["term"]["name"], renamed["term"]["number"]) == ("Spring", 2)
    gone = (await admin2.data(TERM_DELETE, input={"termId": first["term"]["id"]}))["termDelete"]
    assert gone == {"__typename": "TermDeleteSuccess", "deletedTermId": first["term"]["id"]}
    remaining = await next_year_terms
    assert [(t.name, t.number) for t in remaining] == [("Spring", 1)]
    # The admin reads the years back, in date order, with their terms.
    data = await admin2.data(CALENDAR, **{"from": str(today_utc()), "to": str(today_utc())})
    years = data["viewer"]["schools"][0]["academicYears"]
    assert [y["name"] for y in years] == [current.name, "Next year"]
    assert years[1]["terms"] == [{"name": "Spring", "number": 1}]
    audit = await models.AuditEntry.filter(school_id=school.id, action__startswith="term.").count()
    assert audit >= 4


async def test_a_term_with_grades_is_not_deleted(factory: Factory) -> None:
    kit = await _school(factory)
    admin2 = factory.client(kit.admin)
    school = kit.school
    ahead = await _term_ahead(kit)
    f = await _fresh(factory, kit)
    # A lesson grade given in the current term, on the last school day before today.
    (day,) = school_days_before(today_utc(), 1)
    await factory.grade(f.student, await factory.lesson(kit, f.class_name, "Mathematics", f.teacher, day))
    graded = await models.Term.filter(school_id=school.id, start_date__lte=today_utc()).order_by("-start_date").first()
    assert graded is not None
    before = await _counts()
    result = (await admin2.data(TERM_DELETE, input={"termId": gid(graded, "Term")}))["termDelete"]
    assert [(x["field"], x["code"]) for x in result["fields"]] == [("termId", "GRADES_IN_TERM")]
    # A term ahead without lesson grades but with a final grade given for it.
    assert ahead.start_date > today_utc()
    await models.TermGrade.create(
        student=f.student,
        subject=f.subject,
        school_class=f.klass,
        academic_year=f.year,
        term=ahead,
        period_key=f"term:{ahead.id}",
        teacher=f.teacher,
        value="5",
        numeric_value=5.0,
    )
    before = await _counts()
    result = (await admin2.data(TERM_DELETE, input={"termId": gid(ahead, "Term")}))["termDelete"]
    assert [(x["field"], x["code"]) for x in result["fields"]] == [("termId", "TERM_GRADES_GIVEN")]
    assert await _counts() == before


async def test_changing_the_years_end_extends_or_trims_lessons(factory: Factory) -> None:
    """A later end gives the timetable's lessons up to it; an earlier one (terms allowing) removes them."""
    kit = await _school(factory)
    admin2 = factory.client(kit.admin)
    f = await _fresh(factory, kit)
    await _slot(admin2, f)
    end = f.year.end_date
    later = end + timedelta(days=14)
    year_id = gid(f.year, "AcademicYear")
    extended = (await admin2.data(YEAR_UPDATE, input={"academicYearId": year_id, "endDate": str(later)}))[
        "academicYearUpdate"
    ]
    assert extended["__typename"] == "AcademicYearUpdateSuccess", extended
    assert extended["academicYear"]["endDate"] == str(later)
    added = await models.Lesson.filter(school_class_id=f.klass.id, date__gt=end)
    assert len(added) == 2  # two more Wednesdays
    assert extended["lessons"]["created"] >= 2
    back = (await admin2.data(YEAR_UPDATE, input={"academicYearId": year_id, "endDate": str(end)}))[
        "academicYearUpdate"
    ]
    assert back["lessons"]["removed"] >= 2
    assert not await models.Lesson.exists(school_class_id=f.klass.id, date__gt=end)
    # Refused while a term would fall outside: nothing changes.
    before = await _counts()
    refused = (
        await admin2.data(YEAR_UPDATE, input={"academicYearId": year_id, "endDate": str(end - timedelta(days=10))})
    )["academicYearUpdate"]
    assert [(x["field"], x["code"]) for x in refused["fields"]] == [("endDate", "TERMS_OUTSIDE_YEAR")]
    assert await _counts() == before


# --- days off ------------------------------------------------------------------------------


async def test_a_holiday_cancels_lessons_and_keeps_those_with_records(factory: Factory) -> None:
    kit = await _school(factory)
    admin2 = factory.client(kit.admin)
    f = await _fresh(factory, kit)
    await _slot(admin2, f, weekday=3, period=4)
    await _slot(admin2, f, weekday=3, period=5, subjectId=gid(f.subject, "Subject"))
    day, next_week = await _pair(f)
    free, busy = await models.Lesson.filter(school_class_id=f.klass.id, date=day).order_by("period")
    await factory.homework(busy, "Read chapter 3")
    school = f.school
    created = (
        await admin2.data(
            DAY_OFF_CREATE,
            input={
                "schoolId": gid(school, "School"),
                "kind": "HOLIDAY",
                "name": " City Day ",
                "startDate": str(day),
                "endDate": str(day),
            },
        )
    )["dayOffCreate"]
    assert created["__typename"] == "DayOffSuccess", created
    assert (created["dayOff"]["name"], created["dayOff"]["kind"]) == ("City Day", "HOLIDAY")
    assert {"id": gid(busy, "Lesson"), "date": str(day)} in created["lessons"]["kept"]
    assert created["lessons"]["cancelled"] >= 1
    # The family sees a holiday with the lesson cancelled (and its name as the reason); the kept one stands.
    diary = await admin2.data(DIARY, id=gid(f.student, "Student"), **{"from": str(day), "to": str(day)})
    shown = diary["student"]["diary"][0]
    assert shown["kind"] == "HOLIDAY"
    statuses = {e["lesson"]["id"]: (e["lesson"]["status"], e["lesson"]["cancelReason"]) for e in shown["entries"]}
    assert statuses == {gid(free, "Lesson"): ("CANCELLED", "City Day"), gid(busy, "Lesson"): ("SCHEDULED", None)}
    # A cancelled-by-holiday lesson is restored by changing the day off, not by hand.
    by_hand = (
        await admin2.data(
            "mutation R($input: LessonRestoreInput!) { lessonRestore(input: $input) { __typename "
            "... on ValidationError { code } } }",
            input={"lessonId": gid(free, "Lesson")},
        )
    )["lessonRestore"]
    assert by_hand == {"__typename": "ValidationError", "code": "CANCELLED_BY_DAY_OFF"}

    # Moving the holiday a week on restores that day and cancels the new one.
    day_off_id = created["dayOff"]["id"]
    moved = (
        await admin2.data(
            DAY_OFF_UPDATE, input={"dayOffId": day_off_id, "startDate": str(next_week), "endDate": str(next_week)}
        )
    )["dayOffUpdate"]
    assert moved["__typename"] == "DayOffSuccess", moved
    assert moved["lessons"]["restored"] >= 1
    await free.refresh_from_db()
    assert (free.status, free.day_off_id) == (models.LessonStatus.SCHEDULED, None)
    later = await models.Lesson.filter(school_class_id=f.klass.id, date=next_week)
    assert {x.status for x in later} == {models.LessonStatus.CANCELLED}

    # Removing it restores them; the lessons of a slot added meanwhile are generated.
    g = await _fresh(factory, kit)
    await _slot(admin2, g, weekday=3, period=6)
    assert not await models.Lesson.exists(school_class_id=g.klass.id, date=next_week)
    removed = (await admin2.data(DAY_OFF_DELETE, input={"dayOffId": day_off_id}))["dayOffDelete"]
    assert removed["__typename"] == "DayOffDeleteSuccess", removed
    assert removed["lessons"]["restored"] >= 2
    assert removed["lessons"]["created"] >= 1
    assert {x.status for x in await models.Lesson.filter(school_class_id=f.klass.id, date=next_week)} == {
        models.LessonStatus.SCHEDULED
    }
    assert await models.Lesson.exists(school_class_id=g.klass.id, date=next_week)


async def _pair(f: Fresh) -> tuple[date, date]:
    """Two Wednesdays a week apart, both school days with the fresh class's lessons."""
    days = sorted(set(await _future_wednesdays(f, 3, 20)))
    for a, b in itertools.pairwise(days):
        if b - a == timedelta(weeks=1):
            return a, b
    raise AssertionError(days)


async def test_bad_days_off_are_refused(factory: Factory) -> None:
    kit = await factory.school()
    admin2 = factory.client(kit.admin)
    school = kit.school
    year = await _current_year(school)
    before = await _counts()

    async def create(**fields: Any) -> dict[str, Any]:
        base = {"schoolId": gid(school, "School"), "kind": "VACATION", "name": "Break"}
        result: dict[str, Any] = (await admin2.data(DAY_OFF_CREATE, input={**base, **fields}))["dayOffCreate"]
        return result

    reversed_ = await create(
        startDate=str(year.end_date - timedelta(days=3)), endDate=str(year.end_date - timedelta(days=5))
    )
    assert [(x["field"], x["code"]) for x in reversed_["fields"]] == [("endDate", "INVALID_RANGE")]
    outside = await create(startDate=str(year.end_date), endDate=str(year.end_date + timedelta(days=3)))
    assert [(x["field"], x["code"]) for x in outside["fields"]] == [("startDate", "OUTSIDE_ACADEMIC_YEAR")]
    unnamed = await create(name=" ", startDate=str(year.end_date), endDate=str(year.end_date))
    assert [(x["field"], x["code"]) for x in unnamed["fields"]] == [("name", "NAME_REQUIRED")]
    assert await _counts() == before


@dataclass
class Calendars:
    kit: SchoolKit  # the admin's school, with a teacher and a family
    other: SchoolKit  # another school of the district, with a holiday and a short day ahead
    teacher: models.User
    parent: models.User
    holiday: models.DayOff  # the other school's
    district: models.User


async def _calendars(factory: Factory) -> Calendars:
    """Two schools of a district, each with a holiday and a short day ahead; a teacher and a
    parent of the first; the district's admin."""
    today = today_utc()
    kit = await factory.school(classes=("5A",))
    other = await factory.school("Other school")
    for school in (kit, other):
        await factory.day_off(school, today + timedelta(days=10), name="City Day")
        await models.ShortDay.create(school=school.school, date=today + timedelta(days=9), name="Eve of City Day")
    teacher = await factory.teacher(kit, [("5A", "Mathematics")])
    parent = await factory.parent()
    await factory.student(kit, "5A", guardians=[parent])
    holiday = await models.DayOff.get(school_id=other.school.id)
    return Calendars(kit, other, teacher, parent, holiday, await factory.district_admin())


async def test_calendar_scope(factory: Factory) -> None:
    """Another school's calendar is not found; teachers and families are FORBIDDEN; the district
    admin runs the district's schools."""
    world = await _calendars(factory)
    admin, district = factory.client(world.kit.admin), factory.client(world.district)
    teacher, parent = factory.client(world.teacher), factory.client(world.parent)
    school2 = world.other.school
    year2 = await _current_year(school2)
    holiday = world.holiday
    term2 = await models.Term.filter(school_id=school2.id).first()
    assert term2 is not None
    day = str(year2.end_date - timedelta(days=2))
    before = await _counts()
    foreign = (
        await admin.data(
            DAY_OFF_CREATE,
            input={
                "schoolId": gid(school2, "School"),
                "kind": "HOLIDAY",
                "name": "X",
                "startDate": day,
                "endDate": day,
            },
        )
    )["dayOffCreate"]
    ghost = (
        await admin.data(
            DAY_OFF_CREATE,
            input={
                "schoolId": gid(models.School(id=10**9), "School"),
                "kind": "HOLIDAY",
                "name": "X",
                "startDate": day,
                "endDate": day,
            },
        )
    )["dayOffCreate"]
    assert (foreign["__typename"], foreign["code"], foreign["message"]) == (
        "NotFoundError",
        ghost["code"],
        ghost["message"],
    )
    assert foreign["code"] == "SCHOOL_NOT_FOUND"
    cases = [
        (DAY_OFF_UPDATE, "dayOffUpdate", {"dayOffId": gid(holiday, "DayOff"), "name": "X"}, "DAY_OFF_NOT_FOUND"),
        (DAY_OFF_DELETE, "dayOffDelete", {"dayOffId": gid(holiday, "DayOff")}, "DAY_OFF_NOT_FOUND"),
        (TERM_DELETE, "termDelete", {"termId": gid(term2, "Term")}, "TERM_NOT_FOUND"),
        (
            YEAR_UPDATE,
            "academicYearUpdate",
            {"academicYearId": gid(year2, "AcademicYear"), "name": "X"},
            "ACADEMIC_YEAR_NOT_FOUND",
        ),
        (
            BELLS,
            "bellScheduleSet",
            {"schoolId": gid(school2, "School"), "variant": "REGULAR", "periods": []},
            "SCHOOL_NOT_FOUND",
        ),
    ]
    for query, field, variables, code in cases:
        result = (await admin.data(query, input=variables))[field]
        assert (result["__typename"], result["code"]) == ("NotFoundError", code), field
    for client in (teacher, parent):
        body = await client.post(DAY_OFF_DELETE, input={"dayOffId": gid(holiday, "DayOff")})
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        body = await client.post(TERM_DELETE, input={"termId": gid(term2, "Term")})
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await _counts() == before
    # Reading: the first school's teacher does not reach the other school's day off or year by id.
    for obj, name in ((holiday, "DayOff"), (year2, "AcademicYear")):
        assert (await teacher.data(NODE, id=gid(obj, name)))["node"] is None
        assert (await district.data(NODE, id=gid(obj, name)))["node"] == {"__typename": name, "id": gid(obj, name)}
    # The district admin writes too.
    renamed = (await district.data(DAY_OFF_UPDATE, input={"dayOffId": gid(holiday, "DayOff"), "name": holiday.name}))[
        "dayOffUpdate"
    ]
    assert renamed["__typename"] == "DayOffSuccess", renamed


async def test_calendar_read_statements(factory: Factory, count_statements: StatementCounter) -> None:
    """academicYears with terms, shortDays and daysOff: one school costs what two cost."""
    world = await _calendars(factory)
    admin, district = factory.client(world.kit.admin), factory.client(world.district)
    today = today_utc()
    window = {"from": str(today - timedelta(days=200)), "to": str(today + timedelta(days=100))}
    small, one = await _count(admin, count_statements, CALENDAR, **window)
    large, two = await _count(district, count_statements, CALENDAR, **window)
    assert len(one["viewer"]["schools"]) == 1
    assert len(two["viewer"]["schools"]) == 2
    assert all(s["academicYears"][0]["terms"] for s in two["viewer"]["schools"])
    assert all(s["daysOff"] for s in two["viewer"]["schools"])
    assert len(large) == len(small), _explain(small, large)


# --- bells and short days ------------------------------------------------------------------


def _bells(shift: int) -> list[dict[str, str]]:
    out = []
    for n in range(7):
        start = 8 * 60 + 30 + shift + 55 * n
        out.append(
            {
                "startsAt": f"{start // 60:02d}:{start % 60:02d}",
                "endsAt": f"{(start + 45) // 60:02d}:{(start + 45) % 60:02d}",
            }
        )
    return out


async def test_bell_schedule_set_retimes_lessons(factory: Factory) -> None:
    kit = await _school(factory)
    admin2 = factory.client(kit.admin)
    f = await _fresh(factory, kit)
    await _slot(admin2, f, weekday=1, period=3)
    lesson = await models.Lesson.filter(school_class_id=f.klass.id).order_by("date").first()
    assert lesson is not None
    original = await models.BellPeriod.filter(school_id=f.school.id, variant=models.BellVariant.REGULAR).order_by(
        "number"
    )
    restore = [{"startsAt": b.starts_at.strftime("%H:%M"), "endsAt": b.ends_at.strftime("%H:%M")} for b in original]
    result = (
        await admin2.data(
            BELLS, input={"schoolId": gid(f.school, "School"), "variant": "REGULAR", "periods": _bells(5)}
        )
    )["bellScheduleSet"]
    assert result["__typename"] == "BellScheduleSetSuccess", result
    assert result["periods"][2] == {"number": 3, "variant": "REGULAR", "startsAt": "10:25:00", "endsAt": "11:10:00"}
    assert result["lessonsRetimed"] > 0
    day = str(lesson.date)
    shown = (await admin2.data(CLASS_LESSONS, id=gid(f.klass, "SchoolClass"), **{"from": day, "to": day}))["node"]
    starts = shown["lessons"][0]["startsAt"]
    assert starts.startswith(f"{day}T07:25:00")  # 10:25 in Moscow (UTC+3)
    # Setting the bells back retimes the lessons back.
    await admin2.data(BELLS, input={"schoolId": gid(f.school, "School"), "variant": "REGULAR", "periods": restore})
    await lesson.refresh_from_db()
    assert lesson.starts_at.astimezone(ZoneInfo(f.school.timezone)).time() == original[2].starts_at


async def test_bad_bell_schedules_are_refused(factory: Factory) -> None:
    kit = await factory.school(classes=("5A",))
    admin2 = factory.client(kit.admin)
    school = kit.school
    # The timetable has a lesson in period 3.
    await factory.slot(kit, "5A", "Mathematics", await factory.teacher(kit, [("5A", "Mathematics")]), 1, period=3)
    before = await _counts()
    overlapping = _bells(0)
    overlapping[1]["startsAt"] = "09:00"
    backwards = _bells(0)
    backwards[4]["endsAt"] = "08:00"
    cases = [
        (overlapping, [("periods[1].startsAt", "OVERLAPS_PREVIOUS")]),
        (backwards, [("periods[4].endsAt", "ENDS_BEFORE_START")]),
        ([], [("periods", "NO_PERIODS")]),
        (_bells(0)[:2], [("periods", "PERIOD_IN_USE")]),
    ]
    for periods, codes in cases:
        result = (
            await admin2.data(
                BELLS, input={"schoolId": gid(school, "School"), "variant": "REGULAR", "periods": periods}
            )
        )["bellScheduleSet"]
        assert result["__typename"] == "ValidationError", result
        assert [(x["field"], x["code"]) for x in result["fields"]][: len(codes)] == codes
    assert await _counts() == before


async def test_a_short_day_uses_the_shortened_bells(factory: Factory) -> None:
    kit = await _school(factory)
    await _shortened_bells(kit)
    admin2 = factory.client(kit.admin)
    f = await _fresh(factory, kit)
    await _slot(admin2, f, weekday=2, period=2)
    lesson = await models.Lesson.filter(school_class_id=f.klass.id, date__gt=today_utc()).order_by("date").first()
    assert lesson is not None
    regular = (lesson.starts_at, lesson.ends_at)
    short_bell = await models.BellPeriod.get(school_id=f.school.id, variant=models.BellVariant.SHORTENED, number=2)
    created = (
        await admin2.data(
            SHORT_CREATE,
            input={"schoolId": gid(f.school, "School"), "date": str(lesson.date), "name": "Sports festival"},
        )
    )["shortDayCreate"]
    assert created["__typename"] == "ShortDaySuccess", created
    assert created["lessonsRetimed"] >= 1
    await lesson.refresh_from_db()
    local = lesson.starts_at.astimezone(ZoneInfo(f.school.timezone))
    assert local.time() == short_bell.starts_at
    listed = await admin2.data(CALENDAR, **{"from": str(lesson.date), "to": str(lesson.date)})
    assert listed["viewer"]["schools"][0]["shortDays"] == [{"date": str(lesson.date), "name": "Sports festival"}]
    again = (
        await admin2.data(
            SHORT_CREATE, input={"schoolId": gid(f.school, "School"), "date": str(lesson.date), "name": "x"}
        )
    )["shortDayCreate"]
    assert [(x["field"], x["code"]) for x in again["fields"]] == [("date", "ALREADY_SHORT")]
    removed = (await admin2.data(SHORT_DELETE, input={"shortDayId": created["shortDay"]["id"]}))["shortDayDelete"]
    assert removed["lessonsRetimed"] >= 1
    await lesson.refresh_from_db()
    assert (lesson.starts_at, lesson.ends_at) == regular
    # Another school's admin cannot remove it (not found), as for an id that never existed.
    admin = factory.client((await factory.school("Other school")).admin)
    redo = (
        await admin2.data(
            SHORT_CREATE, input={"schoolId": gid(f.school, "School"), "date": str(lesson.date), "name": "Again"}
        )
    )["shortDayCreate"]
    foreign = (await admin.data(SHORT_DELETE, input={"shortDayId": redo["shortDay"]["id"]}))["shortDayDelete"]
    assert (foreign["__typename"], foreign["code"]) == ("NotFoundError", "SHORT_DAY_NOT_FOUND")
    await admin2.data(SHORT_DELETE, input={"shortDayId": redo["shortDay"]["id"]})
