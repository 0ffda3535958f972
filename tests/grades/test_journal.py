"""The class journal: who may read it, what its grid and CSV say, and that its cost does not
grow with the class or the term. Each test builds its own school from factories, dated from
the clock's today."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import timedelta

import pytest

import models
from clients.documents import JOURNAL
from resolvers import grades as grading
from resolvers.core import to_global_id, today_utc
from tests.conftest import StatementCounter
from tests.factories import Factory, SchoolKit, school_days_before, school_days_from
from tests.helpers import gid, half_up

# The whole grid and nothing around it (the query of `make bench`'s class journal).
JOURNAL_GRID = """
query Journal($class: ID!, $subject: ID!, $term: ID) { node(id: $class) { ... on SchoolClass {
  journal(subjectId: $subject, termId: $term) {
    lessons { date period }
    rows { student { fullName } cells { grades { value } attendance lateMinutes }
           weightedAverage suggestedGrade { value } termGrade { value } } } } } }
"""
# The same grid in columns (`JournalRow.line`), as a client that shows the whole grid asks for it.
JOURNAL_LINES = """
query Journal($class: ID!, $subject: ID!, $term: ID) { node(id: $class) { ... on SchoolClass {
  journal(subjectId: $subject, termId: $term) {
    lessons { date period }
    rows { student { fullName } line { attendance lateMinutes gradeLessons gradeValues }
           weightedAverage suggestedGrade { value } termGrade { value } } } } } }
"""
LINES_AND_CELLS = """
query Journal($class: ID!, $subject: ID!) { node(id: $class) { ... on SchoolClass {
  journal(subjectId: $subject) { lessons { id } rows {
    line { attendance lateMinutes gradeLessons gradeValues gradeWeights gradeIds }
    cells { lesson { id } grades { id value weight } attendance lateMinutes } } } } } }
"""
ROLES = ["parent", "other_parent", "student", "teacher", "admin", "district"]
STAFF = ("teacher", "admin", "district")


@dataclass
class ClassJournal:
    """5A's mathematics journal over the factory school's term, with a viewer in every role."""

    kit: SchoolKit
    users: dict[str, models.User]  # one per ROLES entry: the 5A mathematics teacher is "teacher"
    english_teacher: models.User  # teaches 5A English, not its mathematics
    seventh_teacher: models.User  # teaches mathematics, in 7A only
    lessons: list[models.Lesson]  # 5A mathematics in the term, in the journal's order

    @property
    def klass(self) -> models.SchoolClass:
        return self.kit.classes["5A"]

    @property
    def maths(self) -> models.Subject:
        return self.kit.subjects["Mathematics"]


async def _journal(factory: Factory, school_days: int = 6) -> ClassJournal:
    """A school with 5A and 7A. In 5A: Anna (the parent's child, with a login of her own), Boris
    (the other parent's) and Vera (never graded); mathematics at period 1 on each of the last
    ``school_days`` school days, again at period 4 on the last of them, and once ahead. Every
    past lesson is marked (Anna: present, late, excused, unexcused in turn) and graded (Anna
    when there, Boris always, twice in the first lesson). Outside the journal: a removed grade,
    a Russian lesson, a 7A lesson and a lesson before the term, each with a grade."""
    kit = await factory.school(subjects=("Mathematics", "Russian language", "English"), classes=("5A", "7A"))
    teacher = await factory.teacher(kit, [("5A", "Mathematics")], name="maths")
    english = await factory.teacher(kit, [("5A", "English")], name="english")
    russian = await factory.teacher(kit, [("5A", "Russian language")], name="russian")
    seventh = await factory.teacher(kit, [("7A", "Mathematics")], name="maths7")
    parent, other_parent = await factory.parent(), await factory.parent("other")
    child = await factory.student(kit, "5A", "anna", guardians=[parent])
    classmate = await factory.student(kit, "5A", "boris", guardians=[other_parent])
    await factory.student(kit, "5A", "vera", login=False)
    outsider = await factory.student(kit, "7A", "gleb", login=False)

    days = school_days_before(today_utc(), school_days)
    lessons = await factory.lessons(kit, "5A", "Mathematics", teacher, days)
    lessons.append(await factory.lesson(kit, "5A", "Mathematics", teacher, days[-1], period=4))
    statuses = [
        models.AttendanceStatus.PRESENT,
        models.AttendanceStatus.LATE,
        models.AttendanceStatus.ABSENT_EXCUSED,
        models.AttendanceStatus.ABSENT_UNEXCUSED,
    ]
    for n, lesson in enumerate(lessons):
        status = statuses[n % len(statuses)]
        await factory.mark(child, lesson, status, late_minutes=5 if status == models.AttendanceStatus.LATE else None)
        await factory.mark(classmate, lesson, models.AttendanceStatus.PRESENT)
        if status in (models.AttendanceStatus.PRESENT, models.AttendanceStatus.LATE):
            await factory.grade(child, lesson, value=str(3 + n % 3), weight=1 + n % 2)
        await factory.grade(classmate, lesson, value="5")
    await factory.grade(classmate, lessons[0], value="4", weight=2)
    await factory.remove_grade(await factory.grade(child, lessons[0], value="2", weight=5))
    ahead = school_days_from(today_utc() + timedelta(days=1), 1)[0]
    lessons.append(await factory.lesson(kit, "5A", "Mathematics", teacher, ahead))
    await factory.homework(lessons[-1], "Exercise 12")

    noise = [
        (child, await factory.lesson(kit, "5A", "Russian language", russian, days[-1], period=2)),
        (outsider, await factory.lesson(kit, "7A", "Mathematics", seventh, days[-1], period=3)),
        (child, await factory.lesson(kit, "5A", "Mathematics", teacher, school_days_before(kit.term.start_date, 1)[0])),
    ]
    for student, lesson in noise:
        await factory.grade(student, lesson, value="2")

    assert kit.admin is not None
    users = {
        "parent": parent,
        "other_parent": other_parent,
        "student": await models.User.get(id=child.user_id),
        "teacher": teacher,
        "admin": kit.admin,
        "district": await factory.district_admin(),
    }
    return ClassJournal(kit, users, english, seventh, lessons)


def _vars(klass: models.SchoolClass, subject: models.Subject, term: models.Term | None = None) -> dict[str, str]:
    variables = {"class": gid(klass, "SchoolClass"), "subject": to_global_id("Subject", subject.pk)}
    if term is not None:
        variables["term"] = to_global_id("Term", term.pk)
    return variables


def _weighted(grades: list[models.Grade]) -> float | None:
    """The oracle: a weighted average rounded half up in decimal, as the API promises."""
    counted = [(g.numeric_value, g.weight) for g in grades if g.numeric_value is not None]
    total = sum(w for _, w in counted)
    return float(half_up(sum(v * w for v, w in counted), total)) if total else None


async def test_teacher_reads_the_journal_of_a_taught_class(factory: Factory) -> None:
    world = await _journal(factory)
    klass, subject, term = world.klass, world.maths, world.kit.term
    journal = (await factory.client(world.users["teacher"]).data(JOURNAL, **_vars(klass, subject)))["node"]["journal"]
    assert journal["subject"]["name"] == "Mathematics"
    assert journal["term"]["name"] == term.name
    lessons = await models.Lesson.filter(
        school_class_id=klass.id, subject_id=subject.id, date__gte=term.start_date, date__lte=term.end_date
    ).order_by("date", "period", "id")
    assert [x.id for x in lessons] == [x.id for x in world.lessons]  # not the lesson before the term
    assert [x["id"] for x in journal["lessons"]] == [to_global_id("Lesson", x.pk) for x in lessons]
    assert journal["lessons"][-1]["homework"] == [{"text": "Exercise 12"}]
    enrolled = await models.Enrollment.filter(school_class_id=klass.id).select_related("student")
    names = sorted(e.student.full_name for e in enrolled)
    assert [r["student"]["fullName"] for r in journal["rows"]] == names
    assert len(names) == 3
    grades = await models.Grade.filter(
        school_class_id=klass.id,
        subject_id=subject.id,
        date__gte=term.start_date,
        date__lte=term.end_date,
        deleted_at__isnull=True,
    )
    school = world.kit.school
    shown = 0
    for row in journal["rows"]:
        assert [c["lesson"]["id"] for c in row["cells"]] == [x["id"] for x in journal["lessons"]]
        shown += sum(len(c["grades"]) for c in row["cells"])
        own = [g for g in grades if to_global_id("Student", g.student_id) == row["student"]["id"]]
        expected = _weighted(own)
        assert row["weightedAverage"] == expected
        mark = grading.suggest(school, expected)
        assert row["suggestedGrade"] == ({"value": mark.value, "numericValue": mark.numeric} if mark else None)
    assert [r["weightedAverage"] is None for r in journal["rows"]] == [False, False, True]  # Vera has no grades
    assert shown == len([g for g in grades if g.lesson_id is not None]) > 0
    marked = [c for r in journal["rows"] for c in r["cells"] if c["attendance"]]
    assert marked
    assert any(c["attendance"] == "LATE" and c["lateMinutes"] for c in marked)


@pytest.mark.parametrize("role", STAFF)
async def test_line_holds_what_the_cells_hold(role: str, factory: Factory) -> None:
    """`line` is the row's cells in columns: one attendance and lateness per lesson, and the
    grades in the order of the lessons and then as given, with their lessons' positions."""
    world = await _journal(factory)
    client = factory.client(world.users[role])
    journal = (await client.data(LINES_AND_CELLS, **_vars(world.klass, world.maths)))["node"]["journal"]
    columns = [x["id"] for x in journal["lessons"]]
    assert len(journal["rows"]) == 3
    graded = 0
    for row in journal["rows"]:
        line, cells = row["line"], row["cells"]
        assert [c["lesson"]["id"] for c in cells] == columns
        assert line["attendance"] == [c["attendance"] for c in cells]
        assert line["lateMinutes"] == [c["lateMinutes"] for c in cells]
        grades = [(n, g) for n, c in enumerate(cells) for g in c["grades"]]
        assert line["gradeLessons"] == [n for n, _ in grades]
        assert line["gradeValues"] == [g["value"] for _, g in grades]
        assert line["gradeWeights"] == [g["weight"] for _, g in grades]
        assert line["gradeIds"] == [g["id"] for _, g in grades]
        graded += len(grades)
    assert graded > len(columns)  # Boris twice in the first lesson, Anna when there
    assert "LATE" in journal["rows"][0]["line"]["attendance"]
    assert 5 in journal["rows"][0]["line"]["lateMinutes"]
    assert journal["rows"][0]["line"]["attendance"][-1] is None  # the lesson ahead is not marked


async def test_csv_is_the_same_grid(factory: Factory) -> None:
    world = await _journal(factory)
    journal = (await factory.client(world.users["teacher"]).data(JOURNAL, **_vars(world.klass, world.maths)))["node"][
        "journal"
    ]
    assert "\r\n" in journal["csv"]
    table = list(csv.reader(io.StringIO(journal["csv"])))
    columns = [f"{x['date']} #{x['period']}" for x in journal["lessons"]]
    assert table[0] == ["Student", *columns, "Weighted average", "Suggested", "Term grade"]
    assert [line[0] for line in table[1:]] == [r["student"]["fullName"] for r in journal["rows"]]
    seen = set()
    for line, row in zip(table[1:], journal["rows"], strict=True):
        for text, cell in zip(line[1:-3], row["cells"], strict=True):
            words = text.split()
            assert words[: len(cell["grades"])] == [g["value"] for g in cell["grades"]]
            status = {"ABSENT_UNEXCUSED": ["abs"], "ABSENT_EXCUSED": ["exc"]}.get(cell["attendance"] or "", [])
            if cell["attendance"] == "LATE":
                status = ["late", str(cell["lateMinutes"])]
            assert words[len(cell["grades"]) :] == status
            seen.update(status[:1])
        average = row["weightedAverage"]
        assert line[-3] == (f"{average:.2f}" if average is not None else "")
        assert line[-2] == (row["suggestedGrade"]["value"] if row["suggestedGrade"] else "")
    assert seen == {"abs", "exc", "late"}


@pytest.mark.parametrize("role", ROLES)
async def test_journal_visibility(role: str, factory: Factory) -> None:
    """Teachers of the class + subject and admins read it; families get null, even for
    their own child's class; the teacher gets null for a subject they do not teach there."""
    world = await _journal(factory, school_days=2)
    client = factory.client(world.users[role])
    body = await client.data(JOURNAL, **_vars(world.klass, world.maths))
    if role in STAFF:
        assert len(body["node"]["journal"]["rows"]) > 1
    else:  # parents and the student see their class, not its journal
        assert body["node"] == {"journal": None}
    untaught = (await client.data(JOURNAL, **_vars(world.klass, world.kit.subjects["English"])))["node"]
    if role in ("admin", "district"):
        assert untaught["journal"] is not None
    else:
        assert untaught == {"journal": None}


async def test_other_teacher_gets_null(factory: Factory) -> None:
    """Another subject's teacher of the class, and the subject's teacher of another class."""
    world = await _journal(factory, school_days=2)
    client = factory.client(world.english_teacher)
    assert (await client.data(JOURNAL, **_vars(world.klass, world.maths)))["node"]["journal"] is None
    own = world.kit.subjects["English"]
    assert (await client.data(JOURNAL, **_vars(world.klass, own)))["node"]["journal"] is not None
    seventh = factory.client(world.seventh_teacher)
    assert (await seventh.data(JOURNAL, **_vars(world.klass, world.maths)))["node"] is None
    assert (await seventh.data(JOURNAL, **_vars(world.kit.classes["7A"], world.maths)))["node"]["journal"] is not None


# --- the CSV download -------------------------------------------------------------------


def _url(klass: models.SchoolClass, subject: models.Subject, term: models.Term | None = None) -> str:
    url = f"/export/journal.csv?classId={gid(klass, 'SchoolClass')}&subjectId={to_global_id('Subject', subject.pk)}"
    return url + (f"&termId={to_global_id('Term', term.pk)}" if term else "")


async def test_csv_download(factory: Factory) -> None:
    world = await _journal(factory)
    teacher, term = factory.client(world.users["teacher"]), world.kit.term
    response = await factory.http.get(_url(world.klass, world.maths, term), headers=teacher.headers())
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="journal-5A-Mathematics-{term.name.replace(" ", "-")}.csv";'
        f" filename*=UTF-8''journal-5A-Mathematics-{term.name.replace(' ', '-')}.csv"
    )
    journal = (await teacher.data(JOURNAL, **_vars(world.klass, world.maths, term)))["node"]["journal"]
    assert response.text == journal["csv"]


@pytest.mark.parametrize(
    ("language", "header", "marks", "refusal"),
    [
        (
            "ru",
            ["Ученик", "Средневзвешенный балл", "Рекомендуемая", "Итоговая оценка"],
            ["опоздал(а) на 5 мин", "у", "н"],  # noqa: RUF001 - Russian, not look-alike Latin
            "Сначала войдите в систему.",
        ),
        (
            "en-GB,en;q=0.9",
            ["Student", "Weighted average", "Suggested", "Term grade"],
            ["late 5", "exc", "abs"],
            "Log in first.",
        ),
    ],
)
async def test_csv_is_written_in_the_readers_language(
    factory: Factory, language: str, header: list[str], marks: list[str], refusal: str
) -> None:
    """Accept-Language chooses the headers and the attendance marks, of the download and of the
    ``csv`` field alike; the names, dates and grades stay as they are."""
    world = await _journal(factory)
    teacher, term = factory.client(world.users["teacher"]), world.kit.term
    headers = {**teacher.headers(), "Accept-Language": language}
    response = await factory.http.get(_url(world.klass, world.maths, term), headers=headers)
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.text)))
    assert [rows[0][0], *rows[0][-3:]] == header
    cells = {cell for row in rows[1:] for cell in row[1:-3]}
    assert all(any(mark in cell for cell in cells) for mark in marks), cells
    body = (
        await factory.http.post(
            "/graphql", json={"query": JOURNAL, "variables": _vars(world.klass, world.maths, term)}, headers=headers
        )
    ).json()
    assert body["data"]["node"]["journal"]["csv"] == response.text
    refused = await factory.http.get(_url(world.klass, world.maths, term), headers={"Accept-Language": language})
    assert (refused.status_code, refused.text) == (401, refusal)


@pytest.mark.parametrize("role", ROLES)
async def test_csv_download_visibility(role: str, factory: Factory) -> None:
    world = await _journal(factory, school_days=2)
    headers = factory.client(world.users[role]).headers()
    response = await factory.http.get(_url(world.klass, world.maths), headers=headers)
    assert response.status_code == (200 if role in STAFF else 404)


async def test_csv_download_refuses_bad_requests(factory: Factory) -> None:
    world = await _journal(factory, school_days=2)
    http, teacher = factory.http, factory.client(world.users["teacher"])
    assert (await http.get(_url(world.klass, world.maths))).status_code == 401
    assert (await http.get("/export/journal.csv?classId=x&subjectId=y", headers=teacher.headers())).status_code == 404
    seven = world.kit.classes["7A"]
    assert (await http.get(_url(seven, world.maths), headers=teacher.headers())).status_code == 404


# --- cost -------------------------------------------------------------------------------


async def _graded_class(
    factory: Factory, kit: SchoolKit, class_name: str, teacher: models.User, students: int, lessons: int
) -> None:
    """``students`` students and ``lessons`` mathematics lessons (four a day, on the last school
    days) in ``class_name``, every student graded and marked late at every lesson."""
    roster = [await factory.student(kit, class_name, f"pupil{i:02d}", login=False) for i in range(students)]
    days = school_days_before(today_utc(), lessons // 4)
    made = [
        await factory.lesson(kit, class_name, "Mathematics", teacher, day, period)
        for day in days
        for period in range(1, 5)
    ]
    await factory.grades_at_once(
        [(s, lesson, str(2 + (s.id + lesson.id) % 4), 1 + lesson.id % 2) for s in roster for lesson in made]
    )
    await factory.marks_at_once([(s, lesson, models.AttendanceStatus.LATE, 5) for s in roster for lesson in made])


async def test_journal_statements(factory: Factory, count_statements: StatementCounter) -> None:
    """3 students x 4 lessons cost what 30 students x 40 lessons cost."""
    kit = await factory.school(classes=("11Y", "11Z"))
    teacher = await factory.teacher(kit, [("11Y", "Mathematics"), ("11Z", "Mathematics")])
    await _graded_class(factory, kit, "11Y", teacher, 3, 4)
    await _graded_class(factory, kit, "11Z", teacher, 30, 40)
    district = factory.client(await factory.district_admin())
    counts, sizes = [], []
    for class_name in ("11Y", "11Z"):
        count_statements.statements.clear()
        body = await district.data(JOURNAL, **_vars(kit.classes[class_name], kit.subjects["Mathematics"], kit.term))
        journal = body["node"]["journal"]
        sizes.append(
            (len(journal["rows"]), len(journal["lessons"]), sum(len(c["grades"]) for c in journal["rows"][0]["cells"]))
        )
        counts.append(count_statements.count)
    assert sizes == [(3, 4, 4), (30, 40, 40)]
    assert counts[0] == counts[1], count_statements.statements
    # The grid alone (as `make bench` asks for it), with an object per cell or in columns: the
    # account's standing, the class, the subject with its school and the journal's policy check,
    # the school's terms, the lessons, the roster, grades, marks, term grades.
    for grid in (JOURNAL_GRID, JOURNAL_LINES):
        count_statements.statements.clear()
        await district.data(grid, **_vars(kit.classes["11Z"], kit.subjects["Mathematics"], kit.term))
        assert count_statements.count <= 9, count_statements.statements


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

    from resolvers.journal import JournalData, JournalRowData, journal_csv

    lesson = models.Lesson(id=1, date=date(2026, 9, 1), period=2)
    grade = models.Grade(value="5", numeric_value=5.0, weight=1)
    row = JournalRowData(
        student=models.Student(id=1, full_name='O"Neil, Ünal'),
        cell_grades={lesson.id: [grade, grade]},
        marks={lesson.id: (models.AttendanceStatus.ABSENT_EXCUSED, None)},
        term_grade=None,
        suggested=grading.Mark("5", 5.0),
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
            cell_grades={},
            marks={},
            term_grade=None,
            suggested=None,
            average=None,
            weighted_average=None,
        )
        for i, name in enumerate(NAMES)
    ]
    journal = JournalData(models.SchoolClass(), models.Subject(), models.Term(), [lesson], rows)
    names = [row[0] for row in list(csv.reader(io.StringIO(journal_csv(journal))))[1:]]
    assert names == SAFE_NAMES


# Formula-like cells get an apostrophe; a plain negative number stays a number.
NAMES = ['=HYPERLINK("http://x","y")', "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "Anna Ivanova", "-2", "-0.5"]
SAFE_NAMES = [
    '\'=HYPERLINK("http://x","y")',
    "'+1",
    "'-2+3",
    "'@SUM(A1)",
    "'\t=1",
    "'\r=1",
    "Anna Ivanova",
    "-2",
    "-0.5",
]
GRADE = """mutation G($input: GradeCreateInput!) { gradeCreate(input: $input) { __typename ... on Error { code } } }"""


async def test_a_custom_scale_mark_is_exported_safe(factory: Factory) -> None:
    """A school's own scale with a mark ``=1+1``: given as a grade, suggested and set as the term
    grade, it reaches the CSV only as text."""
    marks = [{"value": "=1+1", "numeric": 5.0}, {"value": "@two", "numeric": 2.0}]
    kit = await factory.school(classes=("5A",), scale_kind=models.ScaleKind.LETTER, scale_marks=marks, pass_mark=2)
    teacher = await factory.teacher(kit, [("5A", "Mathematics")])
    student = await factory.student(kit, "5A", "pupil")
    lesson = await factory.lesson(kit, "5A", "Mathematics", teacher, school_days_before(today_utc(), 1)[0])
    client = factory.client(teacher)
    given = {"studentId": gid(student, "Student"), "lessonId": gid(lesson, "Lesson"), "value": "=1+1"}
    assert (await client.data(GRADE, input=given))["gradeCreate"]["__typename"] == "GradeCreateSuccess"
    await factory.term_grade(kit, student, "Mathematics", teacher, value="=1+1")
    response = await factory.http.get(_url(kit.classes["5A"], kit.subjects["Mathematics"]), headers=client.headers())
    assert response.status_code == 200
    table = list(csv.reader(io.StringIO(response.text)))
    assert table[1][1:] == ["'=1+1", "5.00", "'=1+1", "'=1+1"]
    assert "\n=" not in response.text
    assert ",=" not in response.text
