"""Read probes: every root field, ``node`` of every Node type of the world, and the list
fields under them, for one viewer, in a few aliased requests, compared with the oracle.

Public by design and not probed as lists: ``schoolDirectory``/``schoolListings`` (the names of
all schools, where a family picks the school to apply to; ``node`` of a ``SchoolListing`` is
probed: every signed-in user gets it) and, under a visible school, its bell schedule, short
days, days off, subjects, terms and academic years (a school's calendar, the same for all
who see the school). ``viewer.user``, ``roles``, ``notificationPreferences``,
``unreadNotificationCount`` and ``unreadChatMessages`` are the viewer's own."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from typing import Any

from edge.settings import Settings
from resolvers import files, sessions
from resolvers.core import now_utc, to_global_id, today_utc
from resolvers.sessions import Viewer
from tests.conftest import Client
from tests.no_leaks.oracle import Allowed, classes_in, current, oracle, reachable
from tests.no_leaks.world import World, attends

PROBES: Counter[str] = Counter()
MISSING = 2_000_000_000  # a primary key no row has: what "not there" looks like


def gid(kind: str, pk: int) -> str:
    return json.dumps(to_global_id(kind, pk))


def objects(world: World) -> list[tuple[str, int]]:
    kinds: list[tuple[str, list[Any]]] = [
        ("Student", world.students),
        ("SchoolClass", world.classes),
        ("School", world.schools),
        ("Lesson", [*world.lessons, *world.group_lessons]),
        ("Grade", [*world.grades, *world.group_grades]),
        ("TermGrade", world.term_grades),
        ("Homework", [*world.homework, *world.group_homework]),
        ("File", world.files),
        ("Submission", world.submissions),
        ("PlannedAssessment", world.assessments),
        ("Remark", world.remarks),
        ("AbsenceNotice", world.notices),
        ("Subject", world.subjects),
        ("Term", world.terms),
        ("AcademicYear", world.years),
        ("User", world.users),
        ("District", [world.district]),
        ("AccessRequest", world.access_requests),
        ("Announcement", world.announcements),
        ("Meeting", world.meetings),
        ("Notification", world.notifications),
        ("NotificationDelivery", world.deliveries),
        ("Chat", world.chats),
        ("ChatMessage", world.messages),
        ("DayOff", world.days_off),
        ("ShortDay", world.short_days),
        ("TimetableSlot", world.slots),
        ("Guardianship", world.guardianships),
        ("Enrollment", world.enrollments),
        ("TeachingAssignment", [*world.assignments, *world.group_assignments]),
        ("ClassGroup", world.groups),
        ("GroupMembership", world.memberships),
        ("SchoolListing", world.schools),
    ]
    return [(kind, row.id) for kind, rows in kinds for row in rows]


def _ids(rows: list[dict[str, Any]] | None) -> set[str]:
    return {r["id"] for r in rows or []}


def _edges(connection: dict[str, Any] | None) -> set[str]:
    return {e["node"]["id"] for e in (connection or {"edges": []})["edges"]}


def _ours(kind: str, rows: list[Any]) -> set[str]:
    return {to_global_id(kind, r.id) for r in rows}


def _theirs(kind: str, ids: set[int]) -> set[str]:
    return {to_global_id(kind, i) for i in ids}


def _deliveries(world: World, allowed: Allowed) -> set[int]:
    by_notification = {n.id: n.school_id for n in world.notifications}
    return {d.id for d in world.deliveries if by_notification[d.notification_id] in allowed.admin_schools}


async def probe_nodes(client: Client, world: World, uid: int, allowed: Allowed) -> None:
    """``node`` for every object of the world, and for a missing id of each type: not yours is null, like not there."""
    found = objects(world)
    kinds = sorted({k for k, _ in found})
    register = "... on Lesson { register { student { id } } }"
    fields = [f"n{i}: node(id: {gid(kind, pk)}) {{ id {register} }}" for i, (kind, pk) in enumerate(found)]
    fields += [f"m{i}: node(id: {gid(kind, MISSING)}) {{ id }}" for i, kind in enumerate(kinds)]
    data = await client.data("query {\n" + "\n".join(fields) + "\n}")
    allowed.ids["NotificationDelivery"] = _deliveries(world, allowed)
    for i, (kind, pk) in enumerate(found):
        PROBES[f"node({kind})"] += 1
        assert (data[f"n{i}"] is not None) == (pk in allowed[kind]), (uid, kind, pk, data[f"n{i}"])
        if kind == "Lesson" and data[f"n{i}"] is not None:
            PROBES["Lesson.register"] += 1
            readable = pk in allowed.registers
            assert (data[f"n{i}"]["register"] is not None) == readable, (uid, "register", pk)
    assert all(data[f"m{i}"] is None for i in range(len(kinds)))


def _student_fields(first: str, last: str) -> str:
    dates = f'from: "{first}", to: "{last}"'
    later = (today_utc() + timedelta(days=10)).isoformat()
    return (
        f"id enrollments {{ schoolClass {{ id }} }} remarks({dates}) {{ id }} guardianships {{ id }}"
        f' absenceNotices(from: "{first}", to: "{later}") {{ id }}'
        f" diary({dates}) {{ entries {{ lesson {{ id }} grades {{ id }} removedGrades {{ id }} homework {{ id }} }} }}"
        " progress { grades { id } termGrade { id } }"
    )


def _notices_seen(world: World, uid: int, allowed: Allowed, s: Any) -> set[int]:
    """The child's absence notices the viewer sees: all of them for the family; for a teacher
    or an admin, those overlapping the child's enrolments in classes they teach or lead, or of
    the schools they run (the transfer windows, ``resolvers/policy/windows.py``), each shown
    whole."""
    notices = [n for n in world.notices if n.student_id == s.id]
    if s.id in allowed.children or s.user_id == uid:
        return {n.id for n in notices}
    staffed = allowed.taught | classes_in(allowed.admin_schools, world)
    windows = [
        (e.start_date, e.end_date) for e in world.enrollments if e.student_id == s.id and e.school_class_id in staffed
    ]
    windows += [(x.start, x.end) for x in allowed.group_windows if x.student_id == s.id]  # a group's teacher's
    return {
        n.id
        for n in notices
        if any(start <= n.end_date and (end is None or n.start_date <= end) for start, end in windows)
    }


def check_student(world: World, uid: int, allowed: Allowed, s: Any, result: dict[str, Any] | None) -> None:
    """A student the viewer sees shows only that student's own rows; one they may not see is null."""
    where = (uid, "student", s.id)
    PROBES["student"] += 1
    assert (result is not None) == (s.id in allowed["Student"]), where
    if result is None:
        return
    classes = {e.school_class_id for e in world.enrollments if e.student_id == s.id}
    assert {e["schoolClass"]["id"] for e in result["enrollments"]} == _theirs("SchoolClass", classes), where
    own_grades = _theirs("Grade", {g.id for g in [*world.grades, *world.group_grades] if g.student_id == s.id})
    # the lessons the child attends (a group's while a member), each one the viewer reaches by id
    attended = {x.id for x in [*world.lessons, *world.group_lessons] if attends(world, s.id, x) is not None}
    lessons = _theirs("Lesson", attended & allowed["Lesson"])
    homework = _theirs("Homework", {h.id for h in [*world.homework, *world.group_homework] if h.deleted_at is None})
    for day in result["diary"]:
        for entry in day["entries"]:
            PROBES["student.diary"] += 1 + len(entry["grades"]) + len(entry["homework"])
            assert entry["lesson"]["id"] in lessons, where
            assert {g["id"] for g in entry["grades"] + entry["removedGrades"]} <= own_grades, where
            assert _ids(entry["homework"]) <= homework, where
    links = {g.id for g in world.guardianships if g.student_id == s.id}
    PROBES["student.guardianships"] += len(links)
    assert _ids(result["guardianships"]) == _theirs("Guardianship", links & allowed["Guardianship"]), where
    remarks = {r.id for r in world.remarks if r.student_id == s.id}
    PROBES["student.remarks"] += len(remarks)
    assert _ids(result["remarks"]) == _theirs("Remark", remarks & allowed["Remark"]), where
    PROBES["student.absenceNotices"] += len(world.notices)
    assert _ids(result["absenceNotices"]) == _theirs("AbsenceNotice", _notices_seen(world, uid, allowed, s)), where
    for subject in result["progress"]:
        PROBES["student.progress"] += 1
        assert _ids(subject["grades"]) <= own_grades, where
        term_grade = subject["termGrade"]
        own_final = _theirs("TermGrade", {t.id for t in world.term_grades if t.student_id == s.id})
        assert term_grade is None or term_grade["id"] in own_final, where


def _class_fields(world: World, c: Any, first: str, last: str) -> str:
    subjects = [s for s in world.subjects if s.school_id == c.school_id]
    journals = " ".join(
        f"j{j}: journal(subjectId: {gid('Subject', s.id)}) {{ rows {{ student {{ id }} }} }}"
        for j, s in enumerate(subjects)
    )
    return (
        f'... on SchoolClass {{ students {{ id }} lessons(from: "{first}", to: "{last}") {{ id }} {journals} '
        "groups { id members { id } } }"
    )


def check_class(world: World, uid: int, allowed: Allowed, c: Any, result: dict[str, Any] | None) -> None:
    """A visible class lists its current students the viewer sees, its lessons, and a journal
    only for the teachers of that class + subject and the admins."""
    where = (uid, "class", c.id)
    if result is None:
        return
    PROBES["SchoolClass.students"] += len(world.students)
    enrolled = {s.id for s in world.students if c.id in current(world, s.id)}
    assert _ids(result["students"]) == _theirs("Student", enrolled & allowed["Student"]), where
    PROBES["SchoolClass.lessons"] += len(world.lessons)
    # its lessons the viewer sees: a family, those of the days its child was enrolled in it
    filed = {x.id for x in [*world.lessons, *world.group_lessons] if x.school_class_id == c.id}
    assert _ids(result["lessons"]) == _theirs("Lesson", filed & allowed["Lesson"]), where
    PROBES["SchoolClass.groups"] += len(world.groups)
    drawing = [g for g in world.groups if c.id in world.group_classes[g.id]]
    assert {g["id"] for g in result["groups"]} == _ours("ClassGroup", drawing), where
    for g in result["groups"]:
        PROBES["ClassGroup.members"] += 1
        pk = next(x.id for x in drawing if to_global_id("ClassGroup", x.id) == g["id"])
        members = {m.id for m in world.memberships if m.group_id == pk} & allowed["GroupMembership"]
        assert _ids(g["members"]) == _theirs("GroupMembership", members), (where, "members", pk)
    # a journal's rows: children ever enrolled in the class, or members of a group filed under it
    # (a cross-class group's members from the other class, in its group teacher's journal)
    homed = {g.id for g in world.groups if g.home_class_id == c.id}
    ever = _theirs(
        "Student",
        {e.student_id for e in world.enrollments if e.school_class_id == c.id}
        | {m.student_id for m in world.memberships if m.group_id in homed},
    )
    for j, s in enumerate(x for x in world.subjects if x.school_id == c.school_id):
        PROBES["SchoolClass.journal"] += 1
        journal = result[f"j{j}"]
        assert (journal is not None) == ((c.id, s.id) in allowed.journals), (where, "journal", s.id)
        assert {r["student"]["id"] for r in (journal or {"rows": []})["rows"]} <= ever, where


SCHOOL = (
    "... on School { classes { id } timetable { id } stats { grades atRisk { student { id } } }"
    " accounts(first: 100) { edges { node { user { id } } } } auditLog(first: 1) { pageInfo { hasNextPage } }"
    " accessRequests(first: 100) { edges { node { id } } } }"
)


def check_school(world: World, uid: int, allowed: Allowed, school: Any, result: dict[str, Any] | None) -> None:
    """A visible school: the classes the viewer sees; the dashboard, accounts and audit log for
    its admins only; the at-risk list for its own school admins only; access requests for admins."""
    where = (uid, "school", school.id)
    if result is None:
        return
    admin = school.id in allowed.admin_schools
    PROBES["School.classes"] += len(world.classes)
    mine = {c.id for c in world.classes if c.school_id == school.id}
    assert _ids(result["classes"]) == _theirs("SchoolClass", mine & allowed["SchoolClass"]), where
    PROBES["School.timetable"] += len(world.slots)
    slots = {x.id for x in world.slots if x.school_class_id in mine}
    assert _ids(result["timetable"]) == _theirs("TimetableSlot", slots & allowed["TimetableSlot"]), where
    PROBES["School.stats"] += 1
    assert (result["stats"] is not None) == (school.id in allowed.stats), where
    if result["stats"] is not None:
        PROBES["School.stats.atRisk"] += 1
        assert (result["stats"]["atRisk"] is not None) == (school.id in allowed.at_risk), where
    PROBES["School.accounts"] += len(world.users)
    assert (result["accounts"] is not None) == admin, where
    if admin:
        holders = {u for u, s in [*world.teacher_school.items(), *world.school_admin.items()] if s == school.id}
        holders |= {u for u, schools in world.family_grants.items() if school.id in schools}
        listed = {e["node"]["user"]["id"] for e in result["accounts"]["edges"]} & _ours("User", world.users)
        assert listed == _theirs("User", holders & allowed.accounts), where
    PROBES["School.auditLog"] += 1
    assert (result["auditLog"] is not None) == admin, where
    PROBES["School.accessRequests"] += len(world.access_requests)
    requests = {r.id for r in world.access_requests if r.school_id == school.id and admin}
    assert _edges(result["accessRequests"]) & _ours("AccessRequest", world.access_requests) == _theirs(
        "AccessRequest", requests
    ), where


VIEWER = (
    "viewer { children { id } chats(first: 100) { edges { node { id } } } districts { id stats { grades } }"
    " schools { id } teaching { schoolClass { id } subject { id } } accessRequests { id } student { id }"
    " announcements(first: 100) { edges { node { id } } } notifications(first: 100) { edges { node { id } } }"
    " meetings(from: $start, to: $end) { id } }"
)


def check_viewer(world: World, uid: int, allowed: Allowed, found: dict[str, Any]) -> None:
    """Each list under ``viewer`` holds, of this world's rows, exactly the oracle's."""
    where = (uid, "viewer")
    checks: list[tuple[str, set[str], str, list[Any], set[int]]] = [
        ("children", _ids(found["children"]), "Student", world.students, allowed.children),
        ("chats", _edges(found["chats"]), "Chat", world.chats, allowed["Chat"]),
        ("districts", _ids(found["districts"]), "District", [world.district], allowed["District"]),
        ("schools", _ids(found["schools"]), "School", world.schools, allowed["School"]),
        (
            "accessRequests",
            _ids(found["accessRequests"]),
            "AccessRequest",
            world.access_requests,
            {r.id for r in world.access_requests if r.applicant_id == uid},
        ),
        ("announcements", _edges(found["announcements"]), "Announcement", world.announcements, allowed["Announcement"]),
        ("notifications", _edges(found["notifications"]), "Notification", world.notifications, allowed["Notification"]),
        ("meetings", _ids(found["meetings"]), "Meeting", world.meetings, allowed["Meeting"]),
    ]
    for name, shown, kind, rows, expected in checks:
        PROBES[f"viewer.{name}"] += len(rows)
        assert shown & _ours(kind, rows) == _theirs(kind, expected), (where, name)
    for district in found["districts"]:
        assert district["stats"] is not None, where
    PROBES["viewer.teaching"] += len(world.assignments)
    pairs = {(t["schoolClass"]["id"], t["subject"]["id"]) for t in found["teaching"]}
    assert pairs == {
        (to_global_id("SchoolClass", a.school_class_id), to_global_id("Subject", a.subject_id))
        for a in [*world.assignments, *world.group_assignments]
        if a.teacher_id == uid
    }, where
    own = [s.id for s in world.students if s.user_id == uid]
    assert (found["student"] or {}).get("id") == (to_global_id("Student", own[0]) if own else None), where


async def probe_reads(client: Client, world: World, uid: int) -> None:
    """Every read probe of one viewer, in two requests (and one per school for deliveries)."""
    allowed = oracle(world, uid)
    await probe_nodes(client, world, uid, allowed)
    today = today_utc()
    first, last = (today - timedelta(days=60)).isoformat(), today.isoformat()
    start, end = now_utc().isoformat(), (now_utc() + timedelta(days=30)).isoformat()
    fields = [
        f"s{i}: student(id: {gid('Student', s.id)}) {{ {_student_fields(first, last)} }}"
        for i, s in enumerate(world.students)
    ]
    fields += [
        f"c{i}: node(id: {gid('SchoolClass', c.id)}) {{ {_class_fields(world, c, first, last)} }}"
        for i, c in enumerate(world.classes)
    ]
    fields += [f"k{i}: node(id: {gid('School', s.id)}) {{ {SCHOOL} }}" for i, s in enumerate(world.schools)]
    fields += [f"h{i}: chat(id: {gid('Chat', c.id)}) {{ id }}" for i, c in enumerate(world.chats)]
    fields += [f"a{i}: account(userId: {gid('User', u.id)}) {{ user {{ id }} }}" for i, u in enumerate(world.users)]
    tag = json.dumps(world.tag)
    fields += [
        f"p{i}: peopleSearch(query: {tag}, category: PARENTS_OF_CLASS, classId: {gid('SchoolClass', c.id)}, limit: 100)"
        " { id }"
        for i, c in enumerate(world.classes)
    ]
    fields += [
        f"people: peopleSearch(query: {tag}, limit: 100) {{ id }}",
        f"missingChat: chat(id: {gid('Chat', MISSING)}) {{ id }}",
        f"missingAccount: account(userId: {gid('User', MISSING)}) {{ user {{ id }} }}",
        VIEWER,
    ]
    data = await client.data(
        "query R($start: DateTime, $end: DateTime) {\n" + "\n".join(fields) + "\n}", start=start, end=end
    )
    for i, s in enumerate(world.students):
        check_student(world, uid, allowed, s, data[f"s{i}"])
    for i, c in enumerate(world.classes):
        check_class(world, uid, allowed, c, data[f"c{i}"])
    for i, school in enumerate(world.schools):
        check_school(world, uid, allowed, school, data[f"k{i}"])
    for i, chat in enumerate(world.chats):
        PROBES["chat"] += 1
        assert (data[f"h{i}"] is not None) == (chat.id in allowed["Chat"]), (uid, "chat", chat.id)
    for i, u in enumerate(world.users):
        PROBES["account"] += 1
        assert (data[f"a{i}"] is not None) == (u.id in allowed.accounts), (uid, "account", u.id)
    assert data["missingChat"] is None
    assert data["missingAccount"] is None
    PROBES["peopleSearch"] += len(world.users)
    assert _ids(data["people"]) & _ours("User", world.users) == _theirs("User", reachable(world, uid)), (uid, "people")
    for i, c in enumerate(world.classes):
        PROBES["peopleSearch(PARENTS_OF_CLASS)"] += len(world.parents)
        enrolled = {s.id for s in world.students if c.id in current(world, s.id)}
        parents = {g.guardian_id for g in world.guardians() if g.student_id in enrolled}
        expected = parents & reachable(world, uid) if c.id in allowed["SchoolClass"] else set()
        assert _ids(data[f"p{i}"]) & _ours("User", world.users) == _theirs("User", expected), (uid, "people", c.id)
    check_viewer(world, uid, allowed, data["viewer"])
    await probe_deliveries(client, world, uid, allowed)


DELIVERIES = "query D($school: ID!) { notificationDeliveries(schoolId: $school, first: 100) { edges { node { id } } } }"


async def probe_deliveries(client: Client, world: World, uid: int, allowed: Allowed) -> None:
    """A school's failed deliveries for its admins; for anyone else the answer to another school
    is exactly the answer to a school that does not exist."""
    missing = await client.post(DELIVERIES, school=to_global_id("School", MISSING))
    for school in world.schools:
        PROBES["notificationDeliveries"] += len(world.deliveries)
        answer = await client.post(DELIVERIES, school=to_global_id("School", school.id))
        if school.id not in allowed.admin_schools:
            assert answer == missing, (uid, "deliveries", school.id)
            continue
        by_notification = {n.id: n.school_id for n in world.notifications}
        expected = {d.id for d in world.deliveries if by_notification[d.notification_id] == school.id}
        assert _edges(answer["data"]["notificationDeliveries"]) == _theirs("NotificationDelivery", expected)


async def probe_downloads(client: Client, settings: Settings, world: World, uid: int) -> None:
    """``GET /files/<token>`` of every file of the world, with a token signed for this viewer's
    session as ``File.url`` signs it: the file's bytes exactly when the oracle lets the viewer see
    the file, else the 404 of a token that never was (the download asks the policy again; it
    never trusts that only its readers got the URL). The world's bytes are put by the test."""
    assert client.token is not None
    session_id = sessions.read_access_token(settings, client.token).session_id
    viewer = Viewer(uid, session_id=session_id)
    allowed = oracle(world, uid)["File"]
    for row in world.files:
        PROBES["File.url download"] += 1
        answer = await client.http.get(files.download_url(settings, viewer, row, ""))
        assert answer.status_code == (200 if row.id in allowed else 404), (uid, "download", row.id)
