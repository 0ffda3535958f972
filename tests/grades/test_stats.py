"""School.stats / District.stats: the figures equal the same answer computed from the grades
and attendance themselves, admins read their schools' (district admins aggregates only,
their own district's), everyone else reads nothing, and the statements do not grow.
Each test builds its own district of two schools, with three terms and their journals."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from tortoise.transactions import in_transaction

import models
from resolvers import grades, stats
from resolvers.core import today_utc
from tests.api.test_statements import _count, _explain
from tests.client import Client
from tests.conftest import StatementCounter
from tests.factories import Factory, SchoolKit, school_days_before
from tests.helpers import gid, half_up

pytestmark = pytest.mark.usefixtures("rebuilt")

FIGURES = (
    "grades average weightedAverage gradedStudents success quality markedAttendance attendanceRate unexcusedAbsences"
)
SCHOOL_STATS = f"""
query S($id: ID!, $term: ID) {{ node(id: $id) {{ ... on School {{ name stats(termId: $term) {{
  term {{ name }} {FIGURES}
  distribution {{ mark value count }}
  byClass {{ schoolClass {{ name }} {FIGURES} }}
  bySubject {{ subject {{ name }} {FIGURES} }}
  byTeacher {{ teacher {{ fullName }} {FIGURES} }}
  byWeek {{ weekStart {FIGURES} }}
  atRisk {{ student {{ fullName }} schoolClass {{ name }} weightedAverage unexcusedAbsences }}
}} }} }} }}
"""
DISTRICT_STATS = f"""
query D($term: ID) {{ viewer {{ districts {{ id name stats(termId: $term) {{
  {FIGURES}
  distribution {{ mark value count }}
  bySchool {{ school {{ name }} {FIGURES} }}
  bySubject {{ name {FIGURES} }}
  byWeek {{ weekStart {FIGURES} }}
}} }} }} }}
"""
NODE = "query N($id: ID!) { node(id: $id) { __typename id } }"


@pytest.fixture(scope="module")
async def rebuilt(database: None) -> None:
    """Roll-ups equal to the data (other modules' set-up writes rows past the writers)."""
    async with in_transaction():
        await grades.rebuild()


@dataclass
class District:
    one: SchoolKit  # classes 5A, 5B, 6A and 6B, three students each
    two: SchoolKit  # another school of the district: classes 5A and 6A
    teacher: models.User  # mathematics in every class of school one
    parent: models.User  # of a child in school one's 5A


SUBJECTS = ("Mathematics", "Russian language")
PRESENT, LATE, EXCUSED, UNEXCUSED = (
    models.AttendanceStatus.PRESENT,
    models.AttendanceStatus.LATE,
    models.AttendanceStatus.ABSENT_EXCUSED,
    models.AttendanceStatus.ABSENT_UNEXCUSED,
)


async def _three_terms(kit: SchoolKit) -> None:
    """The factory's single term redrawn as three (before any grade is written: a term's
    dates decide where the roll-ups file a grade): term 1 ended five weeks ago, term 2 runs
    from then to two weeks from today, term 3 is still to come."""
    today = today_utc()
    kit.term.end_date = today - timedelta(days=36)
    await kit.term.save(update_fields=["end_date"])
    for number, start, end in (
        (2, today - timedelta(days=35), today + timedelta(days=14)),
        (3, today + timedelta(days=15), kit.year.end_date),
    ):
        await models.Term.create(
            academic_year=kit.year,
            school=kit.school,
            name=f"Term {number}",
            number=number,
            start_date=start,
            end_date=end,
        )


async def _taught(factory: Factory, kit: SchoolKit, teachers: dict[str, models.User], n: int, day: date) -> None:
    """The ``n``-th lesson of every class of the school (mathematics and Russian in turn), its
    register and two grades, written with their roll-ups as the writers write them: in each
    class the first student does well and is sometimes excused, the second earns 2s and 3s
    and is sometimes late, the third of 5A misses every lesson without excuse."""
    subject = SUBJECTS[n % 2]
    for class_name, klass in kit.classes.items():
        lesson = await factory.lesson(kit, class_name, subject, teachers[subject], day)
        students = list(await models.Student.filter(enrollments__school_class_id=klass.id).order_by("id"))
        statuses = [EXCUSED if n % 5 == 4 else PRESENT, LATE if n % 3 == 0 else PRESENT]
        statuses.append(UNEXCUSED if class_name == "5A" else PRESENT)
        async with in_transaction():
            await models.Attendance.bulk_create(
                [
                    models.Attendance(
                        student_id=student.id,
                        lesson_id=lesson.id,
                        date=day,
                        status=status,
                        late_minutes=5 if status == LATE else None,
                        marked_by_id=lesson.teacher_id,
                    )
                    for student, status in zip(students, statuses, strict=True)
                ]
            )
            await grades.attendance(lesson.id, [s.id for s in students], +1)
        marks = [(students[0], "5" if n % 2 else "4", 1 + n % 3), (students[1], "2" if n % 2 else "3", 1)]
        async with in_transaction(), grades.grades_changing([s.id for s, _v, _w in marks]) as tally:
            created = [
                await models.Grade.create(
                    student_id=student.id,
                    subject_id=lesson.subject_id,
                    school_class_id=lesson.school_class_id,
                    lesson_id=lesson.id,
                    teacher_id=lesson.teacher_id,
                    date=day,
                    value=value,
                    numeric_value=float(value),
                    weight=weight,
                )
                for student, value, weight in marks
            ]
            await tally.add([g.id for g in created])


async def _school(factory: Factory, name: str, classes: tuple[str, ...]) -> tuple[SchoolKit, dict[str, models.User]]:
    """A school with three terms, three students a class, a teacher a subject for every class,
    and a lesson a class on two school days of term 1 and on the last eleven of term 2 (three
    calendar weeks at least). Term 3 has no lessons."""
    kit = await factory.school(name, subjects=SUBJECTS, classes=classes)
    await _three_terms(kit)
    teachers = {
        subject: await factory.teacher(kit, [(c, subject) for c in classes], name=f"t{n}{kit.school.id}")
        for n, subject in enumerate(SUBJECTS)
    }
    for class_name in classes:
        for name in ("anna", "boris", "vera"):
            await factory.student(kit, class_name, f"{name}{class_name}", login=False)
    today = today_utc()
    days = school_days_before(today - timedelta(days=35), 2) + school_days_before(today, 11)
    for n, day in enumerate(days):
        await _taught(factory, kit, teachers, n, day)
    return kit, teachers


async def _district(factory: Factory) -> District:
    one, teachers = await _school(factory, "School one", ("5A", "5B", "6A", "6B"))
    two, _ = await _school(factory, "School two", ("5A", "6A"))
    parent = await factory.parent()
    child = await models.Student.filter(enrollments__school_class_id=one.classes["5A"].id).order_by("id").first()
    assert child is not None
    await factory.guardianship(one, parent, child)
    return District(one, two, teachers["Mathematics"], parent)


async def _failing(school: models.School) -> list[int]:
    """Three students of different classes of the school failing term 2: enough out-of-lesson
    1s of weight 10 (at least six) to bring each below the pass mark, through the roll-ups."""
    term = await _term(school, 2)
    links = await models.TeachingAssignment.filter(school_class__school_id=school.id).order_by("id")
    chosen: dict[int, models.TeachingAssignment] = {}
    for link in links:
        chosen.setdefault(link.school_class_id, link)
    picked = []
    for link in list(chosen.values())[:3]:
        enrolment = await models.Enrollment.filter(school_class_id=link.school_class_id).order_by("id").first()
        assert enrolment is not None
        picked.append((link, enrolment.student_id))
    created: list[models.Grade] = []
    async with in_transaction(), grades.grades_changing([p[1] for p in picked]) as tally:
        for link, student_id in picked:
            counted = await models.Grade.filter(
                student_id=student_id,
                school_class_id=link.school_class_id,
                date__gte=term.start_date,
                date__lte=term.end_date,
                deleted_at__isnull=True,
            )
            total = sum(float(g.numeric_value or 0) * g.weight for g in counted)
            weight = sum(g.weight for g in counted)
            # (total + 10 n) / (weight + 10 n) < pass mark  <=>  n > (total - pass * weight) / (10 (pass - 1))
            needed = (total - school.pass_mark * weight) / (10 * (school.pass_mark - 1))
            for _ in range(max(6, int(needed) + 1)):
                created.append(
                    await models.Grade.create(
                        student_id=student_id,
                        subject_id=link.subject_id,
                        school_class_id=link.school_class_id,
                        teacher_id=link.teacher_id,
                        date=term.start_date,
                        value="1",
                        numeric_value=1.0,
                        weight=10,
                    )
                )
        await tally.add([g.id for g in created])
    return [p[1] for p in picked]


async def _term(school: models.School, number: int) -> models.Term:
    return await models.Term.get(school_id=school.id, number=number)


async def _school_stats(client: Client, school: models.School, term: models.Term | None) -> Any:
    term_id = gid(term, "Term") if term else None
    data = await client.data(SCHOOL_STATS, id=gid(school, "School"), term=term_id)
    return data["node"]["stats"] if data["node"] else None


def _share(part: int, whole: int) -> float:
    return float(half_up(part, whole, 4))


async def _from_rows(school: models.School, term: models.Term) -> dict[str, Any]:
    """The answer worked out from the grade and attendance rows, independently of SQL."""
    counted = await models.Grade.filter(
        school_class__school_id=school.id,
        date__gte=term.start_date,
        date__lte=term.end_date,
        deleted_at__isnull=True,
        numeric_value__isnull=False,
    )
    marks = await models.Attendance.filter(
        lesson__school_class__school_id=school.id, date__gte=term.start_date, date__lte=term.end_date
    )
    lowest: dict[tuple[int, int], float] = {}
    per_class: dict[int, list[models.Grade]] = defaultdict(list)
    for g in counted:
        key = (g.school_class_id, g.student_id)
        lowest[key] = min(lowest.get(key, 99.0), float(g.numeric_value or 0))
        per_class[g.school_class_id].append(g)
    weight = sum(g.weight for g in counted)
    top = stats.top_mark(school)
    present = sum(m.status in (models.AttendanceStatus.PRESENT, models.AttendanceStatus.LATE) for m in marks)
    return {
        "grades": len(counted),
        "weightedAverage": float(half_up(sum(float(g.numeric_value or 0) * g.weight for g in counted), weight))
        if weight
        else None,
        "gradedStudents": len(lowest),
        "success": _share(sum(v >= school.pass_mark for v in lowest.values()), len(lowest)) if lowest else None,
        "quality": _share(sum(v >= top for v in lowest.values()), len(lowest)) if lowest else None,
        "markedAttendance": len(marks),
        "attendanceRate": _share(present, len(marks)) if marks else None,
        "unexcusedAbsences": sum(m.status == models.AttendanceStatus.ABSENT_UNEXCUSED for m in marks),
        "classes": {cid: len(rows) for cid, rows in per_class.items()},
    }


async def test_a_school_dashboard_equals_the_answer_from_the_rows(factory: Factory) -> None:
    district = await _district(factory)
    assert district.one.admin is not None
    school = district.one.school
    term = await _term(school, 2)
    got = await _school_stats(factory.client(district.one.admin), school, term)
    want = await _from_rows(school, term)
    assert got["term"]["name"] == term.name
    for name in ("grades", "weightedAverage", "gradedStudents", "success", "quality"):
        assert got[name] == want[name], name
    for name in ("markedAttendance", "attendanceRate", "unexcusedAbsences"):
        assert got[name] == want[name], name
    assert want["grades"] > 20
    assert want["markedAttendance"] > 100
    assert sum(d["count"] for d in got["distribution"]) == want["grades"]
    assert [d["value"] for d in got["distribution"]] == sorted({d["value"] for d in got["distribution"]}, reverse=True)
    assert sum(c["grades"] for c in got["byClass"]) == want["grades"]
    assert sum(s["grades"] for s in got["bySubject"]) == want["grades"]
    assert sum(t["grades"] for t in got["byTeacher"]) == want["grades"]
    assert sum(w["grades"] for w in got["byWeek"]) == want["grades"]
    assert sum(w["markedAttendance"] or 0 for w in got["byWeek"]) == want["markedAttendance"]
    assert len(got["byClass"]) == len(want["classes"]) > 1
    assert len(got["byWeek"]) > 2
    assert all(date.fromisoformat(w["weekStart"]).weekday() == 0 for w in got["byWeek"])
    assert sum(c["gradedStudents"] for c in got["byClass"]) == want["gradedStudents"]


async def test_rollups_and_full_scan_give_identical_dashboards(factory: Factory) -> None:
    """Every figure, not just the ones above: the same statements over the recomputation."""
    district = await _district(factory)
    schools = [district.one.school, district.two.school]
    for school in schools:
        for number in (1, 2, 3):
            scope = stats.Scope([(await _term(school, number)).id], [school])
            fast = await stats.load(scope, district=False, at_risk=True)
            slow = await stats.load(scope, district=False, at_risk=True, full_scan=True)
            assert fast == slow
    term_ids = await stats.district_terms((await _term(schools[0], 2)).id, schools[0].district_id)
    assert len(term_ids) == 2
    scope = stats.Scope(term_ids, list(schools))
    assert await stats.load(scope, district=True, at_risk=False) == await stats.load(
        scope, district=True, at_risk=False, full_scan=True
    )


async def test_at_risk_students_are_the_failing_and_the_absent(factory: Factory) -> None:
    district = await _district(factory)
    assert district.one.admin is not None
    school = district.one.school
    failing = await _failing(school)
    term = await _term(school, 2)
    got = await _school_stats(factory.client(district.one.admin), school, term)
    counted = await models.Grade.filter(
        school_class__school_id=school.id,
        date__gte=term.start_date,
        date__lte=term.end_date,
        deleted_at__isnull=True,
    )
    sums: dict[tuple[int, int], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for g in counted:
        sums[g.student_id, g.school_class_id][0] += float(g.numeric_value or 0) * g.weight
        sums[g.student_id, g.school_class_id][1] += g.weight
    absent: dict[tuple[int, int], int] = defaultdict(int)
    for m in await models.Attendance.filter(
        lesson__school_class__school_id=school.id,
        date__gte=term.start_date,
        date__lte=term.end_date,
        status=models.AttendanceStatus.ABSENT_UNEXCUSED,
    ).select_related("lesson"):
        absent[m.student_id, m.lesson.school_class_id] += 1
    expected = {k for k, (total, weight) in sums.items() if total < school.pass_mark * weight} | {
        k for k, n in absent.items() if n >= stats.AT_RISK_UNEXCUSED
    }
    names = {s.id: s.full_name for s in await models.Student.filter(id__in=[k[0] for k in expected])}
    assert {(r["student"]["fullName"]) for r in got["atRisk"]} == {names[k[0]] for k in expected}
    assert len(got["atRisk"]) == len(expected)
    failing_names = {s.full_name for s in await models.Student.filter(id__in=failing)}
    assert failing_names <= {r["student"]["fullName"] for r in got["atRisk"]}
    for row in got["atRisk"]:
        # Shown with 2 decimals, rounded half up: 2.996 (under the pass mark) reads 3.0.
        assert (
            row["weightedAverage"] is None
            or row["weightedAverage"] - 0.005 < school.pass_mark
            or (row["unexcusedAbsences"] >= stats.AT_RISK_UNEXCUSED)
        )


async def test_admins_read_their_schools_only_and_district_admins_no_names(factory: Factory) -> None:
    world = await _district(factory)
    assert world.one.admin is not None
    admin, district = factory.client(world.one.admin), factory.client(await factory.district_admin())
    teacher, parent = factory.client(world.teacher), factory.client(world.parent)
    one, two = world.one.school, world.two.school
    term = await _term(one, 2)
    assert (await _school_stats(admin, one, term))["grades"] > 0
    assert await _school_stats(admin, two, await _term(two, 2)) is None  # not their school
    assert await _school_stats(admin, one, await _term(two, 2)) is None  # a term of another school
    as_district = await _school_stats(district, one, term)
    assert as_district["grades"] > 0
    assert as_district["atRisk"] is None  # aggregates, not names
    assert (await _school_stats(district, two, await _term(two, 2)))["grades"] > 0
    for outsider in (teacher, parent):
        assert await _school_stats(outsider, one, term) is None
        assert (await outsider.data(DISTRICT_STATS))["viewer"]["districts"] == []
    assert (await admin.data(DISTRICT_STATS))["viewer"]["districts"] == []


async def test_a_district_dashboard_adds_up_its_schools_and_no_other_district(factory: Factory) -> None:
    world = await _district(factory)
    district = factory.client(await factory.district_admin())
    one, two = world.one.school, world.two.school
    other = await models.District.create(name=f"Elsewhere {factory.tag}")
    data = await district.data(DISTRICT_STATS, term=gid(await _term(one, 2), "Term"))
    (mine,) = data["viewer"]["districts"]
    assert (await district.data(NODE, id=gid(other, "District")))["node"] is None
    assert (await district.data(NODE, id=mine["id"]))["node"]["__typename"] == "District"
    figures = mine["stats"]
    firsts = [await _school_stats(district, s, await _term(s, 2)) for s in (one, two)]
    assert figures["grades"] == sum(f["grades"] for f in firsts) > 0
    assert figures["markedAttendance"] == sum(f["markedAttendance"] for f in firsts)
    assert figures["gradedStudents"] == sum(f["gradedStudents"] for f in firsts)
    assert {s["school"]["name"] for s in figures["bySchool"]} == {one.name, two.name}
    assert sum(s["grades"] for s in figures["bySubject"]) == figures["grades"]
    assert "atRisk" not in figures


async def test_top_marks_per_scale() -> None:
    numeric = models.School(scale_kind=models.ScaleKind.NUMERIC, scale_min=1, scale_max=5, pass_mark=3)
    assert stats.top_mark(numeric) == 4
    ten = models.School(scale_kind=models.ScaleKind.NUMERIC, scale_min=1, scale_max=10, pass_mark=4)
    assert stats.top_mark(ten) == 7
    letters = models.School(scale_kind=models.ScaleKind.LETTER, scale_marks=grades.LETTER_MARKS, pass_mark=3)
    assert stats.top_mark(letters) == 4  # A and B
    pass_fail = models.School(scale_kind=models.ScaleKind.PASS_FAIL, scale_marks=[], pass_mark=1)
    assert stats.top_mark(pass_fail) == 1
    # Worked out once per scale: every part of the scale still counts (the pass mark, the range,
    # the letters), so two schools that differ in any one of them get their own answer.
    stricter = models.School(scale_kind=models.ScaleKind.NUMERIC, scale_min=1, scale_max=10, pass_mark=6)
    assert stats.top_mark(stricter) == 8
    twelve = models.School(scale_kind=models.ScaleKind.NUMERIC, scale_min=1, scale_max=12, pass_mark=4)
    assert stats.top_mark(twelve) == 8
    shifted = [{"value": m["value"], "numeric": m["numeric"] + 5} for m in grades.LETTER_MARKS]
    higher = models.School(scale_kind=models.ScaleKind.LETTER, scale_marks=shifted, pass_mark=3)
    assert stats.top_mark(higher) == 7  # marks 10..6: halfway from 3 to 10 is 6.5


async def test_statements_do_not_grow_with_classes_or_weeks(
    factory: Factory, count_statements: StatementCounter
) -> None:
    """A term with one class graded in one week costs what a term with every class over
    four weeks costs, for a school's dashboard and for the district's."""
    world = await _district(factory)
    assert world.one.admin is not None
    admin, district = factory.client(world.one.admin), factory.client(await factory.district_admin())
    school = world.one.school
    await _failing(school)
    quiet = await _term(school, 3)  # in the future: only the grade and mark made up below
    klass = world.one.classes["5A"]
    link = await models.TeachingAssignment.filter(school_class_id=klass.id).first()
    enrolment = await models.Enrollment.filter(school_class_id=klass.id).first()
    assert link is not None
    assert enrolment is not None
    async with in_transaction(), grades.grades_changing([enrolment.student_id]) as tally:
        grade = await models.Grade.create(  # an out-of-lesson grade: the term has no lessons yet
            student_id=enrolment.student_id,
            subject_id=link.subject_id,
            school_class_id=klass.id,
            teacher_id=link.teacher_id,
            date=quiet.start_date,
            value="2",
            numeric_value=2.0,
        )
        await tally.add([grade.id])
    small, one = await _count(admin, count_statements, SCHOOL_STATS, id=gid(school, "School"), term=gid(quiet, "Term"))
    large, many = await _count(
        admin, count_statements, SCHOOL_STATS, id=gid(school, "School"), term=gid(await _term(school, 2), "Term")
    )
    small_stats, large_stats = one["node"]["stats"], many["node"]["stats"]
    assert len(small_stats["byClass"]) == 1
    assert len(small_stats["byWeek"]) == 1
    assert len(small_stats["atRisk"]) == 1
    assert len(large_stats["byClass"]) > 3
    assert len(large_stats["byWeek"]) > 2
    assert len(large_stats["atRisk"]) > 1
    assert len(large) == len(small), _explain(small, large)

    small, one = await _count(district, count_statements, DISTRICT_STATS, term=gid(quiet, "Term"))
    large, many = await _count(district, count_statements, DISTRICT_STATS, term=gid(await _term(school, 2), "Term"))
    assert len(one["viewer"]["districts"][0]["stats"]["byWeek"]) == 1
    assert len(many["viewer"]["districts"][0]["stats"]["byWeek"]) > 2
    assert len(large) == len(small), _explain(small, large)

    async with in_transaction(), grades.grades_changing([enrolment.student_id]) as tally:
        await tally.remove([grade.id])
        await grade.delete()
    assert all(v == (0, 0) for v in (await grades.check()).values())
