"""More probed mutations, those that run a school (README "Running a school", "How a family
gets in", "Accounts, roster import"): subjects, classes, students and their enrolments,
teaching assignments, accounts, a roster file, school settings, and an access request
approved. Same shape as tests/no_leaks/mutations.py: every one is the school's admins' or
its district's admins' (everyone else is FORBIDDEN, as for a missing id), and another
school's object answers exactly as a missing id of its kind.

A mutation naming several objects has a row per kind it names (a class of another school
named with a student the viewer runs, say): the other ids are picked (in org_rules.py, with
the rules the ``may`` read) so that only the probed one can be wrong. Those other kinds are
tried by the admins only (``by=admins``): anyone else is refused at the coarse gate before
any id is read, which the main kind already shows for every object. Naming a teacher is
probed over the world's teachers only (a non-teacher is refused by the same rule, "not a
teacher of the school", whoever they are). ``schoolCreate`` names no object at all (its
district is the viewer's own): it is probed in ``probe_gated`` instead, as "not allowed for
this role"."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import models
from tests.conftest import Client
from tests.no_leaks.mutations import Write
from tests.no_leaks.oracle import current
from tests.no_leaks.org_rules import (
    PENDING,
    TIMETABLE,
    approves,
    assigns,
    child_for,
    child_id,
    class_fields,
    class_of,
    day,
    enrolled_on,
    first_class,
    first_pupil,
    first_school,
    free_pair,
    gid,
    is_teacher_of,
    may_enrol,
    may_move,
    no_letter_clash,
    other_class,
    other_class_row,
    pending_for,
    roster,
    runs,
    school_of,
    subject_fields,
    taken_pair,
    teacher_fields,
    teachers,
    today,
    year,
)
from tests.no_leaks.reads import MISSING, PROBES
from tests.no_leaks.world import World

RESULT = "{ __typename ... on Error { code message } }"


def admins(world: World, uid: int) -> bool:
    """Who tries the ids a mutation names besides its main one: a school or district admin.
    Anyone else is refused at the coarse gate before any id is read, as every main id shows."""
    return uid in world.school_admin or uid in world.district_admins


# run before accessRequestRefuse and accessRequestWithdraw in the allowed pass, while requests are pending
def _assignment_writes(name: str, taught: bool) -> list[Write]:
    """A teaching assignment names a class, a subject and a teacher: each kind probed in turn,
    the others chosen so that only the probed one can be wrong. Create wants a pair nobody
    teaches yet (``taught=False``), delete one that is taught."""
    pair = taken_pair if taught else free_pair
    return [
        Write(
            name,
            "SchoolClass",
            lambda w: w.classes,
            class_fields(pair),
            lambda w, uid, a, r: r.school_id in a.admin_schools and pair(w, r) is not None,
        ),
        Write(
            name,
            "Subject",
            lambda w: w.subjects,
            subject_fields(taught=taught),
            lambda w, uid, a, r: assigns(w, uid, None, r.id, taught=taught),
            by=admins,
        ),
        Write(
            name,
            "User",
            teachers,
            teacher_fields(taught=taught),
            lambda w, uid, a, r: assigns(w, uid, r.id, None, taught=taught),
            by=admins,
        ),
    ]


APPROVE_WRITES = [
    Write(
        "accessRequestApprove",
        "AccessRequest",
        lambda w: w.access_requests,
        lambda g, w, uid: f"requestId: {g}, studentId: {child_id(g, w)}",
        lambda w, uid, a, r: r.school_id in a.admin_schools and r.status == PENDING and child_for(w, r) is not None,
    ),
    Write(
        "accessRequestApprove",
        "Student",
        lambda w: w.students,
        lambda g, w, uid: (
            f"requestId: {gid('AccessRequest', getattr(pending_for(w, uid), 'id', MISSING))}, studentId: {g}"
        ),
        lambda w, uid, a, r: approves(w, uid, r),
        by=admins,
    ),
]


def _joiner(world: World, group: Any) -> Any:
    """A student who may join the group today: enrolled in one of its classes, not in it now."""
    if group is None:
        return None
    return next(
        (
            s
            for s in world.students
            if current(world, s.id) & world.group_classes.get(group.id, set())
            and not any(
                m.student_id == s.id and m.group_id == group.id and (m.end_date is None or m.end_date >= today())
                for m in world.memberships
            )
        ),
        None,
    )


def _running(group: Any) -> bool:
    return group.ended_on is None or group.ended_on >= today()


def _move_fields(target: str, world: World, uid: int) -> str:
    pupil = _joiner(world, _named_group(world, target)) or world.students[0]
    return f"studentIds: [{gid('Student', pupil.id)}], toGroupId: {target}, date: {day()}"


def _named_group(world: World, target: str) -> Any:
    return next((g for g in world.groups if gid("ClassGroup", g.id) == target), None)


# class groups (issue 21): the school's admins and its district's; another school's group, or
# a class of another school, answers as a missing one
GROUP_WRITES = [
    Write(
        "classGroupCreate",
        "SchoolClass",
        lambda w: w.classes,
        lambda g, w, uid: f'classIds: [{g}], name: "Probe group {w.tag}"',
        lambda w, uid, a, r: r.school_id in a.admin_schools,
    ),
    Write(
        "classGroupUpdate",
        "ClassGroup",
        lambda w: w.groups,
        lambda g, w, uid: f'groupId: {g}, name: "Renamed group {w.tag}"',
        lambda w, uid, a, r: r.school_id in a.admin_schools,
    ),
    Write(
        "classGroupMembersMove",
        "ClassGroup",
        lambda w: w.groups,
        _move_fields,
        lambda w, uid, a, r: r.school_id in a.admin_schools and _running(r) and _joiner(w, r) is not None,
    ),
    Write(
        "classGroupEnd",
        "ClassGroup",
        lambda w: w.groups,
        lambda g, w, uid: f"groupId: {g}, lastDay: {day()}",
        lambda w, uid, a, r: r.school_id in a.admin_schools and (r.ended_on is None or r.ended_on > today()),
    ),
]


ORG_WRITES = [
    Write(
        "schoolUpdate",
        "School",
        lambda w: w.schools,
        lambda g, w, uid: f'schoolId: {g}, name: "Renamed school {w.tag}"',
        # the district's admins only: a school's own admin is FORBIDDEN, as for a missing school
        lambda w, uid, a, r: uid in w.district_admins,
    ),
    Write(
        "subjectCreate",
        "School",
        lambda w: w.schools,
        lambda g, w, uid: f'schoolId: {g}, name: "Probe subject"',
        lambda w, uid, a, r: r.id in a.admin_schools,
    ),
    Write(
        "subjectUpdate",
        "Subject",
        lambda w: w.subjects,
        lambda g, w, uid: f'subjectId: {g}, name: "Renamed subject"',
        lambda w, uid, a, r: r.school_id in a.admin_schools,
    ),
    Write(
        "classCreate",
        "School",
        lambda w: w.schools,
        lambda g, w, uid: f'schoolId: {g}, gradeLevel: 6, letter: "P", academicYear: {year(w, school_of(w, g))}',
        lambda w, uid, a, r: r.id in a.admin_schools,
    ),
    Write(
        "classCreate",
        "User",
        teachers,
        lambda g, w, uid: (
            f'schoolId: {gid("School", first_school(w, uid))}, gradeLevel: 6, letter: "R", '
            f"academicYear: {year(w, first_school(w, uid))}, homeroomTeacherId: {g}"
        ),
        # a teacher of the school leads the new class
        lambda w, uid, a, r: runs(w, uid) and is_teacher_of(w, r, first_school(w, uid)),
        by=admins,
    ),
    Write(
        "classUpdate",
        "SchoolClass",
        lambda w: w.classes,
        lambda g, w, uid: f'classId: {g}, letter: "Q"',
        lambda w, uid, a, r: r.school_id in a.admin_schools and no_letter_clash(w, r, "Q"),
    ),
    Write(
        "classUpdate",
        "User",
        teachers,
        lambda g, w, uid: f"classId: {gid('SchoolClass', first_class(w, uid).id)}, homeroomTeacherId: {g}",
        lambda w, uid, a, r: runs(w, uid) and is_teacher_of(w, r, first_school(w, uid)),
        by=admins,
    ),
    Write(
        "studentCreate",
        "School",
        lambda w: w.schools,
        lambda g, w, uid: f'schoolId: {g}, fullName: "Probe Child"',
        lambda w, uid, a, r: r.id in a.admin_schools,
    ),
    Write(
        "accountCreate",
        "School",
        lambda w: w.schools,
        lambda g, w, uid: f'fullName: "Probe Person", role: TEACHER, schoolId: {g}',
        lambda w, uid, a, r: r.id in a.admin_schools,
    ),
    Write(
        "accountCreate",
        "Student",
        lambda w: w.students,
        lambda g, w, uid: (
            f'fullName: "Probe Parent", role: PARENT, schoolId: {gid("School", first_school(w, uid))}, childIds: [{g}]'
        ),
        # a parent's login for children of the school it is issued in
        lambda w, uid, a, r: runs(w, uid) and r.school_id == first_school(w, uid),
        by=admins,
    ),
    Write(
        "rosterImport",
        "School",
        lambda w: w.schools,
        lambda g, w, uid: f"schoolId: {g}, csv: {roster(w)}",
        lambda w, uid, a, r: r.id in a.admin_schools,
    ),
    *_assignment_writes("teachingAssignmentCreate", taught=False),
    *_assignment_writes("teachingAssignmentDelete", taught=True),
    Write(
        "studentTransfer",
        "Student",
        lambda w: w.students,
        lambda g, w, uid: f"studentId: {g}, toClassId: {other_class(w, g, uid)}, date: {day()}",
        lambda w, uid, a, r: r.school_id in a.admin_schools and may_move(w, r, other_class_row(w, r)),
    ),
    Write(
        "studentTransfer",
        "SchoolClass",
        lambda w: w.classes,
        lambda g, w, uid: f"studentId: {gid('Student', first_pupil(w, uid).id)}, toClassId: {g}, date: {day()}",
        lambda w, uid, a, r: first_pupil(w, uid).school_id in a.admin_schools and may_move(w, first_pupil(w, uid), r),
        by=admins,
    ),
    Write(
        "enrollmentEnd",
        "Student",
        lambda w: w.students,
        lambda g, w, uid: f"studentId: {g}, lastDay: {day()}",
        lambda w, uid, a, r: r.school_id in a.admin_schools and enrolled_on(w, r.id, today()) is not None,
    ),
    Write(
        "enrollmentCreate",
        "Student",
        lambda w: w.students,
        lambda g, w, uid: f"studentId: {g}, classId: {class_of(w, g, uid)}, startDate: {day(1)}",
        lambda w, uid, a, r: r.school_id in a.admin_schools and may_enrol(w, r),
    ),
    Write(
        "enrollmentCreate",
        "SchoolClass",
        lambda w: w.classes,
        lambda g, w, uid: f"studentId: {gid('Student', first_pupil(w, uid).id)}, classId: {g}, startDate: {day(1)}",
        lambda w, uid, a, r: (
            first_pupil(w, uid).school_id in a.admin_schools
            and r.school_id == first_pupil(w, uid).school_id
            and may_enrol(w, first_pupil(w, uid))
        ),
        by=admins,
    ),
    *GROUP_WRITES,  # after the enrolments change: who may join a group reads them
]


def _links_school(world: World, link: Any) -> int:
    return next(s.school_id for s in world.students if s.id == link.student_id)


def _restorable(world: World, link: Any) -> bool:
    """Revoked, and the guardian not linked to the child again since."""
    return link.revoked_at is not None and not any(
        g.revoked_at is None and (g.guardian_id, g.student_id) == (link.guardian_id, link.student_id)
        for g in world.guardianships
    )


# The school's admins (and its district's) revoke a standing guardianship and restore a revoked one.
GUARDIANSHIP_WRITES = [
    Write(
        "guardianshipRevoke",
        "Guardianship",
        lambda w: w.guardianships,
        lambda g, w, uid: f'guardianshipId: {g}, reason: "Court order", category: COURT_ORDER',
        lambda w, uid, a, r: _links_school(w, r) in a.admin_schools and r.revoked_at is None,
    ),
    Write(
        "guardianshipRestore",
        "Guardianship",
        lambda w: w.guardianships,
        lambda g, w, uid: f"guardianshipId: {g}",
        lambda w, uid, a, r: _links_school(w, r) in a.admin_schools and _restorable(w, r),
    ),
]


@dataclass
class Gated:
    """A write naming no object, gated by role alone. ``schoolCreate`` takes a name and makes
    the school in the viewer's own district: there is no id of anyone else's to name, so
    there is no missing twin to compare with. It is probed as "not allowed for this role":
    everyone but a district admin gets the coarse FORBIDDEN, the same answer as every other
    viewer holding the same roles (in every example), and nothing changes."""

    name: str
    input: Callable[[World], str]
    may: Callable[[World, int], bool]


GATED = [
    Gated(
        "schoolCreate",
        lambda w: f'name: "Probe school {w.tag}", timezone: "UTC"',
        lambda w, uid: uid in w.district_admins,
    ),
]
# (mutation, the viewer's roles) -> the refusal every viewer holding those roles got
REFUSALS: dict[tuple[str, str], Any] = {}


def roles_of(world: World, uid: int) -> str:
    """The viewer's roles in the world, as a key: ``teacher``, ``parent+student``, ``none``..."""
    roles = {
        "district admin": uid in world.district_admins,
        "school admin": uid in world.school_admin,
        "teacher": uid in world.teacher_school,
        "parent": any(g.guardian_id == uid for g in world.guardianships),
        "student": any(s.user_id == uid for s in world.students),
    }
    return "+".join(r for r, held in roles.items() if held) or "none"


async def probe_gated(client: Client, world: World, uid: int) -> None:
    """Each gated write the viewer may not do: FORBIDDEN, as for everyone else in their roles."""
    for gate in GATED:
        if gate.may(world, uid):
            continue
        body = await client.post(f"mutation {{ x: {gate.name}(input: {{ {gate.input(world)} }}) {RESULT} }}")
        PROBES[f"mutation {gate.name}"] += 1
        errors = [(e["message"], (e.get("extensions") or {}).get("code")) for e in body.get("errors") or []]
        answer = [(body.get("data") or {}).get("x"), errors]
        assert answer[0] is None, (uid, gate.name, body)
        assert [code for _, code in errors] == ["FORBIDDEN"], (uid, gate.name, body)
        seen = REFUSALS.setdefault((gate.name, roles_of(world, uid)), answer)
        assert answer == seen, (uid, gate.name, answer, seen)


async def probe_allowed_gated(clients: dict[int, Client], world: World) -> None:
    """Each gated write succeeds for the first viewer allowed (if the world has one)."""
    for gate in GATED:
        uid = next((u for u in clients if gate.may(world, u)), None)
        if uid is None:
            continue
        body = await clients[uid].post(f"mutation {{ x: {gate.name}(input: {{ {gate.input(world)} }}) {RESULT} }}")
        PROBES[f"mutation {gate.name} (allowed)"] += 1
        result = (body.get("data") or {}).get("x") or {}
        assert str(result.get("__typename")).endswith("Success"), (uid, gate.name, body)


async def refresh_org(world: World) -> None:
    """The rows the allowed org writes change and their ``may`` reads, as they are now: the
    enrolments (a transfer opens one), teaching assignments, guardianships (an approval adds
    one), classes (a homeroom teacher) and the timetable (which keeps an assignment)."""
    students = [s.id for s in world.students]
    classes = {c.id: c for c in await models.SchoolClass.filter(id__in=[c.id for c in world.classes])}
    world.classes = [classes[c.id] for c in world.classes]
    world.enrollments = await models.Enrollment.filter(student_id__in=students).order_by("id")
    assigned = await models.TeachingAssignment.filter(school_class_id__in=list(classes)).order_by("id")
    world.assignments = [a for a in assigned if a.group_id is None]  # a group's are kept apart
    world.group_assignments = [a for a in assigned if a.group_id is not None]
    world.guardianships = await models.Guardianship.filter(student_id__in=students).order_by("id")
    TIMETABLE[world.tag] = await models.TimetableSlot.filter(school_class_id__in=list(classes))
    groups = {g.id: g for g in await models.ClassGroup.filter(id__in=[g.id for g in world.groups])}
    world.groups = [groups[g.id] for g in world.groups if g.id in groups]
    world.memberships = await models.GroupMembership.filter(group_id__in=list(groups)).order_by("id")


async def org_fingerprint(world: World) -> list[Any]:
    """What the org writes could change, for the world's district (with what they would add)."""
    schools = (
        await models.School.filter(district_id=world.district.id).order_by("id").values_list("id", "name", "timezone")
    )
    ids = [row[0] for row in schools]
    return [
        schools,
        await models.Subject.filter(school_id__in=ids).order_by("id").values_list("id", "name"),
        await models.SchoolClass.filter(school_id__in=ids)
        .order_by("id")
        .values_list("id", "grade_level", "letter", "homeroom_teacher_id"),
        await models.Student.filter(school_id__in=ids).order_by("id").values_list("id", "full_name", "user_id"),
        await models.Enrollment.filter(student__school_id__in=ids)
        .order_by("id")
        .values_list("id", "school_class_id", "start_date", "end_date"),
        await models.TeachingAssignment.filter(school_class__school_id__in=ids).order_by("id").values_list("id"),
        await models.Guardianship.filter(student__school_id__in=ids).order_by("id").values_list("id", "revoked_at"),
        await models.RoleGrant.filter(school_id__in=ids).order_by("id").values_list("id", "user_id", "role"),
        await models.RosterKey.filter(school_id__in=ids).count(),
        await models.ClassGroup.filter(school_id__in=ids).order_by("id").values_list("id", "name", "ended_on"),
        await models.GroupMembership.filter(group__school_id__in=ids)
        .order_by("id")
        .values_list("id", "student_id", "start_date", "end_date"),
    ]
