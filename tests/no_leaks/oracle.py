"""The oracle: what one user may see and touch, in plain Python over the generated world.

Written from the README's and the house rules' words, apart from resolvers/policy (it
imports nothing from resolvers/), so a mistake in a scope is not repeated here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import models
from resolvers.core import today_utc
from tests.no_leaks.world import World, attends

EVERYONE, PARENTS, STUDENTS, TEACHERS = (
    models.Audience.EVERYONE,
    models.Audience.PARENTS,
    models.Audience.STUDENTS,
    models.Audience.TEACHERS,
)


@dataclass
class Allowed:
    """Ids (of this world) that one viewer may see, per kind; plus what they may do."""

    ids: dict[str, set[int]]
    children: set[int]
    taught: set[int]  # classes taught (a subject) as a whole or led: their windows are the enrolments there
    group_windows: list[Span]  # a group's teacher's windows: the days of their groups' members
    followed: set[int]  # classes whose live events they follow
    journals: set[tuple[int, int]]  # (class, subject) journals they read
    stats: set[int]  # schools whose dashboard they read
    at_risk: set[int]  # schools whose at-risk list they read
    admin_schools: set[int]
    accounts: set[int]  # users whose account they manage
    registers: set[int]  # lessons whose register they read

    def __getitem__(self, kind: str) -> set[int]:
        return self.ids[kind]


@dataclass(frozen=True)
class Span:
    """A member's days in a group the viewer teaches, while enrolled in one of its classes: the
    viewer's window on the child's diary, for rows of ``classes`` (the enrolment's class and the
    group's home class)."""

    student_id: int
    classes: frozenset[int]
    start: date
    end: date | None

    def covers(self, student_id: int, first: date, last: date | None = None) -> bool:
        """Whether a row of the student's of ``first``..``last`` (one day by default) meets the span."""
        last = last or first
        return student_id == self.student_id and self.start <= last and (self.end is None or first <= self.end)


def group_windows(world: World, uid: int) -> list[Span]:
    """Each membership of a group ``uid`` teaches (a teaching assignment naming it), within the
    member's enrolments in the classes the group draws from (README "Class groups")."""
    taught = {a.group_id for a in world.group_assignments if a.teacher_id == uid}
    homes = {g.id: g.home_class_id for g in world.groups}
    spans = []
    for m in world.memberships:
        if m.group_id not in taught:
            continue
        for e in world.enrollments:
            if e.student_id != m.student_id or e.school_class_id not in world.group_classes.get(m.group_id, set()):
                continue
            start = max(m.start_date, e.start_date)
            ends = [d for d in (m.end_date, e.end_date) if d is not None]
            end = min(ends) if ends else None
            if end is None or start <= end:
                classes = frozenset({e.school_class_id, homes.get(m.group_id, e.school_class_id)})
                spans.append(Span(m.student_id, classes, start, end))
    return spans


def _in_group_days(
    spans: list[Span], student_id: int, school_class_id: int | None, first: date, last: date | None = None
) -> bool:
    """Whether a row (of a class, or of none: an absence notice) falls in one of the spans."""
    return any(
        x.covers(student_id, first, last) and (school_class_id is None or school_class_id in x.classes) for x in spans
    )


def _period(world: World, final: models.TermGrade) -> tuple[date, date]:
    """The days a final grade is of: its term's, or its academic year's for a year grade."""
    if final.term_id is not None:
        term = next(t for t in world.terms if t.id == final.term_id)
        return term.start_date, term.end_date
    year = next(y for y in world.years if y.id == final.academic_year_id)
    return year.start_date, year.end_date


def current(world: World, student_id: int, day: date | None = None) -> set[int]:
    """The classes a student is enrolled in on ``day`` (default: today)."""
    day = day or today_utc()
    return {
        e.school_class_id
        for e in world.enrollments
        if e.student_id == student_id and e.start_date <= day and (e.end_date is None or e.end_date >= day)
    }


def _announcement(world: World, a: models.Announcement, uid: int, admin: set[int], family: dict[str, set[int]]) -> bool:
    """The author, the school's admins, and its audience: within the school (or the class,
    currently enrolled) the parents of its students, the students, and its teachers."""
    if a.deleted_at is not None:
        return False
    if a.author_id == uid or a.school_id in admin:
        return True
    school_of = {s.id: s.school_id for s in world.students}
    for role, audience in (("children", PARENTS), ("own", STUDENTS)):
        if a.audience not in (EVERYONE, audience):
            continue
        for s in family[role]:
            if (a.school_class_id is None and school_of[s] == a.school_id) or a.school_class_id in current(world, s):
                return True
    if a.audience in (EVERYONE, TEACHERS):
        if a.school_class_id is None and world.teacher_school.get(uid) == a.school_id:
            return True
        if a.school_class_id is not None and a.school_class_id in family["taught"]:
            return True
    return False


def _manages(world: World, uid: int, target: int, admin: set[int]) -> bool:
    """A school or district admin manages the accounts of the people they wholly run: who hold
    a role in their schools and have no tie elsewhere (a role, a guardianship, revoked or not,
    their own student record, a class they teach or lead); a district admin of the world's
    district is only another district admin's."""
    if target in world.district_admins and uid not in world.district_admins:
        return False
    grants = {world.teacher_school.get(target), world.school_admin.get(target)} - {None}
    grants |= world.family_grants.get(target, set())
    school_of_class = {c.id: c.school_id for c in world.classes}
    school_of_student = {s.id: s.school_id for s in world.students}
    ties = grants | {school_of_student[g.student_id] for g in world.guardianships if g.guardian_id == target}
    ties |= {s.school_id for s in world.students if s.user_id == target}
    ties |= {school_of_class[a.school_class_id] for a in world.assignments if a.teacher_id == target}
    ties |= {c.school_id for c in world.classes if c.homeroom_teacher_id == target}
    return bool(grants & admin) and ties <= admin


def oracle(world: World, uid: int) -> Allowed:
    """What ``uid`` may see: a parent their children while the guardianship stands, a student
    themself, a teacher the students ever enrolled in a class they teach or lead, an admin
    their school's (a district admin every school of the district); remarks only for the
    family, the teachers of the class they were written in and the admins; chats only while
    a member; access requests for the applicant and the school's admins; notifications for
    their recipient while their student is still seen. Class groups (README "Class groups"): a
    family sees its child's groups' lessons on the days of membership; a group's teacher its
    members, and their diaries (lessons, homework, grades, remarks, notices) on their days in
    the group; another group's teacher nothing of a child who is not their member."""
    school_of_class = {c.id: c.school_id for c in world.classes}
    school_of_student = {s.id: s.school_id for s in world.students}
    admin = {s.id for s in world.schools if world.school_admin.get(uid) == s.id or uid in world.district_admins}
    # the world's ``assignments`` are of classes as a whole; ``group_assignments`` name a group
    taught = {a.school_class_id for a in world.assignments if a.teacher_id == uid}
    taught |= {c.id for c in world.classes if c.homeroom_teacher_id == uid}
    taught_groups = {a.group_id for a in world.group_assignments if a.teacher_id == uid and a.group_id is not None}
    # a group's teacher sees the group's home class (where its assignment is)
    any_taught = taught | {a.school_class_id for a in world.group_assignments if a.teacher_id == uid}
    spans = group_windows(world, uid)
    children = {g.student_id for g in world.guardianships if g.guardian_id == uid and g.revoked_at is None}
    own = {s.id for s in world.students if s.user_id == uid}
    family = children | own
    classes_of: dict[int, set[int]] = {}
    for e in world.enrollments:
        classes_of.setdefault(e.student_id, set()).add(e.school_class_id)
    # Classes whose children the viewer keeps or runs: their windows (a teacher's taught ones,
    # an admin's every class of their schools): a child ever enrolled in one is seen.
    staffed = taught | classes_in(admin, world)
    # a group's teacher: its members (ever), not the rest of the class
    members = {m.student_id for m in world.memberships if m.group_id in taught_groups}
    pupils = {s.id for s in world.students if classes_of[s.id] & staffed}
    students = {
        s.id for s in world.students if s.id in family or s.id in pupils or s.id in members or s.school_id in admin
    }
    family_classes = set().union(*(classes_of[s] for s in family)) if family else set()
    classes = {c for c in school_of_class if c in any_taught or c in family_classes or school_of_class[c] in admin}
    # The lessons: the staff's classes' and their groups', a group's teacher's group's; a family's
    # those its children attend (their class's while enrolled in it, their groups' while members);
    # a group's teacher's those its members attend on their days in the group (their diary).
    drawn = {g for g, cs in world.group_classes.items() if cs & staffed}
    lessons = {
        x.id
        for x in [*world.lessons, *world.group_lessons]
        if x.school_class_id in staffed
        or x.group_id in drawn | taught_groups
        or uid in (x.teacher_id, x.original_teacher_id)
        or any(attends(world, s, x) is not None for s in family)
        or any(
            span.covers(span.student_id, x.date) and attends(world, span.student_id, x) in span.classes
            for span in spans
        )
    }
    staff_school = {world.teacher_school.get(uid), world.school_admin.get(uid)} - {None}
    schools = {s.id for s in world.schools if s.id in staff_school or s.id in admin}
    schools |= {s.school_id for s in world.students if s.id in family}
    chats = {m.chat_id for m in world.members if m.user_id == uid and m.removed_at is None}
    parent_classes = set().union(*(current(world, s) for s in children)) if children else set()
    meetings = {
        m.id
        for m in world.meetings
        if m.organiser_id == uid or m.school_id in admin or world.invited[m.id] & (any_taught | parent_classes)
    }
    roles = {"children": children, "own": own, "taught": any_taught}
    # a class's groups for whoever sees one of the classes a group draws from; who is in one,
    # only the memberships of the students the viewer sees
    groups = {g.id for g in world.groups if world.group_classes[g.id] & classes}
    staff = {u for u, s in world.teacher_school.items() if s in schools}
    staff |= {u for u, s in world.school_admin.items() if s in schools}
    # Handed-in work of standing homework: the child's family (also after the child left the class),
    # and the teachers who set homework for its lesson (assigned to its class + subject, or giving it).
    sets_homework = {
        x.id
        for x in world.lessons
        if x.teacher_id == uid
        or any(
            a.teacher_id == uid
            and (a.school_class_id, a.subject_id) == (x.school_class_id, x.subject_id)
            and a.group_id in (None, x.group_id)
            for a in world.assignments
        )
    }
    standing = {h.id: h.lesson_id for h in world.homework if h.deleted_at is None}
    submissions = {
        w.id
        for w in world.submissions
        if w.homework_id in standing and (w.student_id in family or standing[w.homework_id] in sets_homework)
    }
    ids = {
        "Student": students,
        "SchoolClass": classes,
        "School": schools,
        "Lesson": lessons,
        # A teacher: the grades given in the classes they teach, to children enrolled in one of them;
        # an admin: those given in the classes of their schools (a transferred child's windows); a
        # group's teacher: its members' of their days in the group, filed under their class or the
        # group's home class.
        "Grade": {
            g.id
            for g in [*world.grades, *world.group_grades]
            if g.student_id in family
            or (g.school_class_id in staffed and g.student_id in pupils)
            or _in_group_days(spans, g.student_id, g.school_class_id, g.date)
        },
        # a group's teacher: its members' final grades of a term (a year grade: the year) with a
        # day of theirs in the group, set in the class of that day or the group's home class
        "TermGrade": {
            t.id
            for t in world.term_grades
            if t.student_id in family
            or (t.school_class_id in staffed and t.student_id in pupils)
            or _in_group_days(spans, t.student_id, t.school_class_id, *_period(world, t))
        },
        "Homework": {
            h.id for h in [*world.homework, *world.group_homework] if h.lesson_id in lessons and h.deleted_at is None
        },
        "Submission": submissions,
        # Whoever sees the lesson, while it takes place and the assessment stands.
        "PlannedAssessment": {
            a.id
            for a in world.assessments
            if a.lesson_id in lessons
            and a.cancelled_at is None
            and any(x.id == a.lesson_id and x.status == models.LessonStatus.SCHEDULED for x in world.lessons)
        },
        "Remark": {
            r.id
            for r in world.remarks
            if r.student_id in family
            or r.school_class_id in taught | classes_in(admin, world)
            or _in_group_days(spans, r.student_id, r.school_class_id, r.date)
        },
        # The family's; a teacher's or an admin's when a day of it is in one of their windows
        # (the child's enrolment in a class they teach, lead or run; a member's days in a group
        # they teach), seen whole.
        "AbsenceNotice": {
            n.id
            for n in world.notices
            if n.student_id in family
            or _in_window(world, n, staffed)
            or _in_group_days(spans, n.student_id, None, n.start_date, n.end_date)
        },
        "Subject": {s.id for s in world.subjects if s.school_id in schools},
        "Term": {t.id for t in world.terms if t.school_id in schools},
        "AcademicYear": {y.id for y in world.years if y.school_id in schools},
        "User": {uid} | staff,
        "District": {world.district.id} if uid in world.district_admins else set(),
        "AccessRequest": {r.id for r in world.access_requests if r.applicant_id == uid or r.school_id in admin},
        "Announcement": {a.id for a in world.announcements if _announcement(world, a, uid, admin, roles)},
        "Meeting": meetings,
        "Notification": {
            n.id
            for n in world.notifications
            if n.user_id == uid
            and n.in_app
            and (n.student_id is None or n.student_id in students)
            and (n.chat_message_id is None or n.chat_message_id in {m.id for m in world.messages if m.chat_id in chats})
        },
        "Chat": chats,
        "ChatMessage": {m.id for m in world.messages if m.chat_id in chats},
        # a child's legal links: all of them for the school's admins; the standing ones for the family
        "Guardianship": {
            g.id
            for g in world.guardianships
            if school_of_student[g.student_id] in admin or (g.revoked_at is None and g.student_id in family)
        },
        # a school's calendar for all who see the school; a class's timetable for its staff, and
        # for its families the whole-class slots and those of their children's groups
        "DayOff": {d.id for d in world.days_off if d.school_id in schools},
        "ShortDay": {d.id for d in world.short_days if d.school_id in schools},
        "TimetableSlot": {
            x.id for x in world.slots if _slot_seen(world, x, uid, staffed, family, family_classes, taught_groups)
        },
        "ClassGroup": groups,
        "GroupMembership": {m.id for m in world.memberships if m.group_id in groups and m.student_id in students},
        # a child's enrolments, every one of them (other schools' too), for whoever sees the child
        "Enrollment": {e.id for e in world.enrollments if e.student_id in students},
        # the school directory: every school's name, for every signed-in user
        "SchoolListing": {s.id for s in world.schools},
        # who teaches what: the teacher's own, and those of the classes of the schools the viewer runs
        "TeachingAssignment": {
            a.id
            for a in [*world.assignments, *world.group_assignments]
            if a.teacher_id == uid or school_of_class[a.school_class_id] in admin
        },
    }
    # A file: whoever sees what it is attached to (homework, a chat message, a remark, an absence
    # notice, an announcement, handed-in work); an upload never attached: no one, its uploader included.
    owners = {
        "homework_id": ids["Homework"],
        "message_id": ids["ChatMessage"],
        "remark_id": ids["Remark"],
        "absence_notice_id": ids["AbsenceNotice"],
        "announcement_id": ids["Announcement"],
        "submission_id": ids["Submission"],
    }
    ids["File"] = {f.id for f in world.files if any(getattr(f, o) in seen for o, seen in owners.items())}
    return Allowed(
        ids=ids,
        children=children,
        taught=taught,
        group_windows=spans,
        followed=taught | classes_in(admin, world),
        journals={
            (a.school_class_id, a.subject_id)
            for a in [*world.assignments, *world.group_assignments]
            if a.teacher_id == uid
        }
        | {(c.id, s.id) for c in world.classes for s in world.subjects if c.school_id in admin},
        stats=admin,
        at_risk={world.school_admin[uid]} if uid in world.school_admin else set(),
        admin_schools=admin,
        accounts={u.id for u in world.users if _manages(world, uid, u.id, admin)},
        # a class-wide assignment reads every lesson of the class + subject, a group's only the group's
        registers={
            x.id
            for x in [*world.lessons, *world.group_lessons]
            if uid in (x.teacher_id, x.original_teacher_id)
            or (x.school_class_id, x.subject_id)
            in {(a.school_class_id, a.subject_id) for a in world.assignments if a.teacher_id == uid}
            or (x.group_id, x.subject_id)
            in {(a.group_id, a.subject_id) for a in world.group_assignments if a.teacher_id == uid}
            or any(c.id == x.school_class_id and c.homeroom_teacher_id == uid for c in world.classes)
            or school_of_class[x.school_class_id] in admin
        },
    )


def _slot_seen(
    world: World,
    slot: models.TimetableSlot,
    uid: int,
    staffed: set[int],
    family: set[int],
    family_classes: set[int],
    taught_groups: set[int],
) -> bool:
    """A class's slots for its staff (and a group's drawn from it), the slots a teacher gives; a
    whole-class slot for the families of the class, a group's slot for the families of a child
    who is a member of the group while the slot runs (and enrolled in one of its classes); a
    group's slots for its teachers."""
    if slot.teacher_id == uid or slot.school_class_id in staffed or slot.group_id in taught_groups:
        return True
    if slot.group_id is None:
        return slot.school_class_id in family_classes
    if world.group_classes[slot.group_id] & staffed:
        return True
    end = slot.valid_to or date.max
    return any(
        m.group_id == slot.group_id
        and e.student_id == m.student_id
        and e.school_class_id in world.group_classes[slot.group_id]
        and max(m.start_date, e.start_date, slot.valid_from) <= min(m.end_date or end, e.end_date or end, end)
        for m in world.memberships
        if m.student_id in family
        for e in world.enrollments
    )


def _in_window(world: World, notice: models.AbsenceNotice, classes: set[int]) -> bool:
    """Whether a day of the notice falls in the child's enrolment in one of ``classes``."""
    return any(
        e.student_id == notice.student_id
        and e.school_class_id in classes
        and e.start_date <= notice.end_date
        and (e.end_date is None or notice.start_date <= e.end_date)
        for e in world.enrollments
    )


def classes_in(schools: set[int], world: World) -> set[int]:
    return {c.id for c in world.classes if c.school_id in schools}


def reachable(world: World, uid: int) -> set[int]:
    """Whom ``uid`` may find in peopleSearch (and add to a chat), never themself: staff reach
    everyone of their schools (a district admin every school of the district); a parent the
    teachers of their children's current classes, those classes' families, their children's
    schools' admins and their own children; a student their class's teachers, their
    classmates and their own guardians."""
    school_of = {s.id: s.school_id for s in world.students}
    guardians = {(g.guardian_id, g.student_id) for g in world.guardianships if g.revoked_at is None}
    logins = {s.id: s.user_id for s in world.students if s.user_id is not None}
    teaching: dict[int, set[int]] = {}
    for a in [*world.assignments, *world.group_assignments]:
        teaching.setdefault(a.school_class_id, set()).add(a.teacher_id)
    for c in world.classes:
        if c.homeroom_teacher_id is not None:
            teaching.setdefault(c.id, set()).add(c.homeroom_teacher_id)

    def people_of(schools: set[int]) -> set[int]:
        staff = {u for u, s in [*world.teacher_school.items(), *world.school_admin.items()] if s in schools}
        students = {u for s, u in logins.items() if school_of[s] in schools}
        return staff | students | {p for p, s in guardians if school_of[s] in schools}

    def in_classes(classes: set[int]) -> set[int]:
        return {s.id for s in world.students if current(world, s.id) & classes}

    staff_schools = {world.teacher_school.get(uid), world.school_admin.get(uid)} - {None}
    if uid in world.district_admins:
        staff_schools |= {s.id for s in world.schools}
    found = people_of({s for s in staff_schools if s is not None})
    children = {s for p, s in guardians if p == uid}
    child_classes = set().union(*(current(world, s) for s in children)) if children else set()
    found |= set().union(*(teaching.get(c, set()) for c in child_classes)) if child_classes else set()
    found |= {p for p, s in guardians if s in in_classes(child_classes)}
    found |= {u for u, s in world.school_admin.items() if s in {school_of[c] for c in children}}
    found |= {logins[s] for s in children if s in logins}
    own = {s for s, u in logins.items() if u == uid}
    own_classes = set().union(*(current(world, s) for s in own)) if own else set()
    found |= set().union(*(teaching.get(c, set()) for c in own_classes)) if own_classes else set()
    found |= {logins[s] for s in in_classes(own_classes) if s in logins}
    found |= {p for p, s in guardians if s in own}
    return found - {uid}
