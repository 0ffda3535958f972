"""N+1 is a bug: the statements a list field costs do not grow with the data."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

import models
from tests.conftest import Client, StatementCounter, login_as

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
    end = datetime.now(UTC).date()
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


async def test_school_tree(admin: Client, district: Client, count_statements: StatementCounter) -> None:
    """One school x 1 week (admin) costs what two schools x 4 weeks (district admin) cost."""
    small, one = await _count(admin, count_statements, SCHOOL_TREE, **_range(1))
    large, two = await _count(district, count_statements, SCHOOL_TREE, **_range(4))
    assert len(one["viewer"]["schools"]) == 1
    assert len(two["viewer"]["schools"]) == 2
    lessons = sum(len(c["lessons"]) for s in two["viewer"]["schools"] for c in s["classes"])
    assert lessons > 3 * sum(len(c["lessons"]) for s in one["viewer"]["schools"] for c in s["classes"]) / 2
    assert len(large) == len(small), _explain(small, large)


async def test_progress(parent: Client, other_parent: Client, count_statements: StatementCounter) -> None:
    small, one = await _count(other_parent, count_statements, PROGRESS)
    large, two = await _count(parent, count_statements, PROGRESS)
    assert len(one["viewer"]["children"]) == 1
    assert len(two["viewer"]["children"]) == 2
    assert all(c["progress"] for c in two["viewer"]["children"])
    assert len(large) == len(small), _explain(small, large)


async def test_teaching(http: httpx.AsyncClient, teacher: Client, count_statements: StatementCounter) -> None:
    """The demo teacher (two classes, 4 weeks) costs what a one-class teacher (1 week) costs."""
    single = (
        await models.TeachingAssignment.filter(
            school_class__grade_level=7, school_class__school__name="School No. 1", subject__name="Mathematics"
        )
        .select_related("teacher")
        .first()
    )
    assert single is not None
    one_class = await login_as(http, single.teacher.login)
    small, one = await _count(one_class, count_statements, TEACHING, **_range(1))
    large, two = await _count(teacher, count_statements, TEACHING, **_range(4))
    assert (len(one["viewer"]["teaching"]), len(two["viewer"]["teaching"])) == (1, 2)
    assert len(large) == len(small), _explain(small, large)
