"""Class groups (issue 21, README "Class groups"): the admins create, rename and end groups and
move children between them from a day on, audited; another school's group or class answers
exactly as a missing one; who sees a group and its members; how a client tells a group's
lesson from a class's (``Lesson.audience``); the new lists' statements do not grow."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import models
from resolvers.core import today_utc
from tests.api.test_statements import _count, _explain
from tests.client import Client
from tests.conftest import StatementCounter
from tests.factories import Factory, SchoolKit
from tests.helpers import gid

ERR = "... on Error { code message } ... on ValidationError { problems: fields { path: field code } }"
GROUP = (
    "group { id name kind endedOn homeClass { name } classes { name } members { student { id } startDate endDate } }"
)
CREATE = f"""
mutation C($input: ClassGroupCreateInput!) {{ classGroupCreate(input: $input) {{
  __typename ... on ClassGroupSuccess {{ {GROUP} }} {ERR} }} }}
"""
UPDATE = f"""
mutation U($input: ClassGroupUpdateInput!) {{ classGroupUpdate(input: $input) {{
  __typename ... on ClassGroupSuccess {{ {GROUP} }} {ERR} }} }}
"""
END = f"""
mutation E($input: ClassGroupEndInput!) {{ classGroupEnd(input: $input) {{
  __typename ... on ClassGroupSuccess {{ {GROUP} }} {ERR} }} }}
"""
MOVE = f"""
mutation M($input: ClassGroupMembersMoveInput!) {{ classGroupMembersMove(input: $input) {{
  __typename ... on ClassGroupMembersMoveSuccess {{
    toGroup {{ id members {{ student {{ id }} startDate endDate }} }}
    fromGroup {{ id members {{ student {{ id }} startDate endDate }} }} }}
  {ERR} }} }}
"""
NODE = "query N($id: ID!) { node(id: $id) { __typename ... on ClassGroup { name members { student { id } } } } }"
CLASS_GROUPS = """
query G($id: ID!) { node(id: $id) { ... on SchoolClass {
  groups { name kind homeClass { name } classes { name } members { student { fullName } startDate } } } } }
"""
LESSON = "query L($id: ID!) { node(id: $id) { ... on Lesson { audience group { name } schoolClass { name } } } }"


@dataclass
class Split:
    kit: SchoolKit
    admin: Client
    pupils: list[models.Student]  # in 5A
    other: models.Student  # in 5B


async def _split(factory: Factory) -> Split:
    kit = await factory.school(classes=("5A", "5B", "6A"))
    assert kit.admin is not None
    pupils = [await factory.student(kit, "5A", f"pupil{n}", login=False) for n in range(3)]
    other = await factory.student(kit, "5B", "other", login=False)
    return Split(kit, factory.client(kit.admin), pupils, other)


def _cls(kit: SchoolKit, *names: str) -> list[str]:
    return [gid(kit.classes[n], "SchoolClass") for n in names]


async def _create(client: Client, class_ids: list[str], name: str) -> dict[str, Any]:
    result: dict[str, Any] = (await client.data(CREATE, input={"classIds": class_ids, "name": name}))[
        "classGroupCreate"
    ]
    return result


async def _move(client: Client, students: list[models.Student], day: Any, **groups: str) -> dict[str, Any]:
    data = await client.data(
        MOVE, input={"studentIds": [gid(s, "Student") for s in students], "date": str(day), **groups}
    )
    result: dict[str, Any] = data["classGroupMembersMove"]
    return result


async def test_admin_creates_a_split_and_a_cross_class_group(factory: Factory) -> None:
    s = await _split(factory)
    split = await _create(s.admin, _cls(s.kit, "5A"), "  5A English 1 ")
    assert split["__typename"] == "ClassGroupSuccess", split
    assert split["group"]["name"] == "5A English 1"
    assert (split["group"]["kind"], split["group"]["homeClass"]["name"]) == ("SPLIT", "5A")
    cross = await _create(s.admin, _cls(s.kit, "5B", "5A"), "5 profile maths")
    assert cross["group"]["kind"] == "CROSS_CLASS"
    assert cross["group"]["homeClass"]["name"] == "5B"  # the first class named
    assert [c["name"] for c in cross["group"]["classes"]] == ["5A", "5B"]
    rows = await models.AuditEntry.filter(action="group.create", school_id=s.kit.school.id).order_by("id")
    assert [r.details for r in rows] == [
        {"name": "5A English 1", "kind": "SPLIT", "classes": [s.kit.classes["5A"].id]},
        {"name": "5 profile maths", "kind": "CROSS_CLASS", "classes": [s.kit.classes["5B"].id, s.kit.classes["5A"].id]},
    ]


async def test_a_bad_group_is_refused_whole_and_nothing_is_written(factory: Factory) -> None:
    s = await _split(factory)
    await _create(s.admin, _cls(s.kit, "5A"), "5A English 1")
    before = await models.ClassGroup.filter(school_id=s.kit.school.id).count()
    mixed = await _create(s.admin, _cls(s.kit, "5A", "6A"), "5A English 1")
    assert mixed["__typename"] == "ValidationError"
    assert {p["code"] for p in mixed["problems"]} == {"GROUP_CLASSES_MIXED", "NAME_TAKEN"}
    empty = await _create(s.admin, [], " ")
    assert {p["code"] for p in empty["problems"]} == {"CLASSES_EMPTY", "NAME_EMPTY"}
    assert await models.ClassGroup.filter(school_id=s.kit.school.id).count() == before


async def test_another_schools_class_or_group_is_not_there_and_others_are_forbidden(factory: Factory) -> None:
    s = await _split(factory)
    elsewhere = await factory.school("Elsewhere")
    assert elsewhere.admin is not None
    outsider = factory.client(elsewhere.admin)
    made = await _create(s.admin, _cls(s.kit, "5A"), "5A English 1")
    group_id = made["group"]["id"]
    theirs = await _create(outsider, _cls(s.kit, "5A"), "Mine")
    missing = await _create(outsider, [gid(models.SchoolClass(id=10**8), "SchoolClass")], "Mine")
    assert theirs == missing == {"__typename": "NotFoundError", "code": "CLASS_NOT_FOUND", "message": "No such class."}
    for query, extra in ((UPDATE, {"name": "Renamed"}), (END, {"lastDay": str(today_utc())})):
        for gid_ in (group_id, gid(models.ClassGroup(id=10**8), "ClassGroup")):
            answer = await outsider.data(query, input={"groupId": gid_, **extra})
            assert next(iter(answer.values())) == {
                "__typename": "NotFoundError",
                "code": "GROUP_NOT_FOUND",
                "message": "No such class group.",
            }
    assert (await outsider.data(NODE, id=group_id))["node"] is None
    teacher = await factory.teacher(s.kit, [("5A", "Mathematics")])
    body = await factory.client(teacher).post(CREATE, input={"classIds": _cls(s.kit, "5A"), "name": "X"})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    group = await models.ClassGroup.get(name="5A English 1", school_id=s.kit.school.id)
    assert (group.name, group.ended_on) == ("5A English 1", None)


async def test_children_move_between_groups_and_keep_their_history(factory: Factory) -> None:
    s = await _split(factory)
    one = (await _create(s.admin, _cls(s.kit, "5A"), "5A English 1"))["group"]["id"]
    two = (await _create(s.admin, _cls(s.kit, "5A"), "5A English 2"))["group"]["id"]
    start, moved = s.kit.year.start_date, today_utc() - timedelta(days=3)
    joined = await _move(s.admin, s.pupils, start, toGroupId=one)
    assert joined["fromGroup"] is None
    assert len(joined["toGroup"]["members"]) == 3
    result = await _move(s.admin, s.pupils[:1], moved, toGroupId=two, fromGroupId=one)
    assert result["__typename"] == "ClassGroupMembersMoveSuccess", result
    pupil = gid(s.pupils[0], "Student")
    old = [m for m in result["fromGroup"]["members"] if m["student"]["id"] == pupil]
    assert old == [{"student": {"id": pupil}, "startDate": str(start), "endDate": str(moved - timedelta(days=1))}]
    assert result["toGroup"]["members"] == [{"student": {"id": pupil}, "startDate": str(moved), "endDate": None}]
    entry = await models.AuditEntry.filter(action="group.move", school_id=s.kit.school.id).order_by("-id").first()
    assert entry is not None
    assert entry.details == {
        "students": [s.pupils[0].id],
        "from": int(one and (await models.ClassGroup.get(name="5A English 1", school_id=s.kit.school.id)).id),
        "to": (await models.ClassGroup.get(name="5A English 2", school_id=s.kit.school.id)).id,
        "date": str(moved),
    }


async def test_a_bad_move_is_refused_whole(factory: Factory) -> None:
    s = await _split(factory)
    one = (await _create(s.admin, _cls(s.kit, "5A"), "5A English 1"))["group"]["id"]
    two = (await _create(s.admin, _cls(s.kit, "5A"), "5A English 2"))["group"]["id"]
    day = today_utc()
    await _move(s.admin, s.pupils[:1], s.kit.year.start_date, toGroupId=one)
    before = await models.GroupMembership.filter(group__school_id=s.kit.school.id).count()
    # pupil 0 is already in group one, pupil 1 is in no group to leave, "other" is of 5B
    result = await _move(s.admin, [s.pupils[0], s.pupils[1], s.other], day, toGroupId=one, fromGroupId=two)
    assert result["__typename"] == "ValidationError"
    assert sorted((p["path"], p["code"]) for p in result["problems"]) == [
        ("studentIds[0]", "ALREADY_IN_GROUP"),
        ("studentIds[0]", "NOT_IN_GROUP"),
        ("studentIds[1]", "NOT_IN_GROUP"),
        ("studentIds[2]", "NOT_IN_GROUP"),
        ("studentIds[2]", "NOT_IN_GROUP_CLASSES"),
    ]
    same = await _move(s.admin, s.pupils[:1], day, toGroupId=one, fromGroupId=one)
    assert [p["code"] for p in same["problems"]] == ["GROUPS_SAME"]
    assert await models.GroupMembership.filter(group__school_id=s.kit.school.id).count() == before


async def test_ending_a_group_closes_its_memberships(factory: Factory) -> None:
    s = await _split(factory)
    made = await _create(s.admin, _cls(s.kit, "5A"), "5A computing 1")
    group_id = made["group"]["id"]
    await _move(s.admin, s.pupils, s.kit.year.start_date, toGroupId=group_id)
    last = today_utc()
    ended = (await s.admin.data(END, input={"groupId": group_id, "lastDay": str(last)}))["classGroupEnd"]
    assert ended["group"]["endedOn"] == str(last)
    assert {m["endDate"] for m in ended["group"]["members"]} == {str(last)}
    again = (await s.admin.data(END, input={"groupId": group_id, "lastDay": str(last)}))["classGroupEnd"]
    assert [p["code"] for p in again["problems"]] == ["GROUP_ENDED"]
    late = await _move(s.admin, [s.other], last + timedelta(days=1), toGroupId=group_id)
    assert [p["code"] for p in late["problems"]] == ["GROUP_ENDED"]
    renamed = await s.admin.data(UPDATE, input={"groupId": group_id, "name": "5A computing A"})
    assert renamed["classGroupUpdate"]["group"]["name"] == "5A computing A"
    rows = await models.AuditEntry.filter(school_id=s.kit.school.id, action__startswith="group.")
    assert sorted(r.action for r in rows) == ["group.create", "group.end", "group.move", "group.update"]


async def test_who_sees_a_group_and_its_members(factory: Factory) -> None:
    s = await _split(factory)
    parent = await factory.parent()
    child = await factory.student(s.kit, "5A", "child", guardians=[parent], login=False)
    group_id = (await _create(s.admin, _cls(s.kit, "5A", "5B"), "5 German"))["group"]["id"]
    await _move(s.admin, [child, s.pupils[0], s.other], s.kit.year.start_date, toGroupId=group_id)
    teacher_5a = await factory.teacher(s.kit, [("5A", "Mathematics")], name="t5a")
    teacher_6a = await factory.teacher(s.kit, [("6A", "Mathematics")], name="t6a")

    async def members(user: models.User) -> set[str] | None:
        node = (await factory.client(user).data(NODE, id=group_id))["node"]
        return None if node is None else {m["student"]["id"] for m in node["members"]}

    assert await members(parent) == {gid(child, "Student")}
    assert await members(teacher_5a) == {gid(x, "Student") for x in (child, s.pupils[0])}  # not 5B's child
    assert await members(teacher_6a) is None
    other_parent = await factory.parent("other-parent")
    await factory.student(s.kit, "6A", "stranger", guardians=[other_parent], login=False)
    assert await members(other_parent) is None


async def test_a_client_tells_a_group_lesson_from_a_class_lesson(factory: Factory) -> None:
    s = await _split(factory)
    group_id = (await _create(s.admin, _cls(s.kit, "5A"), "5A English 1"))["group"]["id"]
    group = await models.ClassGroup.get(name="5A English 1", school_id=s.kit.school.id)
    teacher = await factory.teacher(s.kit, [("5A", "Mathematics")])
    day = today_utc()
    whole = await factory.lesson(s.kit, "5A", "Mathematics", teacher, day, period=1)
    part = await factory.lesson(s.kit, "5A", "Mathematics", teacher, day, period=2, group=group)
    admin = s.admin
    assert (await admin.data(LESSON, id=gid(whole, "Lesson")))["node"] == {
        "audience": "CLASS",
        "group": None,
        "schoolClass": {"name": "5A"},
    }
    assert (await admin.data(LESSON, id=gid(part, "Lesson")))["node"] == {
        "audience": "GROUP",
        "group": {"name": "5A English 1"},
        "schoolClass": {"name": "5A"},
    }
    assert group_id


async def test_group_lists_statements_do_not_grow(factory: Factory, count_statements: StatementCounter) -> None:
    small = await _split(factory)
    large = await _split(factory)
    lone = await _create(small.admin, _cls(small.kit, "5A", "5B"), "5 group")
    await _move(small.admin, small.pupils[:1], small.kit.year.start_date, toGroupId=lone["group"]["id"])
    for n in range(3):
        made = await _create(large.admin, _cls(large.kit, "5A", "5B"), f"5 group {n}")
        await _move(large.admin, [*large.pupils, large.other], large.kit.year.start_date, toGroupId=made["group"]["id"])
    small_sql, _ = await _count(small.admin, count_statements, CLASS_GROUPS, id=_cls(small.kit, "5A")[0])
    large_sql, found = await _count(large.admin, count_statements, CLASS_GROUPS, id=_cls(large.kit, "5A")[0])
    groups = found["node"]["groups"]
    assert (len(groups), sum(len(g["members"]) for g in groups)) == (3, 12)
    assert len(large_sql) == len(small_sql), _explain(small_sql, large_sql)
