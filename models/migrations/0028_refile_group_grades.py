"""Grades given in a cross-class group's lesson before the group's members were counted in their
own class (issue 21) were filed under the lesson's class, the group's home class: a 5B member of
a group filed under 5A had 5A grades, counted on 5A's dashboard, statistics and at-risk list.
Each such grade is re-filed under the class the child was enrolled in on the lesson's day among
the classes the group draws from (as ``gradeCreate`` files it now), with the class of its diary
events; a grade whose day finds no such enrolment, or two, keeps its class.

Attendance has no class of its own, but the roll-ups counted a group lesson's marks in the
lesson's class: the roll-ups keyed by class (``models/rollup.py``) of every class touched (a
re-filed grade's old and new class, a mark counted in the wrong one) are recomputed from the
grades and marks as they now stand. The statements are this migration's own copy of
``resolvers/grades.py`` as of today (the roll-ups by week and mark are not by class and do not
move). Running it again re-files nothing and leaves the roll-ups as they are (they are already
the recomputation). Nothing personal is logged or audited: ids only."""

from tortoise import migrations
from tortoise.migrations import operations as ops

# Grades of group lessons whose child was enrolled in exactly one of the group's classes on the
# lesson's day, and filed under another class.
MISFILED = """
SELECT g.id AS id, g.school_class_id AS old_class, MIN(e.school_class_id) AS new_class
FROM grade g
JOIN lesson l ON l.id = g.lesson_id AND l.group_id IS NOT NULL
JOIN class_group_class gc ON gc.group_id = l.group_id
JOIN enrollment e ON e.student_id = g.student_id AND e.school_class_id = gc.school_class_id
     AND e.start_date <= l.date AND (e.end_date IS NULL OR l.date <= e.end_date)
GROUP BY g.id, g.school_class_id
HAVING COUNT(DISTINCT e.school_class_id) = 1 AND MIN(e.school_class_id) <> g.school_class_id
"""

# Marks of group lessons counted (by the old roll-ups) in the lesson's class instead of the child's.
MISCOUNTED = """
SELECT DISTINCT l.school_class_id AS old_class, e.school_class_id AS new_class
FROM attendance a
JOIN lesson l ON l.id = a.lesson_id AND l.group_id IS NOT NULL
JOIN class_group_class gc ON gc.group_id = l.group_id
JOIN enrollment e ON e.student_id = a.student_id AND e.school_class_id = gc.school_class_id
     AND e.start_date <= a.date AND (e.end_date IS NULL OR a.date <= e.end_date)
WHERE e.school_class_id <> l.school_class_id
"""


def _week(column, postgres):
    if postgres:
        return f"CAST(date_trunc('week', {column}) AS DATE)"
    return f"date({column}, '-' || ((CAST(strftime('%w', {column}) AS INTEGER) + 6) % 7) || ' days')"


def _grade_rows(classes):
    return f"""
SELECT t.school_id AS school_id, t.id AS term_id, g.school_class_id AS school_class_id,
       g.subject_id AS subject_id, g.teacher_id AS teacher_id, g.student_id AS student_id,
       CAST(ROUND(g.numeric_value * 100) AS INTEGER) AS mark, g.weight AS weight
FROM grade g
JOIN school_class c ON c.id = g.school_class_id
JOIN term t ON t.school_id = c.school_id AND g.date >= t.start_date AND g.date <= t.end_date
WHERE g.deleted_at IS NULL AND g.numeric_value IS NOT NULL AND g.school_class_id IN ({classes})"""


def _attendance_rows(classes, postgres):
    return f"""
SELECT t.school_id AS school_id, t.id AS term_id, c.id AS school_class_id,
       a.student_id AS student_id, {_week("a.date", postgres)} AS week_start,
       CASE WHEN a.status = 'PRESENT' THEN 1 ELSE 0 END AS present,
       CASE WHEN a.status = 'LATE' THEN 1 ELSE 0 END AS late,
       CASE WHEN a.status = 'ABSENT_EXCUSED' THEN 1 ELSE 0 END AS excused,
       CASE WHEN a.status = 'ABSENT_UNEXCUSED' THEN 1 ELSE 0 END AS unexcused
FROM attendance a
JOIN lesson l ON l.id = a.lesson_id
LEFT JOIN enrollment e ON l.group_id IS NOT NULL AND e.student_id = a.student_id
     AND e.start_date <= a.date AND (e.end_date IS NULL OR a.date <= e.end_date)
     AND e.school_class_id IN (SELECT gc.school_class_id FROM class_group_class gc WHERE gc.group_id = l.group_id)
JOIN school_class c ON c.id = COALESCE(e.school_class_id, l.school_class_id)
JOIN term t ON t.school_id = c.school_id AND a.date >= t.start_date AND a.date <= t.end_date
WHERE c.id IN ({classes})"""


# (table, keys, measures, grades: summed from grade rows, else from attendance rows)
TABLES = (
    (
        "rollup_grade",
        ("school_id", "term_id", "school_class_id", "subject_id", "teacher_id"),
        (("grades", "COUNT(*)"), ("weight", "SUM(weight)"), ("mark_sum", "SUM(mark)"),
         ("weighted_sum", "SUM(mark * weight)")),
        True,
    ),
    (
        "rollup_student_mark",
        ("school_id", "term_id", "school_class_id", "student_id", "mark"),
        (("grades", "COUNT(*)"), ("weight", "SUM(weight)")),
        True,
    ),
    (
        "rollup_attendance",
        ("school_id", "term_id", "school_class_id", "week_start"),
        (("marked", "COUNT(*)"), ("present", "SUM(present)"), ("late", "SUM(late)"), ("excused", "SUM(excused)"),
         ("unexcused", "SUM(unexcused)")),
        False,
    ),
    (
        "rollup_student_attendance",
        ("school_id", "term_id", "school_class_id", "student_id"),
        (("marked", "COUNT(*)"), ("unexcused", "SUM(unexcused)")),
        False,
    ),
)

# The students of a class by their lowest counted mark of the term, from the marks just recomputed.
LOWEST = """
INSERT INTO rollup_lowest_mark (school_id, term_id, school_class_id, lowest, students)
SELECT school_id, term_id, school_class_id, lowest, COUNT(*) FROM (
  SELECT school_id, term_id, school_class_id, student_id, MIN(mark) AS lowest FROM rollup_student_mark
  WHERE grades > 0 AND school_class_id IN ({classes}) GROUP BY school_id, term_id, school_class_id, student_id
) p GROUP BY school_id, term_id, school_class_id, lowest ORDER BY school_id, term_id, school_class_id, lowest
"""


def _ids(values):
    return ", ".join(str(int(v)) for v in sorted(values))


async def recompute(client, classes):
    """The class-keyed roll-ups of ``classes`` (ints) from the grades and marks as they stand."""
    postgres = client.capabilities.dialect == "postgres"
    listed = _ids(classes)
    for table, keys, measures, from_grades in TABLES:
        source = _grade_rows(listed) if from_grades else _attendance_rows(listed, postgres)
        key_list = ", ".join(keys)
        columns = ", ".join((*keys, *(m for m, _ in measures)))
        summed = ", ".join(f"{expr} AS {name}" for name, expr in measures)
        await client.execute_script(f"DELETE FROM {table} WHERE school_class_id IN ({listed})")
        await client.execute_script(
            f"INSERT INTO {table} ({columns}) SELECT {key_list}, {summed} FROM ({source}) s "
            f"GROUP BY {key_list} ORDER BY {key_list}"
        )
    await client.execute_script(f"DELETE FROM rollup_lowest_mark WHERE school_class_id IN ({listed})")
    await client.execute_script(LOWEST.format(classes=listed))


async def refile_group_grades(apps, schema_editor):
    client = schema_editor.client
    moves = {}
    touched = set()
    for row in await client.execute_query_dict(MISFILED):
        moves.setdefault(int(row["new_class"]), []).append(int(row["id"]))
        touched |= {int(row["old_class"]), int(row["new_class"])}
    for row in await client.execute_query_dict(MISCOUNTED):
        touched |= {int(row["old_class"]), int(row["new_class"])}
    for new_class, ids in sorted(moves.items()):
        for n in range(0, len(ids), 500):
            chunk = _ids(ids[n : n + 500])
            await client.execute_script(f"UPDATE grade SET school_class_id = {int(new_class)} WHERE id IN ({chunk})")
            await client.execute_script(
                f"UPDATE outbox_event SET school_class_id = {int(new_class)} WHERE grade_id IN ({chunk})"
            )
    if touched:
        await recompute(client, touched)


class Migration(migrations.Migration):
    dependencies = [('models', '0027_push_devices')]

    initial = False

    operations = [
        ops.RunPython(refile_group_grades, ops.RunPython.noop),
    ]
