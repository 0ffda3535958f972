"""The roster import's ``group`` column (issue 21, ``resolvers/roster_groups.py``): a student row
names its groups, ``;`` between several; missing groups are created (a split, or a cross-class
group when parallel classes name it), memberships start on the import's date; all or nothing
with every bad row by line; a re-import changes nothing; another school's group of the same
name is never touched."""

from __future__ import annotations

import secrets
from datetime import timedelta

import models
from resolvers.core import today_utc
from tests.admin.test_roster_import import _roster, counts, run
from tests.conftest import StatementCounter
from tests.factories import Factory, SchoolKit

HEADER = "type,full_name,external_id,birth_date,class,group"


async def _group(kit: SchoolKit, name: str, *classes: str, ended_on: object = None) -> models.ClassGroup:
    group = await models.ClassGroup.create(
        school=kit.school,
        academic_year=kit.year,
        home_class=kit.classes[classes[0]],
        name=name,
        kind="SPLIT" if len(classes) == 1 else "CROSS_CLASS",
        ended_on=ended_on,
    )
    for c in classes:
        await models.ClassGroupClass.create(group=group, school_class=kit.classes[c])
    return group


async def _members(kit: SchoolKit) -> dict[str, set[tuple[str, object, object]]]:
    """Group name -> (external id, start, end) of its members."""
    found: dict[str, set[tuple[str, object, object]]] = {}
    rows = await models.GroupMembership.filter(group__school_id=kit.school.id).values_list(
        "group__name", "student_id", "start_date", "end_date"
    )
    keys = dict(await models.RosterKey.filter(school_id=kit.school.id).values_list("student_id", "key"))
    for name, student, start, end in rows:
        found.setdefault(str(name), set()).add((str(keys.get(student, student)), start, end))
    return found


async def test_groups_are_created_and_joined_once(factory: Factory) -> None:
    world = await _roster(factory)
    kit, tag = world.kit, secrets.token_hex(3)
    computing = await _group(kit, "5B computing 1", "5B")
    text = "\n".join(
        [
            HEADER,
            f"student,Ann {tag},A-{tag},2015-01-01,5A,5A English 1;5 profile maths",
            f"student,Bob {tag},B-{tag},2015-01-01,5B,5 Profile Maths ; 5B computing 1",
            f"student,Cat {tag},C-{tag},2015-01-01,5A,5A English 1",
            f"student,Dan {tag},D-{tag},2015-01-01,5A,",
        ]
    )
    dry = await run(world.admin, world.school, text, dry_run=True)
    assert counts(dry)["STUDENT"] == (4, 0, 0), dry
    assert not await models.ClassGroup.filter(school_id=kit.school.id, name="5A English 1").exists()
    done = await run(world.admin, world.school, text)
    assert done["__typename"] == "RosterImportSuccess", done
    start = max(kit.year.start_date, today_utc())
    groups = {g.name: g for g in await models.ClassGroup.filter(school_id=kit.school.id)}
    links = await models.ClassGroupClass.filter(group_id__in=[g.id for g in groups.values()]).values_list(
        "group_id", "school_class_id"
    )
    assert {n: (g.kind, sorted(c for k, c in links if k == g.id)) for n, g in groups.items()} == {
        "5A English 1": ("SPLIT", [kit.classes["5A"].id]),
        "5 profile maths": ("CROSS_CLASS", sorted([kit.classes["5A"].id, kit.classes["5B"].id])),
        "5B computing 1": ("SPLIT", [kit.classes["5B"].id]),
    }
    assert groups["5 profile maths"].home_class_id == kit.classes["5A"].id  # the first row's class
    assert await _members(kit) == {
        "5A English 1": {(f"A-{tag}", start, None), (f"C-{tag}", start, None)},
        "5 profile maths": {(f"A-{tag}", start, None), (f"B-{tag}", start, None)},
        "5B computing 1": {(f"B-{tag}", start, None)},
    }
    # audited: the groups made and joined, ids and group names only
    entries = await models.AuditEntry.filter(school_id=kit.school.id, action__startswith="group.").order_by("id")
    made = {e.details["name"]: e.details for e in entries if e.action == "group.create"}
    assert made["5 profile maths"]["via"] == "roster.import"
    assert sorted(made) == ["5 profile maths", "5A English 1"]
    joined = {e.object_id: e.details for e in entries if e.action == "group.move"}
    assert joined[computing.id]["to"] == computing.id
    assert joined[computing.id]["date"] == start.isoformat()
    assert len(joined[computing.id]["students"]) == 1
    assert not any(tag in str(e.details) for e in entries)  # no child's name

    # the same file again changes nothing
    before = (await models.ClassGroup.all().count(), await models.GroupMembership.all().count())
    again = await run(world.admin, world.school, text)
    assert counts(again)["STUDENT"] == (0, 0, 4)
    assert (await models.ClassGroup.all().count(), await models.GroupMembership.all().count()) == before
    # a further group is a change of that child only; the groups a row leaves out keep the child
    more = text.replace("5A,5A English 1\n", "5A,5A English 2\n").replace(
        f"D-{tag},2015-01-01,5A,", f"D-{tag},2015-01-01,5A,5a english 1"
    )
    assert counts(await run(world.admin, world.school, more))["STUDENT"] == (0, 2, 2)
    members = await _members(kit)
    assert members["5A English 1"] == {(f"{k}-{tag}", start, None) for k in "ACD"}
    assert members["5A English 2"] == {(f"C-{tag}", start, None)}


async def test_bad_group_cells_refuse_the_file(factory: Factory) -> None:
    world = await _roster(factory)
    kit, tag = world.kit, secrets.token_hex(3)
    await _group(kit, "5B computing 1", "5B")
    await _group(kit, "Old choir", "5A", ended_on=today_utc() - timedelta(days=1))
    text = "\n".join(
        [
            HEADER,
            f"student,Ann {tag},A-{tag},2015-01-01,5A,New group",  # 2: fine alone
            f"student,Bob {tag},B-{tag},2015-01-01,5A,5B computing 1",  # 3: a group of another class
            f"student,Cat {tag},C-{tag},2015-01-01,5A,Old choir",  # 4: ended
            f"student,Dan {tag},D-{tag},2015-01-01,5A,Mixed",  # 5: 5A and 6A name one new group
            f"student,Eve {tag},E-{tag},2015-01-01,6A,Mixed",  # 6
            f"student,Fay {tag},F-{tag},2015-01-01,5A,{'x' * 101}",  # 7: too long
            f"student,Gus {tag},G-{tag},2015-01-01,9Z,New group",  # 8: no such class
        ]
    )
    before = (await models.ClassGroup.all().count(), await models.GroupMembership.all().count())
    refused = await run(world.admin, world.school, text)
    assert refused["__typename"] == "FileRefusedError", refused
    assert [(p["line"], p["column"], p["code"]) for p in refused["problems"]] == [
        (3, "group", "NOT_IN_GROUP_CLASSES"),
        (4, "group", "GROUP_ENDED"),
        (5, "group", "GROUP_CLASSES_MIXED"),
        (6, "group", "GROUP_CLASSES_MIXED"),
        (7, "group", "NAME_TOO_LONG"),
        (8, "class", "CLASS_UNKNOWN"),
    ]
    assert "5B computing 1" in refused["problems"][0]["message"]
    assert (await models.ClassGroup.all().count(), await models.GroupMembership.all().count()) == before
    assert not await models.ClassGroup.filter(name="New group", school_id=kit.school.id).exists()


async def test_another_schools_group_of_the_same_name_is_not_touched(factory: Factory) -> None:
    world = await _roster(factory)
    other = await factory.school("Other", classes=("5A",))
    theirs = await _group(other, "5A English 1", "5A")
    pupil = await factory.student(other, "5A", "theirs", login=False)
    await models.GroupMembership.create(student=pupil, group=theirs, start_date=other.year.start_date)
    tag = secrets.token_hex(3)
    done = await run(world.admin, world.school, f"{HEADER}\nstudent,Ann {tag},A-{tag},2015-01-01,5A,5A English 1")
    assert done["__typename"] == "RosterImportSuccess", done
    ours = await models.ClassGroup.get(school_id=world.kit.school.id, name="5A English 1")
    assert ours.id != theirs.id
    assert ours.academic_year_id == world.kit.year.id
    assert [r[0] for r in await models.GroupMembership.filter(group_id=theirs.id).values_list("student_id")] == [
        pupil.id
    ]
    assert await models.GroupMembership.filter(group_id=ours.id).count() == 1


def _bulk(tag: str, students: int) -> str:
    lines = [HEADER]
    for i in range(students):
        klass = "5B" if i % 2 else "5A"
        lines.append(f"student,Kid {i} {tag},G{i}-{tag},2015-01-{1 + i % 28:02d},{klass},{klass} half {i % 3};5 choir")
    return "\n".join(lines)


async def test_group_statements_do_not_grow_with_rows(factory: Factory, count_statements: StatementCounter) -> None:
    """Checking and writing 1 or 150 students with groups (new and existing) costs the same."""
    world = await _roster(factory)
    await _group(world.kit, "5 choir", "5A", "5B")
    measured = []
    for size in (2, 150):
        tag = secrets.token_hex(3)
        text = _bulk(tag, size)
        count_statements.statements.clear()
        assert counts(await run(world.admin, world.school, text, dry_run=True))["STUDENT"] == (size, 0, 0)
        dry = count_statements.count
        count_statements.statements.clear()
        assert counts(await run(world.admin, world.school, text))["STUDENT"] == (size, 0, 0)
        measured.append((dry, count_statements.count))
        # the halves of the first file exist for the second: both runs create and join
        await models.ClassGroup.filter(school_id=world.kit.school.id, name__contains="half").delete()
    assert measured[0] == measured[1], (measured, count_statements.statements)
    assert await models.GroupMembership.filter(group__name="5 choir").count() == 152
