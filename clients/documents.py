"""The biggest documents a diary client sends: every child's diary with all its details, and a
class's journal. Shared by the tests that run them against the policy (``tests/grades/test_diary.py``,
``tests/grades/test_journal.py``, ``tests/api/test_limits.py``) and the benchmark that times their
validation (``bench/limits.py``)."""

from __future__ import annotations

DIARY_FIELDS = """
  date kind dayOffName
  entries {
    lesson { id date period startsAt endsAt topic room status subject { name } teacher { fullName }
             schoolClass { name } }
    grades { value numericValue weight comment teacher { fullName } createdAt }
    attendance lateMinutes
    homework { text links }
  }
"""
CHILDREN_DIARY = (
    "query C($from: Date!, $to: Date!) { viewer { children { fullName diary(from: $from, to: $to) {"
    + DIARY_FIELDS
    + "} } } }"
)

JOURNAL = """
query J($class: ID!, $subject: ID!, $term: ID) { node(id: $class) { ... on SchoolClass {
  journal(subjectId: $subject, termId: $term) {
    subject { name } term { name startDate endDate }
    lessons { id date period homework { text } }
    rows { student { id fullName } average weightedAverage suggestedGrade { value numericValue } termGrade { value }
      cells { lesson { id } grades { value weight teacher { fullName } } attendance lateMinutes } }
    csv } } } }
"""
