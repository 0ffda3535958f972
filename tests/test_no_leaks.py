"""The property-based no-leak test (issue 7): random small districts built with the ORM, and
for every generated viewer x every generated object, what the API returns over real GraphQL
is compared with an ORACLE written here in plain Python over the generated world (not with
the scopes of resolvers/policy.py): ``node`` for students, classes, lessons, grades,
homework, remarks, chats and messages; ``student`` with its diary's grades and its remarks;
``chat``; ``viewer.children`` and ``viewer.chats``; and ``diaryEvents`` while a grade is
given. Every comparison is a probe; the running total is written to
bench/results/no_leaks.json for the issue's closing note.

The world: 2-3 schools of one district, two classes and two subjects each, teachers with
random teaching assignments and homeroom classes, students with or without a login (some
transferred mid-year to another class, possibly of another school), parents with children
in several schools (some guardianships revoked), a school admin, sometimes a district admin,
lessons, grades, homework (some removed), remarks, and chats with members (some removed)."""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import httpx
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from tortoise.expressions import Q

import models
from resolvers.auth import issue_access_token
from resolvers.events import publish_outbox_events
from resolvers.ids import to_global_id
from resolvers.settings import Settings
from tests.conftest import Client
from tests.helpers import Socket, open_socket

PROBES: Counter[str] = Counter()
RESULTS = Path(__file__).resolve().parent.parent / "bench" / "results" / "no_leaks.json"
BATCH = 25  # aliases per request, under the documents' alias limit (schema/limits.py)
_serial = itertools.count()

# --- the generated world, as plain data -------------------------------------------------


@dataclass
class Spec:
    """What hypothesis draws: indices only, turned into rows by ``build``."""

    schools: int
    teacher_schools: list[int]
    assignments: list[tuple[int, int, int]]  # (teacher, class, subject-of-that-class's-school)
    homerooms: dict[int, int]  # class -> teacher
    student_classes: list[tuple[int, int | None, bool]]  # (first class, transferred to, has a login)
    guardianships: list[tuple[int, int, bool]]  # (parent, student, revoked)
    parents: int
    district_admin: bool
    lesson_days: list[int]  # per (class, subject) lesson: days ago
    lesson_teachers: list[int]
    grades: list[tuple[int, int]]  # (student, lesson)
    homework: list[tuple[int, bool]]  # (lesson, removed)
    remarks: list[tuple[int, int, int]]  # (student, which enrolment, author)
    chats: list[tuple[int, list[tuple[int, bool]]]]  # (school, [(user, removed)])
    live_grade: tuple[int, int]  # (student, lesson): the grade given while parents are subscribed


CLASSES_PER_SCHOOL = 2
SUBJECTS_PER_SCHOOL = 2
TRANSFER_DAYS_AGO = 20


@st.composite
def specs(draw: st.DrawFn) -> Spec:
    schools = draw(st.integers(2, 3))
    classes = schools * CLASSES_PER_SCHOOL
    teachers = draw(st.integers(schools, 4))
    teacher_schools = [i % schools for i in range(teachers)]
    options = [
        (t, c, s)
        for t in range(teachers)
        for c in range(classes)
        for s in range(SUBJECTS_PER_SCHOOL)
        if c // CLASSES_PER_SCHOOL == teacher_schools[t]
    ]
    assignments = draw(st.lists(st.sampled_from(options), max_size=6, unique=True))
    homerooms: dict[int, int] = {}
    for c in range(classes):
        local = [t for t in range(teachers) if teacher_schools[t] == c // CLASSES_PER_SCHOOL]
        if len(local) > 0 and draw(st.booleans()):
            homerooms[c] = draw(st.sampled_from(local))
    students = draw(st.integers(3, 6))
    student_classes = [
        (
            draw(st.integers(0, classes - 1)),
            draw(st.none() | st.integers(0, classes - 1)),
            draw(st.booleans()),
        )
        for _ in range(students)
    ]
    student_classes = [(a, b if b != a else None, login) for a, b, login in student_classes]
    parents = draw(st.integers(2, 3))
    guardianships = draw(
        st.lists(
            st.tuples(st.integers(0, parents - 1), st.integers(0, students - 1), st.booleans()),
            min_size=1,
            max_size=6,
            unique_by=lambda g: (g[0], g[1]),
        )
    )
    lessons = classes * SUBJECTS_PER_SCHOOL
    lesson_days = [draw(st.integers(1, 50)) for _ in range(lessons)]
    lesson_teachers = []
    for lesson in range(lessons):
        school = lesson // SUBJECTS_PER_SCHOOL // CLASSES_PER_SCHOOL
        lesson_teachers.append(draw(st.sampled_from([t for t in range(teachers) if teacher_schools[t] == school])))
    grades = draw(st.lists(st.tuples(st.integers(0, students - 1), st.integers(0, lessons - 1)), max_size=6))
    homework = draw(st.lists(st.tuples(st.integers(0, lessons - 1), st.booleans()), max_size=3))
    remarks = draw(
        st.lists(st.tuples(st.integers(0, students - 1), st.integers(0, 1), st.integers(0, teachers - 1)), max_size=3)
    )
    users = teachers + parents + students + 2  # + the school admin and the district admin
    chats = draw(
        st.lists(
            st.tuples(
                st.integers(0, schools - 1),
                st.lists(st.tuples(st.integers(0, users - 1), st.booleans()), min_size=1, max_size=4),
            ),
            max_size=2,
        )
    )
    return Spec(
        schools=schools,
        teacher_schools=teacher_schools,
        assignments=assignments,
        homerooms=homerooms,
        student_classes=student_classes,
        guardianships=guardianships,
        parents=parents,
        district_admin=draw(st.booleans()),
        lesson_days=lesson_days,
        lesson_teachers=lesson_teachers,
        grades=grades,
        homework=homework,
        remarks=remarks,
        chats=chats,
        live_grade=(draw(st.integers(0, students - 1)), draw(st.integers(0, lessons - 1))),
    )


@dataclass
class World:
    """The rows built from a ``Spec``, with what the oracle needs about each."""

    district: models.District
    schools: list[models.School] = field(default_factory=list)
    classes: list[models.SchoolClass] = field(default_factory=list)
    users: list[models.User] = field(default_factory=list)
    parents: list[models.User] = field(default_factory=list)
    school_admin: dict[int, int] = field(default_factory=dict)  # user -> school id
    district_admins: set[int] = field(default_factory=set)
    students: list[models.Student] = field(default_factory=list)
    enrollments: list[models.Enrollment] = field(default_factory=list)
    guardianships: list[models.Guardianship] = field(default_factory=list)
    assignments: list[models.TeachingAssignment] = field(default_factory=list)
    lessons: list[models.Lesson] = field(default_factory=list)
    grades: list[models.Grade] = field(default_factory=list)
    homework: list[models.Homework] = field(default_factory=list)
    remarks: list[models.Remark] = field(default_factory=list)
    chats: list[models.Chat] = field(default_factory=list)
    members: list[models.ChatMember] = field(default_factory=list)
    messages: list[models.Message] = field(default_factory=list)


async def _user(tag: str, name: str) -> models.User:
    return await models.User.create(login=f"{tag}-{name}", password_hash="!", full_name=f"{name} {tag}")


async def _grade(student: models.Student, lesson: models.Lesson) -> models.Grade:
    return await models.Grade.create(
        student=student,
        subject_id=lesson.subject_id,
        school_class_id=lesson.school_class_id,
        lesson=lesson,
        teacher_id=lesson.teacher_id,
        date=lesson.date,
        value="4",
        numeric_value=4.0,
    )


async def build(spec: Spec) -> World:
    tag = f"nl{next(_serial)}{secrets.token_hex(3)}"
    today = datetime.now(UTC).date()
    now = datetime.now(UTC)
    world = World(district=await models.District.create(name=f"District {tag}"))
    subjects: list[list[models.Subject]] = []
    for i in range(spec.schools):
        school = await models.School.create(district=world.district, name=f"School {i} {tag}")
        year = await models.AcademicYear.create(
            school=school, name=f"Y {tag}", start_date=today - timedelta(days=200), end_date=today + timedelta(days=150)
        )
        world.schools.append(school)
        subjects.append([await models.Subject.create(school=school, name=f"S{j}") for j in range(SUBJECTS_PER_SCHOOL)])
        for letter in "AB"[:CLASSES_PER_SCHOOL]:
            world.classes.append(
                await models.SchoolClass.create(school=school, academic_year=year, grade_level=5, letter=letter)
            )
    teachers = []
    for i, s in enumerate(spec.teacher_schools):
        teacher = await _user(tag, f"teacher{i}")
        await models.RoleGrant.create(user=teacher, role=models.Role.TEACHER, school=world.schools[s])
        teachers.append(teacher)
    for t, c, s in spec.assignments:
        klass = world.classes[c]
        world.assignments.append(
            await models.TeachingAssignment.create(
                teacher=teachers[t], school_class=klass, subject=subjects[c // CLASSES_PER_SCHOOL][s]
            )
        )
    for c, t in spec.homerooms.items():
        world.classes[c].homeroom_teacher_id = teachers[t].id
        await world.classes[c].save(update_fields=["homeroom_teacher_id"])
    parents = []
    for i in range(spec.parents):
        parent = await _user(tag, f"parent{i}")
        parents.append(parent)
    student_users: list[models.User] = []
    for i, (first, moved_to, login) in enumerate(spec.student_classes):
        final = world.classes[moved_to if moved_to is not None else first]
        user = await _user(tag, f"student{i}") if login else None
        if user is not None:
            student_users.append(user)
        student = await models.Student.create(school_id=final.school_id, full_name=f"Student {i} {tag}", user=user)
        world.students.append(student)
        start = today - timedelta(days=100)
        if moved_to is None:
            world.enrollments.append(
                await models.Enrollment.create(student=student, school_class=world.classes[first], start_date=start)
            )
        else:
            switch = today - timedelta(days=TRANSFER_DAYS_AGO)
            world.enrollments.append(
                await models.Enrollment.create(
                    student=student, school_class=world.classes[first], start_date=start, end_date=switch
                )
            )
            world.enrollments.append(
                await models.Enrollment.create(
                    student=student, school_class=final, start_date=switch + timedelta(days=1)
                )
            )
    for p, s, revoked in spec.guardianships:
        world.guardianships.append(
            await models.Guardianship.create(
                guardian=parents[p], student=world.students[s], revoked_at=now if revoked else None
            )
        )
    admin = await _user(tag, "admin")
    await models.RoleGrant.create(user=admin, role=models.Role.SCHOOL_ADMIN, school=world.schools[0])
    world.school_admin[admin.id] = world.schools[0].id
    district_admin = await _user(tag, "district")
    if spec.district_admin:
        await models.RoleGrant.create(user=district_admin, role=models.Role.DISTRICT_ADMIN, district=world.district)
        world.district_admins.add(district_admin.id)
    world.users = [*teachers, *parents, *student_users, admin, district_admin]
    world.parents = parents
    for n, (days, t) in enumerate(zip(spec.lesson_days, spec.lesson_teachers, strict=True)):
        c, s = divmod(n, SUBJECTS_PER_SCHOOL)
        day = today - timedelta(days=days)
        starts = datetime.combine(day, time(9, 0), tzinfo=UTC)
        world.lessons.append(
            await models.Lesson.create(
                school_class=world.classes[c],
                subject=subjects[c // CLASSES_PER_SCHOOL][s],
                teacher=teachers[t],
                date=day,
                period=1 + s,
                starts_at=starts + timedelta(hours=s),
                ends_at=starts + timedelta(hours=s, minutes=45),
            )
        )
    for s, n in spec.grades:
        world.grades.append(await _grade(world.students[s], world.lessons[n]))
    for n, removed in spec.homework:
        lesson = world.lessons[n]
        world.homework.append(
            await models.Homework.create(
                lesson=lesson,
                text=f"Homework {tag}",
                assigned_by_id=lesson.teacher_id,
                deleted_at=now if removed else None,
            )
        )
    for s, which, t in spec.remarks:
        student = world.students[s]
        own = [e for e in world.enrollments if e.student_id == student.id]
        world.remarks.append(
            await models.Remark.create(
                student=student,
                school_class_id=own[min(which, len(own) - 1)].school_class_id,
                author=teachers[t],
                kind=models.RemarkKind.OTHER,
                text=f"Remark {tag}",
                date=today - timedelta(days=1),
            )
        )
    for i, (chat_school, members) in enumerate(spec.chats):
        chat = await models.Chat.create(
            school=world.schools[chat_school], title=f"Chat {i} {tag}", created_by=admin, last_activity_at=now
        )
        world.chats.append(chat)
        seen: set[int] = set()
        for u, removed in members:
            user = world.users[u % len(world.users)]
            if user.id in seen:
                continue
            seen.add(user.id)
            world.members.append(
                await models.ChatMember.create(chat=chat, user=user, joined_at=now, removed_at=now if removed else None)
            )
        world.messages.append(await models.Message.create(chat=chat, author=admin, text=f"Hello {tag}"))
    return world


async def tear_down(world: World) -> None:
    """Remove the example's rows so examples (and other tests) never see each other's."""
    chats = [c.id for c in world.chats]
    users = [u.id for u in world.users]
    students = [s.id for s in world.students]
    schools = [s.id for s in world.schools]
    await models.Notification.filter(Q(user_id__in=users) | Q(student_id__in=students)).delete()
    await models.OutboxEvent.filter(student_id__in=students).delete()
    await models.Message.filter(chat_id__in=chats).delete()
    await models.ChatMember.filter(chat_id__in=chats).delete()
    await models.Chat.filter(id__in=chats).delete()
    await models.Remark.filter(student_id__in=students).delete()
    await models.Grade.filter(student_id__in=students).delete()
    await models.Homework.filter(lesson__school_class__school_id__in=schools).delete()
    await models.Lesson.filter(school_class__school_id__in=schools).delete()
    await models.Guardianship.filter(student_id__in=students).delete()
    await models.Enrollment.filter(student_id__in=students).delete()
    await models.Student.filter(id__in=students).delete()
    await models.TeachingAssignment.filter(school_class__school_id__in=schools).delete()
    await models.SchoolClass.filter(school_id__in=schools).delete()
    await models.Subject.filter(school_id__in=schools).delete()
    await models.AcademicYear.filter(school_id__in=schools).delete()
    await models.RoleGrant.filter(user_id__in=users).delete()
    await models.User.filter(id__in=users).delete()
    await models.School.filter(id__in=schools).delete()
    await models.District.filter(id=world.district.id).delete()


# --- the oracle: plain Python over the world, independent of resolvers/policy.py ---------


@dataclass
class Allowed:
    students: set[int]
    classes: set[int]
    lessons: set[int]
    grades: set[int]
    homework: set[int]
    remarks: set[int]
    chats: set[int]
    messages: set[int]
    children: set[int]


def oracle(world: World, uid: int) -> Allowed:
    """What ``uid`` may see, from the rules of the README and the house rules: a parent sees
    their children while the guardianship stands, a student themself, a teacher the students
    ever enrolled in a class they teach or lead, an admin their school's (a district admin
    every school of the district); remarks only for the family, the teachers of the class they
    were written in and the admins; chats only while a member."""
    school_of_class = {c.id: c.school_id for c in world.classes}
    admin_schools = {s.id for s in world.schools if world.school_admin.get(uid) == s.id or uid in world.district_admins}
    taught = {a.school_class_id for a in world.assignments if a.teacher_id == uid}
    taught |= {c.id for c in world.classes if c.homeroom_teacher_id == uid}
    children = {g.student_id for g in world.guardianships if g.guardian_id == uid and g.revoked_at is None}
    family = children | {s.id for s in world.students if s.user_id == uid}
    classes_of: dict[int, set[int]] = {}
    for e in world.enrollments:
        classes_of.setdefault(e.student_id, set()).add(e.school_class_id)
    students = {
        s.id for s in world.students if s.id in family or classes_of[s.id] & taught or s.school_id in admin_schools
    }
    family_classes = set().union(*(classes_of[s] for s in family)) if family else set()
    classes = {c for c in school_of_class if c in taught or c in family_classes or school_of_class[c] in admin_schools}
    lessons = {
        lesson.id
        for lesson in world.lessons
        if lesson.school_class_id in classes or uid in (lesson.teacher_id, lesson.original_teacher_id)
    }
    chats = {m.chat_id for m in world.members if m.user_id == uid and m.removed_at is None}
    return Allowed(
        students=students,
        classes=classes,
        lessons=lessons,
        grades={g.id for g in world.grades if g.student_id in students},
        homework={h.id for h in world.homework if h.lesson_id in lessons and h.deleted_at is None},
        remarks={
            r.id
            for r in world.remarks
            if r.student_id in family
            or r.school_class_id in taught
            or school_of_class[r.school_class_id] in admin_schools
        },
        chats=chats,
        messages={m.id for m in world.messages if m.chat_id in chats},
        children=children,
    )


# --- probes over GraphQL ---------------------------------------------------------------


def _objects(world: World) -> list[tuple[str, int]]:
    return [
        *(("Student", s.id) for s in world.students),
        *(("SchoolClass", c.id) for c in world.classes),
        *(("Lesson", x.id) for x in world.lessons),
        *(("Grade", g.id) for g in world.grades),
        *(("Homework", h.id) for h in world.homework),
        *(("Remark", r.id) for r in world.remarks),
        *(("Chat", c.id) for c in world.chats),
        *(("ChatMessage", m.id) for m in world.messages),
    ]


def _allowed_ids(allowed: Allowed, kind: str) -> set[int]:
    return {
        "Student": allowed.students,
        "SchoolClass": allowed.classes,
        "Lesson": allowed.lessons,
        "Grade": allowed.grades,
        "Homework": allowed.homework,
        "Remark": allowed.remarks,
        "Chat": allowed.chats,
        "ChatMessage": allowed.messages,
    }[kind]


async def _batched(client: Client, fields: list[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for start in range(0, len(fields), BATCH):
        found.update(await client.data("query {\n" + "\n".join(fields[start : start + BATCH]) + "\n}"))
    return found


async def probe(client: Client, world: World, uid: int) -> None:
    allowed = oracle(world, uid)
    where = f"viewer {uid}"
    objects = _objects(world)
    today = datetime.now(UTC).date()
    first = (today - timedelta(days=60)).isoformat()
    fields = [f"n{i}: node(id: {json.dumps(to_global_id(kind, pk))}) {{ id }}" for i, (kind, pk) in enumerate(objects)]
    found = await _batched(client, fields)
    for i, (kind, pk) in enumerate(objects):
        PROBES["node"] += 1
        assert (found[f"n{i}"] is not None) == (pk in _allowed_ids(allowed, kind)), (where, kind, pk, allowed)

    dates = f'from: "{first}", to: "{today.isoformat()}"'
    diary = f"diary({dates}) {{ entries {{ grades {{ id }} removedGrades {{ id }} }} }} remarks({dates}) {{ id }}"
    fields = [
        f"s{i}: student(id: {json.dumps(to_global_id('Student', s.id))}) {{ id {diary} }}"
        for i, s in enumerate(world.students)
    ]
    fields += [f"c{i}: chat(id: {json.dumps(to_global_id('Chat', c.id))}) {{ id }}" for i, c in enumerate(world.chats)]
    fields.append("viewer { children { id } chats(first: 100) { edges { node { id } } } }")
    found = await _batched(client, fields)
    grade_ids = {to_global_id("Grade", g): g for g in allowed.grades}
    for i, s in enumerate(world.students):
        PROBES["student"] += 1
        result = found[f"s{i}"]
        assert (result is not None) == (s.id in allowed.students), (where, "student", s.id)
        if result is None:
            continue
        shown = [g["id"] for day in result["diary"] for e in day["entries"] for g in e["grades"] + e["removedGrades"]]
        for gid in shown:
            PROBES["diary grade"] += 1
            assert gid in grade_ids, (where, "diary grade", gid)
            grade = next(g for g in world.grades if g.id == grade_ids[gid])
            assert grade.student_id == s.id, (where, "a grade of another student in the diary", gid)
        # Remarks are narrower than the student: exactly the allowed ones of this student.
        PROBES["student.remarks"] += sum(1 for r in world.remarks if r.student_id == s.id)
        expected = {
            to_global_id("Remark", r.id) for r in world.remarks if r.student_id == s.id and r.id in allowed.remarks
        }
        assert {r["id"] for r in result["remarks"]} == expected, (where, "student.remarks", s.id)
    for i, c in enumerate(world.chats):
        PROBES["chat"] += 1
        assert (found[f"c{i}"] is not None) == (c.id in allowed.chats), (where, "chat", c.id)
    children = {child["id"] for child in found["viewer"]["children"]}
    ours = {to_global_id("Student", s.id) for s in world.students}
    PROBES["viewer.children"] += len(world.students)
    assert children & ours == {to_global_id("Student", s) for s in allowed.children}, (where, "children")
    listed = {edge["node"]["id"] for edge in found["viewer"]["chats"]["edges"]}
    PROBES["viewer.chats"] += len(world.chats)
    assert listed & {to_global_id("Chat", c.id) for c in world.chats} == {
        to_global_id("Chat", c) for c in allowed.chats
    }, (where, "viewer.chats")


EVENTS = "subscription E($studentId: ID) { diaryEvents(studentId: $studentId) { kind student { id } grade { id } } }"


def _refused(message: dict[str, Any]) -> bool:
    """An operation error (refused before or by the resolver): no data delivered."""
    if message["type"] == "error":
        return True
    return message["type"] == "next" and bool(message["payload"].get("errors")) and not message["payload"].get("data")


async def probe_live(app: Any, server_url: str, settings: Settings, world: World, spec: Spec) -> None:
    """One grade given while every parent follows diaryEvents: the parents the oracle allows
    receive it; the others receive nothing (or, without children, are refused); a parent
    naming the student they may not see is refused."""
    s, n = spec.live_grade
    student = world.students[s]
    sockets: list[tuple[models.User, Socket, bool]] = []
    for parent in world.parents:
        socket = await open_socket(server_url, issue_access_token(settings, parent.id))
        allowed = student.id in oracle(world, parent.id).children
        sockets.append((parent, socket, allowed))
        await socket.start(EVENTS, op_id="all")
        if not allowed:
            await socket.start(EVENTS, op_id="named", studentId=to_global_id("Student", student.id))
    try:
        await asyncio.sleep(0.2)
        grade = await _grade(student, world.lessons[n])
        event = await models.OutboxEvent.create(
            kind="GRADE_ADDED",
            student_id=student.id,
            school_class_id=world.lessons[n].school_class_id,
            grade_id=grade.id,
            lesson_id=grade.lesson_id,
        )
        world.grades.append(grade)
        await publish_outbox_events(app.state.broker, [event])
        for parent, socket, allowed in sockets:
            where = ("live", parent.id, student.id)
            PROBES["diaryEvents"] += 1
            if allowed:
                message = await socket.next()
                assert message["type"] == "next", (where, message)
                assert message["payload"]["data"]["diaryEvents"]["grade"]["id"] == to_global_id("Grade", grade.id)
                continue
            PROBES["diaryEvents(studentId)"] += 1
            answers: dict[str, dict[str, Any]] = {}
            while True:
                try:
                    message = await socket.next(timeout=0.5)
                except TimeoutError:
                    break
                answers.setdefault(message["id"], message)
                assert message["type"] != "next" or _refused(message), (where, message)
            assert "named" in answers, (where, answers)
            assert _refused(answers["named"]), (where, answers)
            if oracle(world, parent.id).children:
                assert "all" not in answers, (where, answers)
            else:
                assert _refused(answers["all"]), (where, answers)
    finally:
        for _parent, socket, _allowed in sockets:
            await socket.ws.close()


def _record() -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"probes": sum(PROBES.values()), "by_kind": dict(PROBES)}, indent=2) + "\n")


@hypothesis_settings(
    max_examples=15,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(spec=specs())
async def test_nothing_outside_the_policy_is_returned_or_delivered(
    app: Any, http: httpx.AsyncClient, server_url: str, settings: Settings, spec: Spec
) -> None:
    world = await build(spec)
    try:
        for user in world.users:
            client = Client(http, issue_access_token(settings, user.id), to_global_id("User", user.id))
            await probe(client, world, user.id)
        await probe_live(app, server_url, settings, world, spec)
    finally:
        await tear_down(world)
    assert sum(PROBES.values()) > 0
    _record()
