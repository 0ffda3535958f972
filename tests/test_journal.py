"""The class journal: who may read it, what its grid and CSV say, and that its cost does not
grow with the class or the term."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import httpx
import pytest

import models
from resolvers import scales
from resolvers.clock import today_utc
from resolvers.ids import to_global_id
from tests.conftest import Client, StatementCounter
from tests.helpers import gid, school_class

JOURNAL = """
query J($class: ID!, $subject: ID!, $term: ID) { node(id: $class) { ... on SchoolClass {
  journal(subjectId: $subject, termId: $term) {
    subject { name } term { name startDate endDate }
    lessons { id date period homework { text } }
    rows { student { id fullName } average weightedAverage suggestedGrade { value numericValue } termGrade { value }
      cells { lesson { id } grades { value weight teacher { fullName } } attendance lateMinutes } }
    csv } } } }
"""
ROLES = ["parent", "other_parent", "student", "teacher", "admin", "district"]


@pytest.fixture
def clients(
    parent: Client, other_parent: Client, student: Client, teacher: Client, admin: Client, district: Client
) -> dict[str, Client]:
    return {
        "parent": parent,
        "other_parent": other_parent,
        "student": student,
        "teacher": teacher,
        "admin": admin,
        "district": district,
    }


async def _maths_5a() -> tuple[models.SchoolClass, models.Subject, models.Term]:
    klass = await school_class("School No. 1", "5A")
    subject = await models.Subject.get(school_id=klass.school_id, name="Mathematics")
    term = (
        await models.Term.filter(school_id=klass.school_id, start_date__lte=today_utc()).order_by("-start_date").first()
    )
    assert term is not None
    return klass, subject, term


def _vars(klass: models.SchoolClass, subject: models.Subject, term: models.Term | None = None) -> dict[str, str]:
    variables = {"class": gid(klass, "SchoolClass"), "subject": to_global_id("Subject", subject.pk)}
    if term is not None:
        variables["term"] = to_global_id("Term", term.pk)
    return variables


async def test_teacher_reads_the_journal_of_a_taught_class(teacher: Client) -> None:
    klass, subject, term = await _maths_5a()
    journal = (await teacher.data(JOURNAL, **_vars(klass, subject)))["node"]["journal"]
    assert journal["subject"]["name"] == "Mathematics"
    assert journal["term"]["name"] == term.name
    lessons = await models.Lesson.filter(
        school_class_id=klass.id, subject_id=subject.id, date__gte=term.start_date, date__lte=term.end_date
    ).order_by("date", "period", "id")
    assert [x["id"] for x in journal["lessons"]] == [to_global_id("Lesson", x.pk) for x in lessons]
    enrolled = await models.Enrollment.filter(school_class_id=klass.id).select_related("student")
    names = sorted(e.student.full_name for e in enrolled)
    assert [r["student"]["fullName"] for r in journal["rows"]] == names
    grades = await models.Grade.filter(
        school_class_id=klass.id,
        subject_id=subject.id,
        date__gte=term.start_date,
        date__lte=term.end_date,
        deleted_at__isnull=True,
    )
    school = await models.School.get(id=klass.school_id)
    shown = 0
    for row in journal["rows"]:
        assert [c["lesson"]["id"] for c in row["cells"]] == [x["id"] for x in journal["lessons"]]
        shown += sum(len(c["grades"]) for c in row["cells"])
        own = [g for g in grades if to_global_id("Student", g.student_id) == row["student"]["id"]]
        total = sum(g.weight for g in own)
        expected = scales.round_average(sum(g.numeric_value * g.weight for g in own) / total) if total else None
        assert row["weightedAverage"] == expected
        mark = scales.suggest(school, expected)
        assert row["suggestedGrade"] == ({"value": mark.value, "numericValue": mark.numeric} if mark else None)
    assert shown == len([g for g in grades if g.lesson_id is not None]) > 0
    marked = [c for r in journal["rows"] for c in r["cells"] if c["attendance"]]
    assert marked
    assert any(c["attendance"] == "LATE" and c["lateMinutes"] for c in marked)


async def test_csv_is_the_same_grid(teacher: Client) -> None:
    klass, subject, _term = await _maths_5a()
    journal = (await teacher.data(JOURNAL, **_vars(klass, subject)))["node"]["journal"]
    assert "\r\n" in journal["csv"]
    table = list(csv.reader(io.StringIO(journal["csv"])))
    columns = [f"{x['date']} #{x['period']}" for x in journal["lessons"]]
    assert table[0] == ["Student", *columns, "Weighted average", "Suggested", "Term grade"]
    assert [line[0] for line in table[1:]] == [r["student"]["fullName"] for r in journal["rows"]]
    for line, row in zip(table[1:], journal["rows"], strict=True):
        for text, cell in zip(line[1:-3], row["cells"], strict=True):
            words = text.split()
            assert words[: len(cell["grades"])] == [g["value"] for g in cell["grades"]]
            status = {"ABSENT_UNEXCUSED": ["abs"], "ABSENT_EXCUSED": ["exc"]}.get(cell["attendance"] or "", [])
            if cell["attendance"] == "LATE":
                status = ["late", str(cell["lateMinutes"])]
            assert words[len(cell["grades"]) :] == status
        average = row["weightedAverage"]
        assert line[-3] == (f"{average:.2f}" if average is not None else "")
        assert line[-2] == (row["suggestedGrade"]["value"] if row["suggestedGrade"] else "")


@pytest.mark.parametrize("role", ROLES)
async def test_journal_visibility(role: str, clients: dict[str, Client]) -> None:
    """Teachers of the class + subject and admins read it; families get null, even for
    their own child's class; the teacher gets null for a subject they do not teach there."""
    klass, subject, _term = await _maths_5a()
    body = await clients[role].data(JOURNAL, **_vars(klass, subject))
    if role in ("teacher", "admin", "district"):
        assert len(body["node"]["journal"]["rows"]) > 1
    elif body["node"] is not None:  # parents and the student see their class, not its journal
        assert role in ("parent", "other_parent", "student")
        assert body["node"]["journal"] is None
    other = await models.Subject.get(school_id=klass.school_id, name="English")
    untaught = (await clients[role].data(JOURNAL, **_vars(klass, other)))["node"]
    if role in ("admin", "district"):
        assert untaught["journal"] is not None
    else:
        assert untaught is None or untaught["journal"] is None


async def test_other_teacher_gets_null(http: httpx.AsyncClient) -> None:
    from tests.conftest import login_as

    klass, subject, _term = await _maths_5a()
    other = await models.TeachingAssignment.filter(school_class_id=klass.id).exclude(subject_id=subject.id).first()
    assert other is not None
    assert other.teacher_id != (await models.User.get(login="teacher")).id
    client = await login_as(http, (await models.User.get(id=other.teacher_id)).login)
    assert (await client.data(JOURNAL, **_vars(klass, subject)))["node"]["journal"] is None
    own = await models.Subject.get(id=other.subject_id)
    assert (await client.data(JOURNAL, **_vars(klass, own)))["node"]["journal"] is not None


# --- the CSV download -------------------------------------------------------------------


def _url(klass: models.SchoolClass, subject: models.Subject, term: models.Term | None = None) -> str:
    url = f"/export/journal.csv?classId={gid(klass, 'SchoolClass')}&subjectId={to_global_id('Subject', subject.pk)}"
    return url + (f"&termId={to_global_id('Term', term.pk)}" if term else "")


async def test_csv_download(http: httpx.AsyncClient, teacher: Client) -> None:
    klass, subject, term = await _maths_5a()
    response = await http.get(_url(klass, subject, term), headers=teacher.headers())
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="journal-5A-Mathematics-{term.name.replace(" ", "-")}.csv";'
        f" filename*=UTF-8''journal-5A-Mathematics-{term.name.replace(' ', '-')}.csv"
    )
    journal = (await teacher.data(JOURNAL, **_vars(klass, subject, term)))["node"]["journal"]
    assert response.text == journal["csv"]


@pytest.mark.parametrize("role", ROLES)
async def test_csv_download_visibility(role: str, clients: dict[str, Client], http: httpx.AsyncClient) -> None:
    klass, subject, _term = await _maths_5a()
    response = await http.get(_url(klass, subject), headers=clients[role].headers())
    assert response.status_code == (200 if role in ("teacher", "admin", "district") else 404)


async def test_csv_download_refuses_bad_requests(http: httpx.AsyncClient, teacher: Client) -> None:
    klass, subject, _term = await _maths_5a()
    assert (await http.get(_url(klass, subject))).status_code == 401
    assert (await http.get("/export/journal.csv?classId=x&subjectId=y", headers=teacher.headers())).status_code == 404
    seven = await school_class("School No. 1", "7A")
    assert (await http.get(_url(seven, subject), headers=teacher.headers())).status_code == 404


# --- cost -------------------------------------------------------------------------------


@dataclass
class FreshClass:
    school_class: models.SchoolClass
    subject: models.Subject
    term: models.Term


async def _fresh_class(letter: str, students: int, lessons: int) -> FreshClass:
    """A class of School No. 2 with ``students`` students and ``lessons`` mathematics lessons
    from the start of the current term, every student graded and marked at every lesson."""
    school = await models.School.get(name="School No. 2")
    term = await models.Term.filter(school_id=school.id, start_date__lte=today_utc()).order_by("-start_date").first()
    assert term is not None
    subject = await models.Subject.get(school_id=school.id, name="Mathematics")
    teacher = await models.TeachingAssignment.filter(subject_id=subject.id, school_class__school_id=school.id).first()
    assert teacher is not None
    klass = await models.SchoolClass.create(
        school=school, academic_year_id=term.academic_year_id, grade_level=11, letter=letter
    )
    roster = [await models.Student.create(school=school, full_name=f"Fresh {letter} {i:02d}") for i in range(students)]
    await models.Enrollment.bulk_create(
        [models.Enrollment(student=s, school_class=klass, start_date=term.start_date) for s in roster]
    )
    made = []
    for n in range(lessons):
        day = term.start_date + timedelta(days=n // 6)
        starts = datetime.combine(day, time(8 + n % 6), tzinfo=UTC)
        made.append(
            models.Lesson(
                school_class=klass,
                subject=subject,
                teacher_id=teacher.teacher_id,
                date=day,
                period=1 + n % 6,
                starts_at=starts,
                ends_at=starts + timedelta(minutes=45),
            )
        )
    await models.Lesson.bulk_create(made)
    saved = await models.Lesson.filter(school_class_id=klass.id)
    await models.Grade.bulk_create(
        [
            models.Grade(
                student=s,
                subject=subject,
                school_class=klass,
                lesson=lesson,
                teacher_id=teacher.teacher_id,
                date=lesson.date,
                value=str(2 + (s.id + lesson.id) % 4),
                numeric_value=float(2 + (s.id + lesson.id) % 4),
                weight=1 + lesson.id % 2,
            )
            for s in roster
            for lesson in saved
        ]
    )
    await models.Attendance.bulk_create(
        [
            models.Attendance(
                student=s,
                lesson=lesson,
                date=lesson.date,
                status=models.AttendanceStatus.LATE,
                late_minutes=5,
                marked_by_id=teacher.teacher_id,
            )
            for s in roster
            for lesson in saved
        ]
    )
    return FreshClass(klass, subject, term)


async def _drop(fresh: FreshClass) -> None:
    klass = fresh.school_class
    await models.Grade.filter(school_class_id=klass.id).delete()
    await models.Attendance.filter(lesson__school_class_id=klass.id).delete()
    await models.Lesson.filter(school_class_id=klass.id).delete()
    students = await models.Enrollment.filter(school_class_id=klass.id).values_list("student_id", flat=True)
    await models.Student.filter(id__in=list(students)).delete()
    await klass.delete()


@pytest.fixture
async def fresh_classes() -> AsyncIterator[tuple[FreshClass, FreshClass]]:
    small, large = await _fresh_class("Y", 3, 4), await _fresh_class("Z", 30, 40)
    try:
        yield small, large
    finally:
        await _drop(small)
        await _drop(large)


async def test_journal_statements(
    district: Client, fresh_classes: tuple[FreshClass, FreshClass], count_statements: StatementCounter
) -> None:
    """3 students x 4 lessons cost what 30 students x 40 lessons cost."""
    counts, sizes = [], []
    for fresh in fresh_classes:
        count_statements.statements.clear()
        body = await district.data(JOURNAL, **_vars(fresh.school_class, fresh.subject, fresh.term))
        journal = body["node"]["journal"]
        sizes.append(
            (len(journal["rows"]), len(journal["lessons"]), sum(len(c["grades"]) for c in journal["rows"][0]["cells"]))
        )
        counts.append(count_statements.count)
    assert sizes == [(3, 4, 4), (30, 40, 40)]
    assert counts[0] == counts[1], count_statements.statements


def test_download_name_keeps_non_ascii_names() -> None:
    from resolvers.journal import JournalExport

    export = JournalExport("journal-5A-Математика-Четверть-1.csv", "")
    assert export.content_disposition == (
        "attachment; filename=\"journal-5A-1.csv\"; filename*=UTF-8''journal-5A-"
        "%D0%9C%D0%B0%D1%82%D0%B5%D0%BC%D0%B0%D1%82%D0%B8%D0%BA%D0%B0-"
        "%D0%A7%D0%B5%D1%82%D0%B2%D0%B5%D1%80%D1%82%D1%8C-1.csv"
    )


def test_csv_quotes_per_rfc_4180() -> None:
    from datetime import date

    from resolvers.journal import JournalCellData, JournalData, JournalRowData, journal_csv

    lesson = models.Lesson(id=1, date=date(2026, 9, 1), period=2)
    mark = models.Attendance(status=models.AttendanceStatus.ABSENT_EXCUSED)
    grade = models.Grade(value="5", numeric_value=5.0, weight=1)
    row = JournalRowData(
        student=models.Student(id=1, full_name='O"Neil, Ünal'),
        cells=[JournalCellData(lesson, [grade, grade], mark)],
        grades=[grade, grade],
        term_grade=None,
        suggested=scales.Mark("5", 5.0),
        average=5.0,
        weighted_average=5.0,
    )
    journal = JournalData(models.SchoolClass(), models.Subject(), models.Term(), [lesson], [row])
    assert journal_csv(journal) == (
        'Student,2026-09-01 #2,Weighted average,Suggested,Term grade\r\n"O""Neil, Ünal",5 5 exc,5.00,5,\r\n'
    )


def test_csv_never_hands_a_spreadsheet_a_formula() -> None:
    from datetime import date

    from resolvers.journal import JournalData, JournalRowData, journal_csv

    lesson = models.Lesson(id=1, date=date(2026, 9, 1), period=2)
    rows = [
        JournalRowData(
            student=models.Student(id=i, full_name=name),
            cells=[],
            grades=[],
            term_grade=None,
            suggested=None,
            average=None,
            weighted_average=None,
        )
        for i, name in enumerate(['=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(A1)", "Anna Ivanova"])
    ]
    journal = JournalData(models.SchoolClass(), models.Subject(), models.Term(), [lesson], rows)
    names = [row[0] for row in list(csv.reader(io.StringIO(journal_csv(journal))))[1:]]
    assert names == ['\'=HYPERLINK("http://x","y")', "'+1", "'-2", "'@SUM(A1)", "Anna Ivanova"]
