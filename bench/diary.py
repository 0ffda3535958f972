"""What is measured: the diary a parent app asks for, and the one hand-written statement
that answers the same question, with a check that both say the same thing."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

import models
from resolvers import core
from resolvers.core import today_utc

DAYS = 7
PARENT = "parent"
PASSWORD = "demo"  # noqa: S105 - every demo account's password (README)

LOGIN = """
mutation Login($login: String!, $password: String!) {
  login(input: {login: $login, password: $password}) {
    __typename
    ... on LoginSuccess { accessToken }
    ... on Error { code message }
  }
}
"""

DIARY = """
query ParentDiary($from: Date!, $to: Date!) {
  viewer {
    children {
      fullName
      diary(from: $from, to: $to) {
        date kind
        entries {
          lesson { period startsAt endsAt topic subject { name } teacher { fullName } }
          grades { value weight comment }
          attendance
          homework { text }
        }
      }
    }
  }
}
"""

# One row per lesson of each child, with this child's grades and the lesson's homework
# aggregated as JSON arrays, in the diary's order. A child's lessons are its class's whole-class
# lessons while enrolled there and its groups' lessons while a member (as the diary's rule,
# ``policy.LESSONS_OF_STUDENTS``, says), the guardian's children found in the same statement.
_SELECT = """
WITH kids AS (SELECT student_id FROM guardianship WHERE guardian_id = ? AND revoked_at IS NULL),
own AS (
  SELECT e.student_id, l.id AS lesson_id
  FROM enrollment e
  JOIN lesson l ON l.school_class_id = e.school_class_id AND l.group_id IS NULL
       AND l.date >= e.start_date AND (e.end_date IS NULL OR l.date <= e.end_date)
  WHERE e.student_id IN (SELECT student_id FROM kids) AND l.date >= ? AND l.date <= ?
  UNION ALL
  SELECT m.student_id, l.id
  FROM group_membership m
  JOIN class_group g ON g.id = m.group_id
  JOIN class_group_class gc ON gc.group_id = g.id
  JOIN enrollment e ON e.student_id = m.student_id AND e.school_class_id = gc.school_class_id
  JOIN lesson l ON l.school_class_id = g.home_class_id AND l.group_id = m.group_id
       AND l.date >= m.start_date AND (m.end_date IS NULL OR l.date <= m.end_date)
       AND l.date >= e.start_date AND (e.end_date IS NULL OR l.date <= e.end_date)
  WHERE m.student_id IN (SELECT student_id FROM kids) AND l.date >= ? AND l.date <= ?
)
SELECT st.id AS student_id, st.full_name AS full_name,
       l.date AS date, l.period AS period, l.starts_at AS starts_at, l.ends_at AS ends_at, l.topic AS topic,
       s.name AS subject, u.full_name AS teacher, a.status AS attendance,
       {grades} AS grades,
       {homework} AS homework
FROM own
JOIN student st ON st.id = own.student_id
JOIN lesson l ON l.id = own.lesson_id
JOIN subject s ON s.id = l.subject_id
JOIN user_account u ON u.id = l.teacher_id
LEFT JOIN attendance a ON a.lesson_id = l.id AND a.student_id = st.id
ORDER BY st.full_name, st.id, l.date, l.period, l.id
"""

HAND_WRITTEN_SQL = {
    "postgres": _SELECT.format(
        grades="""COALESCE((SELECT json_agg(json_build_object('value', g.value, 'weight', g.weight,
                                                     'comment', g.comment) ORDER BY g.created_at, g.id)
                   FROM grade g
                   WHERE g.lesson_id = l.id AND g.student_id = st.id AND g.deleted_at IS NULL), '[]')""",
        homework="""COALESCE((SELECT json_agg(json_build_object('text', h.text) ORDER BY h.created_at, h.id)
                   FROM homework h WHERE h.lesson_id = l.id AND h.deleted_at IS NULL), '[]')""",
    ),
    "sqlite": _SELECT.format(
        grades="""(SELECT json_group_array(json_object('value', g.value, 'weight', g.weight, 'comment', g.comment))
           FROM (SELECT value, weight, comment FROM grade
                 WHERE lesson_id = l.id AND student_id = st.id AND deleted_at IS NULL
                 ORDER BY created_at, id) g)""",
        homework="""(SELECT json_group_array(json_object('text', h.text))
           FROM (SELECT text FROM homework WHERE lesson_id = l.id AND deleted_at IS NULL ORDER BY created_at, id) h)""",
    ),
}


async def diary_range() -> tuple[date, date]:
    """The last ``DAYS`` days up to today, or up to the children's last lesson before today
    when today falls in a vacation (so that the benchmark never measures an empty diary)."""
    today = today_utc()
    children = await models.Guardianship.filter(guardian__login=PARENT, revoked_at__isnull=True).values_list(
        "student_id", flat=True
    )
    classes = await models.Enrollment.filter(student_id__in=list(children)).values_list("school_class_id", flat=True)
    last = await models.Lesson.filter(school_class_id__in=list(classes), date__lte=today).order_by("-date").first()
    end = last.date if last is not None and (today - last.date).days >= DAYS else today
    return end - timedelta(days=DAYS - 1), end


async def hand_written(dialect: str, parent_id: int, start: date, end: date) -> Sequence[Any]:
    """The hand-written statement's rows as the driver gives them, read the way the diary's
    statement is read (``core.fetch_rows``): no dict made of each row on either side."""
    return await core.fetch_rows(HAND_WRITTEN_SQL[dialect], [parent_id, start, end, start, end])


def _instant(value: str | datetime) -> str:
    return (datetime.fromisoformat(value) if isinstance(value, str) else value).isoformat()


def _day(value: str | date) -> str:
    return value if isinstance(value, str) else value.isoformat()


def _json(value: str | list[Any]) -> list[Any]:
    return json.loads(value) if isinstance(value, str) else value


def lessons_from_response(body: dict[str, Any]) -> list[tuple[Any, ...]]:
    """The lessons of a diary response, flattened for comparison with the statement's rows."""
    return [
        (
            child["fullName"],
            day["date"],
            entry["lesson"]["period"],
            _instant(entry["lesson"]["startsAt"]),
            _instant(entry["lesson"]["endsAt"]),
            entry["lesson"]["topic"],
            entry["lesson"]["subject"]["name"],
            entry["lesson"]["teacher"]["fullName"],
            entry["attendance"],
            entry["grades"],
            entry["homework"],
        )
        for child in body["data"]["viewer"]["children"]
        for day in child["diary"]
        for entry in day["entries"]
    ]


def lessons_from_rows(rows: Sequence[Any]) -> list[tuple[Any, ...]]:
    return [
        (
            row["full_name"],
            _day(row["date"]),
            row["period"],
            _instant(row["starts_at"]),
            _instant(row["ends_at"]),
            row["topic"],
            row["subject"],
            row["teacher"],
            row["attendance"],
            _json(row["grades"]),
            _json(row["homework"]),
        )
        for row in rows
    ]
