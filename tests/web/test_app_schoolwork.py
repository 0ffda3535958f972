"""The family app's school-work screens (issue 23; ``web/app/src/screens``, loaded when first
opened) in headless Chromium: a parent opens a lesson's details (its topic, group and announced
assessment, the child's grade with weight, kind, comment and history, the attendance mark, the
homework with its file and where the hand-in stands), the upcoming assessments, the progress
table and chart against the class, and the final grades, and reads the figures the API has;
another parent, on the same addresses, sees none of it; the child hands work in with a file
through the upload API; axe-core finds nothing serious on any of these screens, and each is
screenshotted (``$EDIARY_SCREENSHOTS``, else ``tmp/screenshots/``)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

import models
from resolvers import passwords
from resolvers.core import today_utc
from tests.browsers import browser, chromium  # noqa: F401 - the fixture: Debian's headless Chromium, network cut
from tests.factories import Factory, school_days_before, school_days_from
from tests.helpers import gid
from tests.web.test_app import PASSWORD, _axe, _screenshots, _sign_in, _text, _wait

GRADE_CREATE = """
mutation G($input: GradeCreateInput!) {
  gradeCreate(input: $input) { __typename ... on GradeCreateSuccess { grade { id } } ... on Error { code } }
}
"""
GRADE_UPDATE = """
mutation U($input: GradeUpdateInput!) { gradeUpdate(input: $input) { __typename ... on Error { code } } }
"""
ASSESSMENT_PLAN = """
mutation A($input: AssessmentPlanInput!) { assessmentPlan(input: $input) { __typename ... on Error { code } } }
"""
TERM_GRADE_SET = """
mutation T($input: TermGradeSetInput!) { termGradeSet(input: $input) { __typename ... on Error { code } } }
"""
YEAR_FINALS = """
query Y($id: ID!, $year: ID!) {
  student(id: $id) { finalGrades(academicYearId: $year) { value comment term { id } subject { id } } }
}
"""
FIGURES = """
query F($id: ID!, $subject: ID!, $from: Date!, $to: Date!) {
  student(id: $id) {
    progress { subject { id } weightedAverage classWeightedAverage termGrade { value } }
    progressChart(subjectId: $subject, from: $from, to: $to) {
      bucketStart weightedAverage classWeightedAverage gradeCount
    }
  }
}
"""
HAND_IN = """
query H($hw: ID!, $student: ID!) {
  node(id: $hw) {
    ... on Homework { handIn(studentId: $student) { status submission { text attempt attachments { name } } } }
  }
}
"""


def _ru(value: float) -> str:
    """An average as the Russian page shows it: two decimals, a decimal comma."""
    return f"{value:.2f}".replace(".", ",")


@dataclass
class World:
    origin: str
    anna: models.Student
    boris: models.Student
    mum: models.User
    dad: models.User
    anna_user: models.User
    math: models.Subject
    lesson: models.Lesson
    homework: models.Homework
    figures: dict[str, Any]
    teacher: models.User


async def _world(factory: Factory, server_url: str) -> World:
    """5A's anna (mum's; with a login) and carl, 5B's boris (dad's). A past mathematics lesson of
    5A's group 1 with a topic, homework with a worksheet, anna's grade corrected once and her
    lateness; a coming control work; her final grade in mathematics, set twice. Boris has a grade
    in mathematics that day too (5B's lesson), and no final grade."""
    kit = await factory.school(classes=("5A", "5B"))
    teacher = await factory.teacher(kit, [("5A", "Mathematics"), ("5A", "Russian language"), ("5B", "Mathematics")])
    mum = await factory.user("mum", password=PASSWORD)
    dad = await factory.user("dad", password=PASSWORD)
    anna = await factory.student(kit, "5A", "anna", guardians=[mum])
    carl = await factory.student(kit, "5A", "carl")
    boris = await factory.student(kit, "5B", "boris", guardians=[dad])
    anna_user = await models.User.get(id=anna.user_id)
    anna_user.password_hash = passwords.hash_password(PASSWORD)
    await anna_user.save()
    group = await models.ClassGroup.create(
        school=kit.school,
        academic_year=kit.year,
        home_class=kit.classes["5A"],
        name=f"5A Maths 1 {factory.tag}",
        kind=models.GroupKind.SPLIT,
    )
    await models.ClassGroupClass.create(group=group, school_class=kit.classes["5A"])
    for member in (anna, carl):
        await models.GroupMembership.create(student=member, group=group, start_date=kit.year.start_date)
    earlier, day = school_days_before(today_utc(), 2)
    lesson = await factory.lesson(kit, "5A", "Mathematics", teacher, day, topic="Fractions", group=group)
    russian = await factory.lesson(kit, "5A", "Russian language", teacher, earlier, period=2)
    homework = await factory.homework(lesson, "Exercises 12 and 13")
    await factory.upload(teacher, data=b"%PDF-1.7\n%the worksheet\n", name="worksheet.pdf", homework_id=homework.id)
    await factory.mark(anna, lesson, models.AttendanceStatus.LATE, 5)
    (coming_day,) = school_days_from(today_utc() + timedelta(days=1), 1)
    coming = await factory.lesson(kit, "5A", "Mathematics", teacher, coming_day, period=3)

    teaching = factory.client(teacher)
    graded = await teaching.data(
        GRADE_CREATE,
        input={
            "studentId": gid(anna, "Student"),
            "lessonId": gid(lesson, "Lesson"),
            "value": "4",
            "weight": 2,
            "kind": "TEST",
            "comment": "Careful work",
        },
    )
    assert graded["gradeCreate"]["__typename"] == "GradeCreateSuccess", graded
    fixed = await teaching.data(
        GRADE_UPDATE, input={"gradeId": graded["gradeCreate"]["grade"]["id"], "value": "5", "reason": "Recounted"}
    )
    assert fixed["gradeUpdate"]["__typename"] == "GradeUpdateSuccess", fixed
    borises = await factory.lesson(kit, "5B", "Mathematics", teacher, day, topic="Decimals")
    for student, lesson_, value in (
        (carl, lesson, "3"),
        (anna, russian, "4"),
        (carl, russian, "5"),
        (boris, borises, "3"),
    ):
        given = await teaching.data(
            GRADE_CREATE,
            input={"studentId": gid(student, "Student"), "lessonId": gid(lesson_, "Lesson"), "value": value},
        )
        assert given["gradeCreate"]["__typename"] == "GradeCreateSuccess", given
    planned = await teaching.data(
        ASSESSMENT_PLAN,
        input={"lessonId": gid(coming, "Lesson"), "kind": "CONTROL_WORK", "description": "Fractions and decimals"},
    )
    assert planned["assessmentPlan"]["__typename"] == "AssessmentSuccess", planned
    for value in ("4", "5"):
        final = await teaching.data(
            TERM_GRADE_SET,
            input={
                "studentId": gid(anna, "Student"),
                "subjectId": gid(kit.subjects["Mathematics"], "Subject"),
                "termId": gid(kit.term, "Term"),
                "value": value,
            },
        )
        assert final["termGradeSet"]["__typename"] == "TermGradeSetSuccess", final
    year_grade = await teaching.data(
        TERM_GRADE_SET,
        input={
            "studentId": gid(anna, "Student"),
            "subjectId": gid(kit.subjects["Mathematics"], "Subject"),
            "value": "5",
            "comment": "A steady year",
        },
    )
    assert year_grade["termGradeSet"]["__typename"] == "TermGradeSetSuccess", year_grade

    figures = await factory.client(mum).data(
        FIGURES,
        id=gid(anna, "Student"),
        subject=gid(kit.subjects["Mathematics"], "Subject"),
        **{"from": kit.term.start_date.isoformat(), "to": today_utc().isoformat()},
    )
    origin = server_url.replace("ws://", "http://").removesuffix("/graphql")
    return World(
        origin, anna, boris, mum, dad, anna_user, kit.subjects["Mathematics"], lesson, homework, figures, teacher
    )


def _sign_in_to(driver: Any, url: str, login: str) -> None:
    """Open ``url`` (any section), sign in with the password, and wait for the app's sections."""
    from selenium.webdriver.common.by import By

    driver.get(url)
    _wait(driver, "the sign-in form", lambda d: d.find_element(By.NAME, "login"))
    driver.find_element(By.NAME, "login").send_keys(login)
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    _wait(driver, "the app", lambda d: d.find_elements(By.CSS_SELECTOR, "nav.sections"))


def _lesson_url(world: World) -> str:
    day = world.lesson.date.isoformat()
    return (
        f"{world.origin}/#student={gid(world.anna, 'Student')}&week={day}"
        f"&view=lesson&lesson={gid(world.lesson, 'Lesson')}&day={day}"
    )


@pytest.mark.browser
async def test_a_parent_reads_each_school_work_screen_and_another_parent_none_of_it(
    server_url: str,
    factory: Factory,
    browser: Any,  # noqa: F811
) -> None:
    world = await _world(factory, server_url)
    shots = _screenshots()
    week = f"{world.origin}/#student={gid(world.anna, 'Student')}&week={world.lesson.date.isoformat()}"
    math = gid(world.math, "Subject")
    (math_progress,) = [p for p in world.figures["student"]["progress"] if p["subject"]["id"] == math]
    chart = [p for p in world.figures["student"]["progressChart"] if p["gradeCount"]]
    assert math_progress["weightedAverage"] is not None
    assert math_progress["classWeightedAverage"] is not None
    assert math_progress["weightedAverage"] != math_progress["classWeightedAverage"]  # the chart compares
    problems: dict[str, list[dict[str, Any]]] = {}

    def the_week() -> str:
        from selenium.webdriver.common.by import By

        _sign_in(browser, week, world.mum.login)
        _wait(browser, "the upcoming control work", lambda d: "Fractions and decimals" in _text(d))
        problems["week"] = _axe(browser)
        browser.save_screenshot(str(shots / "schoolwork-week.png"))
        text = _text(browser)
        row = f"tr[data-lesson='{gid(world.lesson, 'Lesson')}'] .lesson a"
        browser.find_element(By.CSS_SELECTOR, row).click()
        return text

    text = await asyncio.to_thread(the_week)
    assert f"Группа: 5A Maths 1 {factory.tag}" in text
    assert "1 файл" in text  # the homework's worksheet
    assert "Контрольная работа: Fractions and decimals" in text  # on the week's coming lesson and the upcoming list

    def the_lesson() -> tuple[str, str, bool]:
        from selenium.webdriver.common.by import By

        _wait(
            browser,
            "the lesson's details",
            lambda d: d.find_elements(By.CSS_SELECTOR, ".lesson-details .grade-details"),
        )
        problems["lesson"] = _axe(browser)
        browser.save_screenshot(str(shots / "schoolwork-lesson.png"))
        link = browser.find_element(By.LINK_TEXT, "worksheet.pdf").get_attribute("href")
        return _text(browser), link, bool(browser.find_elements(By.CSS_SELECTOR, ".hand-in-form"))

    details, link, form = await asyncio.to_thread(the_lesson)
    assert "Fractions" in details  # the topic
    assert f"5A Maths 1 {factory.tag}" in details  # the group
    assert "Exercises 12 and 13" in details
    assert "Тест · Вес 2" in details  # noqa: RUF001 - the kind and the weight
    assert "Careful work" in details  # the comment
    assert "4 → 5" in details  # the grade's history
    assert "Recounted" in details
    assert "опоздание 5 минут" in details  # the attendance mark
    assert "долг: работа не сдана" in details  # owed work
    assert not form  # a parent does not hand in for the child
    async with httpx.AsyncClient() as http:
        download = await http.get(link)
    assert download.status_code == 200
    assert download.content == b"%PDF-1.7\n%the worksheet\n"

    def the_progress() -> tuple[str, str, str, str]:
        from selenium.webdriver.common.by import By

        browser.find_element(By.LINK_TEXT, "Успеваемость").click()
        _wait(browser, "the chart", lambda d: d.find_elements(By.CSS_SELECTOR, ".chart svg[role=img]"))
        problems["progress"] = _axe(browser)
        browser.save_screenshot(str(shots / "schoolwork-progress.png"))
        row = browser.find_element(By.CSS_SELECTOR, f"tr[data-subject='{math}']")
        title = browser.find_element(By.CSS_SELECTOR, ".chart svg title").get_attribute("textContent")
        table = browser.find_element(By.CSS_SELECTOR, ".chart-table").text
        return (
            row.find_element(By.CSS_SELECTOR, ".weighted").text,
            row.find_element(By.CSS_SELECTOR, ".class-average").text,
            title,
            table,
        )

    weighted, class_average, title, chart_table = await asyncio.to_thread(the_progress)
    assert weighted == _ru(math_progress["weightedAverage"])
    assert class_average == _ru(math_progress["classWeightedAverage"])
    assert title == f"Mathematics: {world.anna.full_name} и класс"
    assert chart  # the API has a week with grades: the table says the same figures
    for point in chart:
        assert _ru(point["weightedAverage"]) in chart_table
        assert _ru(point["classWeightedAverage"]) in chart_table

    # Live: a grade the teacher gives now is counted on the open screen, without reloading (the
    # screen's subscription starts a moment after the socket: grade until one is seen).
    def weighted_now(expected: str) -> str:
        from selenium.webdriver.common.by import By

        def shown(d: Any) -> str | None:
            text: str = d.find_element(By.CSS_SELECTOR, f"tr[data-subject='{math}'] .weighted").text
            return text if text == expected else None

        return str(_wait(browser, f"the weighted average {expected}", shown, 3))

    for attempt in range(5):
        given = await factory.client(world.teacher).data(
            GRADE_CREATE,
            input={"studentId": gid(world.anna, "Student"), "lessonId": gid(world.lesson, "Lesson"), "value": "2"},
        )
        assert given["gradeCreate"]["__typename"] == "GradeCreateSuccess", given
        figures = await factory.client(world.mum).data(
            FIGURES,
            id=gid(world.anna, "Student"),
            subject=math,
            **{"from": world.lesson.date.isoformat(), "to": world.lesson.date.isoformat()},
        )
        (now,) = [p for p in figures["student"]["progress"] if p["subject"]["id"] == math]
        assert now["weightedAverage"] < math_progress["weightedAverage"]
        try:
            await asyncio.to_thread(weighted_now, _ru(now["weightedAverage"]))
            break
        except pytest.fail.Exception:
            if attempt == 4:
                raise

    def in_english() -> str:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.select import Select

        Select(browser.find_element(By.CSS_SELECTOR, ".language select")).select_by_value("en")
        _wait(browser, "English", lambda d: "Weighted average" in _text(d))
        browser.save_screenshot(str(shots / "schoolwork-progress-en.png"))
        text: str = browser.find_element(By.CSS_SELECTOR, f"tr[data-subject='{math}'] .weighted").text
        Select(browser.find_element(By.CSS_SELECTOR, ".language select")).select_by_value("ru")
        return text

    assert await asyncio.to_thread(in_english) == f"{now['weightedAverage']:.2f}"  # a decimal point in English

    def the_finals() -> tuple[str, str, str]:
        from selenium.webdriver.common.by import By

        browser.find_element(By.LINK_TEXT, "Итоговые оценки").click()
        _wait(browser, "the final grades", lambda d: d.find_elements(By.CSS_SELECTOR, ".finals-table .final-value"))
        problems["finals"] = _axe(browser)
        browser.save_screenshot(str(shots / "schoolwork-finals.png"))
        cell = browser.find_element(By.CSS_SELECTOR, f"tr[data-subject='{math}'] .final-value").text
        year = browser.find_element(By.CSS_SELECTOR, f"tr[data-subject='{math}'] td.year").text
        return cell, year, _text(browser)

    final, year, finals = await asyncio.to_thread(the_finals)
    year_finals = await factory.client(world.mum).data(
        YEAR_FINALS,
        id=gid(world.anna, "Student"),
        year=gid(await models.AcademicYear.get(school_id=world.anna.school_id), "AcademicYear"),
    )
    years_api = [f for f in year_finals["student"]["finalGrades"] if f["term"] is None]
    assert final == math_progress["termGrade"]["value"] == "5"
    # The year grade, as the API has it (families could see it only from a notification before).
    assert years_api == [{"value": "5", "comment": "A steady year", "term": None, "subject": {"id": math}}]
    assert year == "5\nA steady year"
    assert "За год" in finals  # noqa: RUF001 - the column's heading
    assert "исправлена 4 → 5" in finals  # set twice: the change is listed
    assert problems == {"week": [], "lesson": [], "progress": [], "finals": []}, problems

    with chromium() as dad:
        # The other parent on anna's addresses: their own child's screens, never anna's.
        dads_finals: list[str] = []
        weighted_seen: list[str] = []

        def dads_screens() -> list[str]:
            from selenium.webdriver.common.by import By

            _sign_in_to(dad, _lesson_url(world), world.dad.login)
            _wait(dad, "not in boris's diary", lambda d: "Этого урока нет в дневнике ученика." in _text(d))
            seen = [_text(dad)]
            dad.save_screenshot(str(shots / "schoolwork-other-parent.png"))
            dad.find_element(By.LINK_TEXT, "Успеваемость").click()
            _wait(dad, "boris's progress", lambda d: d.find_elements(By.CSS_SELECTOR, ".progress-table .weighted"))
            weighted = [e.text for e in dad.find_elements(By.CSS_SELECTOR, ".progress-table .weighted")]
            seen.append(_text(dad))
            dad.find_element(By.LINK_TEXT, "Итоговые оценки").click()
            _wait(dad, "boris's final grades", lambda d: d.find_elements(By.CSS_SELECTOR, ".finals-table"))
            dads_finals.extend(e.text for e in dad.find_elements(By.CSS_SELECTOR, ".finals-table .final"))
            weighted_seen.extend(weighted)
            seen.append(_text(dad))
            dad.find_element(By.LINK_TEXT, "Дневник").click()
            _wait(dad, "boris's upcoming list", lambda d: "В ближайшие 7 дней проверочных работ нет." in _text(d))  # noqa: RUF001
            seen.append(_text(dad))
            return seen

        missing, *others = await asyncio.to_thread(dads_screens)
        assert weighted_seen == ["3,00"]  # boris's own mathematics, never anna's 5,00
        # No final grade of boris's (what his average suggests instead); anna's 5 is not his.
        assert dads_finals == ["не выставлена\nпо среднему: 3\nСредневзвешенный: 3,00", "не выставлена"]  # noqa: RUF001
        for text in others:
            assert world.boris.full_name in text  # their own child's progress, final grades and week
        for text in (missing, *others):
            for anna_s in (world.anna.full_name, "Careful work", "Exercises 12 and 13", "worksheet.pdf", "Fractions"):
                assert anna_s not in text


@pytest.mark.browser
async def test_a_student_hands_work_in_with_a_file(
    server_url: str,
    factory: Factory,
    browser: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    """The student's own lesson screen has the hand-in form: the text and a file go through
    fileUploadStart, the upload URL and homeworkSubmit, and the API then has the work (LATE: the
    lesson is over), shown back on the screen with its file; handed in again, the file is kept."""
    world = await _world(factory, server_url)
    work = tmp_path / "my answers.pdf"
    work.write_bytes(b"%PDF-1.7\n%my answers\n")

    def hand_in() -> str:
        from selenium.webdriver.common.by import By

        _sign_in_to(browser, _lesson_url(world), world.anna_user.login)
        _wait(browser, "the hand-in form", lambda d: d.find_elements(By.CSS_SELECTOR, ".hand-in-form"))
        browser.find_element(By.NAME, "work").send_keys("Answers: 12) 3/4, 13) 5/8")
        browser.find_element(By.NAME, "files").send_keys(str(work))
        browser.find_element(By.CSS_SELECTOR, ".hand-in-form button[type=submit]").click()
        _wait(browser, "handed in", lambda d: "Работа сдана." in _text(d) and "my answers.pdf" in _text(d))
        problems = _axe(browser)
        assert problems == [], problems
        browser.save_screenshot(str(_screenshots() / "schoolwork-hand-in.png"))
        return _text(browser)

    shown = await asyncio.to_thread(hand_in)
    assert "сдано с опозданием" in shown  # noqa: RUF001
    answer = await factory.client(world.mum).data(
        HAND_IN, hw=gid(world.homework, "Homework"), student=gid(world.anna, "Student")
    )
    hand = answer["node"]["handIn"]
    assert hand["status"] == "LATE"
    assert hand["submission"]["text"] == "Answers: 12) 3/4, 13) 5/8"
    assert hand["submission"]["attempt"] == 1
    assert [f["name"] for f in hand["submission"]["attachments"]] == ["my answers.pdf"]

    def hand_in_again() -> None:
        """The work handed in again with a corrected text: the file handed in before is kept
        (its box ticked), and no new file is sent."""
        from selenium.webdriver.common.by import By

        keep = _wait(
            browser,
            "the kept file's box",
            lambda d: [
                b for b in d.find_elements(By.CSS_SELECTOR, ".hand-in-form input[type=checkbox]") if b.is_selected()
            ],
        )
        assert len(keep) == 1
        field = browser.find_element(By.NAME, "work")
        field.clear()
        field.send_keys("Answers: 12) 3/4, 13) 7/8")
        browser.find_element(By.CSS_SELECTOR, ".hand-in-form button[type=submit]").click()
        _wait(browser, "the second attempt", lambda d: "Попытка 2" in _text(d))

    await asyncio.to_thread(hand_in_again)
    again = (
        await factory.client(world.mum).data(
            HAND_IN, hw=gid(world.homework, "Homework"), student=gid(world.anna, "Student")
        )
    )["node"]["handIn"]["submission"]
    assert (again["attempt"], again["text"]) == (2, "Answers: 12) 3/4, 13) 7/8")
    assert [f["name"] for f in again["attachments"]] == ["my answers.pdf"]
