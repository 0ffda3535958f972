"""Migration 0028: grades a cross-class group's 5B member got before members were counted in their
own class (filed under the group's home class, 5A) are re-filed under 5B, with their events, and
the roll-ups of both classes are recomputed (the old ones also counted the member's marks in 5A).
The old state is built as the old writers left it: the grade rows filed under the lesson's class,
and the roll-ups summed that way. The world is ``test_group_reads._groups``: dan is 5B's only
child, in the cross-class group "pro" filed under 5A."""

from __future__ import annotations

from datetime import timedelta
from importlib import import_module
from typing import Any

from tortoise import connections
from tortoise.transactions import in_transaction

import models
from resolvers import core
from resolvers import grades as grading
from tests.factories import Factory
from tests.grades.test_group_reads import Groups, _groups

migration = import_module("models.migrations.0028_refile_group_grades")


class Editor:
    """What the migration reads of the schema editor: its connection."""

    @property
    def client(self) -> Any:
        return connections.get("default")


async def _old_grade(g: Groups, child: str, lesson: models.Lesson, value: str) -> models.Grade:
    """A grade as gradeCreate filed it before: under the lesson's class, counted there."""
    student = g.children[child]
    async with in_transaction(), grading.grades_changing([student.id]) as changes:
        row = await models.Grade.create(
            student=student,
            subject_id=lesson.subject_id,
            school_class_id=lesson.school_class_id,
            lesson=lesson,
            teacher_id=lesson.teacher_id,
            date=lesson.date,
            value=value,
            numeric_value=float(value),
        )
        await changes.add([row.id])
        await models.OutboxEvent.create(
            kind="GRADE_ADDED", student=student, school_class_id=lesson.school_class_id, grade=row, lesson=lesson
        )
    return row


async def _count_marks_in_5a(g: Groups) -> None:
    """Move the 5B roll-ups of the marks (all dan's: 5B's only child) to 5A, where the old
    roll-ups counted a group lesson's marks."""
    a, b = g.kit.classes["5A"].id, g.kit.classes["5B"].id
    await models.StudentAttendanceRollup.filter(school_class_id=b).update(school_class_id=a)
    measures = ("marked", "present", "late", "excused", "unexcused")
    for row in await models.AttendanceRollup.filter(school_class_id=b):
        target, _created = await models.AttendanceRollup.get_or_create(
            school_id=row.school_id, term_id=row.term_id, school_class_id=a, week_start=row.week_start
        )
        for m in measures:
            setattr(target, m, getattr(target, m) + getattr(row, m))
        await target.save()
        await row.delete()


async def _drift(school_id: int) -> dict[str, tuple[int, int]]:
    """Per roll-up table, the school's stored rows a full recomputation lacks, and the reverse."""
    found = {}
    for name, stored, recomputed in grading._pairs():
        counts = []
        for first, second in ((stored, recomputed), (recomputed, stored)):
            rows = await core.fetch(
                f"SELECT COUNT(*) AS n FROM (SELECT * FROM ({first}) s WHERE school_id = ? "
                f"EXCEPT SELECT * FROM ({second}) r WHERE school_id = ?) x",
                [school_id, school_id],
            )
            counts.append(int(rows[0]["n"]))
        found[name] = (counts[0], counts[1])
    return found


async def _state(g: Groups) -> tuple[dict[int, int], dict[int, int | None], list[Any]]:
    """Each grade's class, each grade event's class, and the school's roll-up rows."""
    school = g.kit.school.id
    grades = {x.id: x.school_class_id for x in await models.Grade.filter(school_class__school_id=school)}
    events = {
        int(str(e["grade_id"])): e["school_class_id"]
        for e in await models.OutboxEvent.filter(grade_id__in=list(grades)).values("grade_id", "school_class_id")
    }
    rows = []
    for name in [t.name for t in grading.ALL_TABLES] + ["rollup_lowest_mark"]:
        found = await core.fetch(f"SELECT * FROM {name} WHERE school_id = ?", [school])
        rows += sorted((name, *sorted((k, v) for k, v in r.items() if k != "id")) for r in found)
    return grades, events, rows


async def test_migration_0028_refiles_a_cross_class_members_old_grades_and_recomputes_the_rollups(
    factory: Factory,
) -> None:
    g = await _groups(factory)
    a, b = g.kit.classes["5A"].id, g.kit.classes["5B"].id
    pro = g.lessons["pro"]
    misfiled = [await _old_grade(g, "dan", pro[0], "2"), await _old_grade(g, "dan", pro[1], "5")]
    kept = {
        "now": await factory.grade(g.children["dan"], pro[2], "4"),  # filed under 5B already, by today's writer
        "ann": await _old_grade(g, "ann", g.lessons["maths"][0], "3"),  # a whole-class lesson: 5A is right
    }
    # ivy joined 5B after the first lesson: no class of the group that day, so it keeps its class
    ivy = await factory.student(g.kit, "5B", "ivy", login=False, since=g.days[1])
    await models.GroupMembership.create(student=ivy, group_id=pro[0].group_id, start_date=g.days[0] - timedelta(days=1))
    g.children["ivy"] = ivy
    kept["ivy"] = await _old_grade(g, "ivy", pro[0], "3")
    for lesson in pro[:2]:
        await factory.mark(g.children["dan"], lesson, models.AttendanceStatus.ABSENT_UNEXCUSED)
    await _count_marks_in_5a(g)
    drift = await _drift(g.kit.school.id)
    assert any(v != (0, 0) for v in drift.values()), drift  # the old state is not today's recomputation

    await migration.refile_group_grades(None, Editor())

    grades, events, rows = await _state(g)
    assert {grades[x.id] for x in misfiled} == {b}
    assert {events[x.id] for x in misfiled} == {b}  # their diary events follow them
    assert {k: grades[x.id] for k, x in kept.items()} == {"now": b, "ann": a, "ivy": a}
    assert await _drift(g.kit.school.id) == dict.fromkeys(drift, (0, 0))
    graded = {
        c: sum(r.grades for r in await models.GradeRollup.filter(school_class_id=c)) for c in (a, b)
    }  # 5A: ann's and ivy's; 5B: dan's three
    assert graded == {a: 2, b: 3}
    marks = await models.StudentAttendanceRollup.filter(school_id=g.kit.school.id).values_list(
        "school_class_id", "student_id", "unexcused"
    )
    assert [tuple(m) for m in marks if m[2]] == [(b, g.children["dan"].id, 2)]

    await migration.refile_group_grades(None, Editor())  # again: nothing moves
    assert await _state(g) == (grades, events, rows)
