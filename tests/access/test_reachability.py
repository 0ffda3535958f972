"""Reachable implies visible (issue 16): a nested field applies the policy of the type it
returns. A substitute reads the register of the lesson they give (names and marks) and
nothing else of those children; a meeting shows a parent only the invited classes they see;
a transferred child's new class and an applicant's school are faces (resolvers/policy/faces.py)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from graphql import GraphQLList, GraphQLNonNull, GraphQLObjectType

import models
from resolvers import policy
from resolvers.core import to_global_id, today_utc
from schema import build_schema
from tests.factories import Factory, school_days_before

SUBSTITUTE_READS = """
query Register($id: ID!, $from: Date!, $to: Date!) {
  node(id: $id) {
    ... on Lesson {
      register {
        status
        absenceNotice { reason }
        student {
          id fullName
          diary(from: $from, to: $to) { date }
          absenceNotices(from: $from, to: $to) { reason }
          progress { subject { id } }
          rank { position }
          guardianships { id }
          enrollments { startDate }
          schoolClass { name students { id } lessons(from: $from, to: $to) { id } }
        }
      }
    }
  }
}
"""

STUDENT = "query Student($id: ID!) { node(id: $id) { id } }"

MEETING_CLASSES = "query Meetings { viewer { meetings { classes { id } } } }"

TRANSFERRED = """
query Transferred($id: ID!, $from: Date!, $to: Date!) {
  node(id: $id) {
    ... on Student {
      schoolClass { name students { id } lessons(from: $from, to: $to) { id } school { name } }
      enrollments { schoolClass { id name students { id } } }
    }
  }
}
"""

APPLIED = "query Applied { viewer { accessRequests { school { name classes { id } subjects { id } terms { id } } } } }"


def _window() -> dict[str, str]:
    return {
        "from": (today_utc() - timedelta(days=60)).isoformat(),
        "to": (today_utc() + timedelta(days=30)).isoformat(),
    }


async def test_a_substitute_reads_names_and_marks_of_the_lesson_they_give_and_nothing_else(factory: Factory) -> None:
    kit = await factory.school(classes=("5A", "5B"))
    own = await factory.teacher(kit, [("5B", "Mathematics")], name="own")
    substitute = await factory.teacher(kit, [("5A", "Mathematics")], name="substitute")
    parent = await factory.parent()
    child = await factory.student(kit, "5B", guardians=[parent])
    day = school_days_before(today_utc(), 2)[0]
    lesson = await factory.lesson(kit, "5B", "Mathematics", substitute, day, original_teacher=own)
    earlier = await factory.lesson(kit, "5B", "Mathematics", own, school_days_before(day, 1)[0])
    await factory.grade(child, earlier, "5")
    await factory.absence_notice(child, parent, day, day, reason="Private: a family matter")
    await factory.mark(child, lesson, models.AttendanceStatus.ABSENT_EXCUSED)
    await factory.session(substitute)
    client = factory.client(substitute)

    data = await client.data(SUBSTITUTE_READS, id=to_global_id("Lesson", lesson.id), **_window())

    [row] = data["node"]["register"]
    assert row["student"]["fullName"] == child.full_name
    assert row["status"] == "ABSENT_EXCUSED"
    student = row["student"]
    assert [student[k] for k in ("diary", "absenceNotices", "progress", "guardianships", "enrollments")] == [[]] * 5
    assert student["rank"] is None
    assert student["schoolClass"] == {"name": "5B", "students": [], "lessons": []}
    assert row["absenceNotice"] is None
    assert (await client.data(STUDENT, id=student["id"]))["node"] is None


async def test_the_classs_own_teacher_still_reads_the_register_whole(factory: Factory) -> None:
    kit = await factory.school(classes=("5B",))
    own = await factory.teacher(kit, [("5B", "Mathematics")], name="own")
    child = await factory.student(kit, "5B")
    lesson = await factory.lesson(kit, "5B", "Mathematics", own, school_days_before(today_utc(), 1)[0])
    await factory.session(own)

    data = await factory.client(own).data(SUBSTITUTE_READS, id=to_global_id("Lesson", lesson.id), **_window())

    [row] = data["node"]["register"]
    assert row["student"]["schoolClass"]["students"] == [{"id": to_global_id("Student", child.id)}]
    assert len(row["student"]["enrollments"]) == 1


async def test_a_meeting_shows_a_parent_only_the_invited_classes_they_see(factory: Factory) -> None:
    kit = await factory.school(classes=("5A", "5B"))
    teacher = await factory.teacher(kit, [("5A", "Mathematics"), ("5B", "Mathematics")])
    parent = await factory.parent()
    await factory.student(kit, "5A", guardians=[parent])
    await factory.meeting(kit, teacher, ["5A", "5B"])
    await factory.session(parent)

    data = await factory.client(parent).data(MEETING_CLASSES)

    [meeting] = data["viewer"]["meetings"]
    assert meeting["classes"] == [{"id": to_global_id("SchoolClass", kit.classes["5A"].id)}]


async def test_the_old_classs_teacher_sees_only_the_name_of_a_transferred_childs_new_class(factory: Factory) -> None:
    kit = await factory.school(classes=("5A", "5B"))
    old = await factory.teacher(kit, [("5A", "Mathematics")], name="old")
    new = await factory.teacher(kit, [("5B", "Mathematics")], name="new")
    child = await factory.student(kit, "5A", since=kit.year.start_date)
    await factory.student(kit, "5B", name="classmate")
    moved = today_utc() - timedelta(days=10)
    await _transfer(child, kit.classes["5A"].id, kit.classes["5B"].id, moved)
    await factory.lesson(kit, "5B", "Mathematics", new, moved + timedelta(days=1))
    await factory.session(old)

    data = await factory.client(old).data(TRANSFERRED, id=to_global_id("Student", child.id), **_window())

    node = data["node"]
    assert node["schoolClass"] == {"name": "5B", "students": [], "lessons": [], "school": {"name": kit.school.name}}
    faces = [e["schoolClass"] for e in node["enrollments"] if e["schoolClass"]["name"] == "5B"]
    assert faces == [{"id": to_global_id("SchoolClass", kit.classes["5B"].id), "name": "5B", "students": []}]


async def _transfer(child: models.Student, old: int, new: int, day: date) -> None:
    await models.Enrollment.filter(student=child, school_class_id=old).update(end_date=day)
    await models.Enrollment.create(student=child, school_class_id=new, start_date=day + timedelta(days=1))


async def test_an_applicant_sees_only_the_name_of_the_school_applied_to(factory: Factory) -> None:
    kit = await factory.school(name="Asked")
    parent = await factory.parent()
    await factory.access_request(kit, parent, "Child", today_utc() - timedelta(days=3650))
    await factory.session(parent)

    data = await factory.client(parent).data(APPLIED)

    assert data["viewer"]["accessRequests"] == [
        {"school": {"name": kit.school.name, "classes": [], "subjects": [], "terms": []}}
    ]


@pytest.mark.parametrize("kind", sorted(policy.FACES))
def test_a_face_can_answer_empty_on_every_field_outside_its_own(kind: str) -> None:
    """A face answers null or [] outside its fields: a non-null single value must be a face field
    (schema/faces.py could not empty it), and a type whose places do not ask (WHOLE_FACES)
    has nothing but face fields."""
    graphql_type = build_schema()._schema.type_map[kind]
    assert isinstance(graphql_type, GraphQLObjectType)
    for name, f in graphql_type.fields.items():
        if name == "id" or name in policy.FACES[kind]:
            continue
        assert kind not in policy.WHOLE_FACES, (kind, name, "add it to FACES or make its places ask (shown)")
        single = isinstance(f.type, GraphQLNonNull) and not isinstance(f.type.of_type, GraphQLList)
        assert not single, (kind, name, "a face cannot empty a non-null value")
    assert policy.FACE_PLACES[kind], (kind, "a face with no place")


DIARY_SUBJECTS = """
query Diary($id: ID!, $from: Date!, $to: Date!) {
  node(id: $id) {
    ... on Student { diary(from: $from, to: $to) { entries { lesson { subject { name archivedAt } } } } }
  }
}
"""


async def test_a_diary_lessons_subject_answers_every_field(factory: Factory) -> None:
    """Found by the crawl: the diary's subjects lacked ``archivedAt`` (an internal error)."""
    kit = await factory.school()
    teacher = await factory.teacher(kit, [("5A", "Mathematics")])
    parent = await factory.parent()
    child = await factory.student(kit, "5A", guardians=[parent])
    await factory.lesson(kit, "5A", "Mathematics", teacher, school_days_before(today_utc(), 1)[0])
    await factory.session(parent)

    data = await factory.client(parent).data(DIARY_SUBJECTS, id=to_global_id("Student", child.id), **_window())

    subjects = [e["lesson"]["subject"] for d in data["node"]["diary"] for e in d["entries"]]
    assert subjects == [{"name": "Mathematics", "archivedAt": None}]
