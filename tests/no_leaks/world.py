"""The random district: what hypothesis draws (``Spec``) and the rows built from it (``World``).

2-3 schools of one district, two classes and two subjects each, a term covering today,
teachers with random teaching assignments and homeroom classes, students with or without a
login (some transferred mid-year to another class, possibly of another school), parents with
children in several schools (some guardianships revoked), a school admin, sometimes a
district admin, lessons, grades, final grades, homework (some removed), remarks, absence
notices, announcements for random audiences, meetings with invited classes, access requests,
notifications about random students, and chats with members (some removed; the first standing one is its admin).
And each school's calendar ahead of today: a second term, bells (REGULAR, and sometimes
SHORTENED with a short day), sometimes a holiday, and weekly timetable slots for some
teaching assignments (their lessons are not generated: the world's lessons stay its own).
And class groups (issue 21): splits of a school's first class and cross-class groups of its two
(parallel) classes, with members drawn from the students ever enrolled in one of the group's
classes (a membership spans that enrolment, so a transferred child's has ended), some of them
ended, and some timetable slots given to a group of their class. A member's membership may
change on a date (``MOVE_DAYS_AGO``: one membership ends the day before, another begins that
day); a group may have a group-only teacher (a teaching assignment naming it, kept apart in
``World.group_assignments``) and lessons of its own, some with homework, and its members grades
in them (``World.group_lessons``, ``group_homework``, ``group_grades``: apart from the
whole-class rows the write probes pick from)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from hypothesis import strategies as st

import models

CLASSES_PER_SCHOOL = 2
SUBJECTS_PER_SCHOOL = 2
TRANSFER_DAYS_AGO = 20
MOVE_DAYS_AGO = 10  # a membership that changes: ends the day before, or begins that day
PERIODS = 6  # of each bell schedule; the world's slots use the first two
AUDIENCES = list(models.Audience)
SERIAL = itertools.count()


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
    term_grades: list[tuple[int, int]]  # (student, subject j of the school of its enrolment j % count)
    homework: list[tuple[int, bool]]  # (lesson, removed)
    remarks: list[tuple[int, int, int]]  # (student, which enrolment, author)
    notices: list[int]  # guardianship: that guardian's absence notice for that child
    announcements: list[tuple[int, int | None, int, int | None]]  # (school, its class, audience, teacher or admin)
    meetings: list[tuple[int, list[int], int | None, bool]]  # (school, its classes, organiser, cancelled)
    access_requests: list[tuple[int, int]]  # (parent, school)
    notifications: list[tuple[int, int | None]]  # (user, about this student)
    chats: list[tuple[int, list[tuple[int, bool]]]]  # (school, [(user, removed)])
    live_grade: tuple[int, int]  # (student, lesson): the grade given while parents are subscribed
    calendar: list[tuple[bool, bool]]  # per school: (a holiday, SHORTENED bells and a short day)
    slots: list[bool]  # per teaching assignment: a weekly timetable slot
    groups: list[tuple[int, bool, list[tuple[int, int]], bool]] = field(
        default_factory=list
    )  # (school, cross-class, [(member, 0: the enrolment's span, 1: until the move, 2: from it)], ended)
    group_teachers: list[tuple[int | None, int]] = field(default_factory=list)  # per group: (teacher, subject)
    group_lessons: list[list[tuple[int, bool]]] = field(default_factory=list)  # per group: (days ago, homework)
    group_grades: list[tuple[int, int]] = field(default_factory=list)  # (member, group lesson)
    group_slots: list[bool] = field(default_factory=list)  # per slot: given to a group of its class (if any)


def _local(teacher_schools: list[int], school: int) -> list[int]:
    return [t for t, s in enumerate(teacher_schools) if s == school]


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
        local = _local(teacher_schools, c // CLASSES_PER_SCHOOL)
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
        lesson_teachers.append(draw(st.sampled_from(_local(teacher_schools, school))))
    grades = draw(st.lists(st.tuples(st.integers(0, students - 1), st.integers(0, lessons - 1)), max_size=6))
    remarks = draw(
        st.lists(st.tuples(st.integers(0, students - 1), st.integers(0, 1), st.integers(0, teachers - 1)), max_size=3)
    )
    announcements = []
    for _ in range(draw(st.integers(0, 3))):
        school = draw(st.integers(0, schools - 1))
        klass = draw(st.none() | st.integers(0, CLASSES_PER_SCHOOL - 1))
        author = draw(st.none() | st.sampled_from(_local(teacher_schools, school)))
        announcements.append(
            (school, None if klass is None else school * CLASSES_PER_SCHOOL + klass, draw(st.integers(0, 3)), author)
        )
    meetings = []
    for _ in range(draw(st.integers(0, 2))):
        school = draw(st.integers(0, schools - 1))
        invited = draw(st.lists(st.integers(0, CLASSES_PER_SCHOOL - 1), min_size=1, unique=True))
        organiser = draw(st.none() | st.sampled_from(_local(teacher_schools, school)))
        meetings.append((school, [school * CLASSES_PER_SCHOOL + c for c in invited], organiser, draw(st.booleans())))
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
    groups = draw(
        st.lists(
            st.tuples(
                st.integers(0, schools - 1),
                st.booleans(),
                st.lists(
                    st.tuples(st.integers(0, students - 1), st.integers(0, 2)), max_size=3, unique_by=lambda m: m[0]
                ),
                st.booleans(),
            ),
            min_size=1,  # every world has a group (a split or a cross-class one)
            max_size=2,
        )
    )
    group_teachers = [  # the first group always has its teacher
        (
            draw(
                st.sampled_from(_local(teacher_schools, school))
                if n == 0 and _local(teacher_schools, school)
                else st.none() | st.sampled_from(_local(teacher_schools, school))
            ),
            draw(st.integers(0, SUBJECTS_PER_SCHOOL - 1)),
        )
        for n, (school, _cross, _members, _ended) in enumerate(groups)
    ]
    group_lessons = [
        draw(st.lists(st.tuples(st.integers(1, 30), st.booleans()), max_size=2, unique_by=lambda x: x[0]))
        for _ in groups
    ]
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
        term_grades=draw(
            st.lists(
                st.tuples(st.integers(0, students - 1), st.integers(0, SUBJECTS_PER_SCHOOL - 1)),
                max_size=3,
                unique=True,
            )
        ),
        # one standing homework at least (with a child's work handed in for it), so every world
        # probes the homework, files and hand-in rules
        homework=[
            (draw(st.integers(0, lessons - 1)), False),
            *draw(st.lists(st.tuples(st.integers(0, lessons - 1), st.booleans()), max_size=2)),
        ],
        remarks=remarks,
        notices=draw(st.lists(st.integers(0, len(guardianships) - 1), max_size=2, unique=True)),
        announcements=announcements,
        meetings=meetings,
        access_requests=draw(st.lists(st.tuples(st.integers(0, parents - 1), st.integers(0, schools - 1)), max_size=2)),
        notifications=draw(
            st.lists(st.tuples(st.integers(0, users - 1), st.none() | st.integers(0, students - 1)), max_size=4)
        ),
        chats=chats,
        live_grade=(draw(st.integers(0, students - 1)), draw(st.integers(0, lessons - 1))),
        calendar=[(draw(st.booleans()), draw(st.booleans())) for _ in range(schools)],
        slots=[draw(st.booleans()) for _ in assignments],
        groups=groups,
        group_slots=[draw(st.booleans()) for _ in assignments],
        group_teachers=group_teachers,
        group_lessons=group_lessons,
        group_grades=draw(st.lists(st.tuples(st.integers(0, students - 1), st.integers(0, 3)), max_size=3)),
    )


@dataclass
class World:
    """The rows built from a ``Spec``, with what the oracle needs about each."""

    district: models.District
    tag: str
    schools: list[models.School] = field(default_factory=list)
    years: list[models.AcademicYear] = field(default_factory=list)
    terms: list[models.Term] = field(default_factory=list)
    subjects: list[models.Subject] = field(default_factory=list)
    classes: list[models.SchoolClass] = field(default_factory=list)
    users: list[models.User] = field(default_factory=list)
    parents: list[models.User] = field(default_factory=list)
    teacher_school: dict[int, int] = field(default_factory=dict)  # teacher user -> school id
    school_admin: dict[int, int] = field(default_factory=dict)  # user -> school id
    family_grants: dict[int, set[int]] = field(default_factory=dict)  # parent or student user -> school ids
    district_admins: set[int] = field(default_factory=set)
    students: list[models.Student] = field(default_factory=list)
    enrollments: list[models.Enrollment] = field(default_factory=list)
    guardianships: list[models.Guardianship] = field(default_factory=list)
    assignments: list[models.TeachingAssignment] = field(default_factory=list)
    lessons: list[models.Lesson] = field(default_factory=list)
    grades: list[models.Grade] = field(default_factory=list)
    term_grades: list[models.TermGrade] = field(default_factory=list)
    homework: list[models.Homework] = field(default_factory=list)
    # A file attached to each homework, remark, absence notice, announcement and chat message, and
    # for each homework one upload its teacher never attached (no one's to read).
    files: list[models.StoredFile] = field(default_factory=list)
    # One student's work handed in for each homework (the first child in its lesson), a file with it.
    submissions: list[models.Submission] = field(default_factory=list)
    assessments: list[models.PlannedAssessment] = field(default_factory=list)
    remarks: list[models.Remark] = field(default_factory=list)
    notices: list[models.AbsenceNotice] = field(default_factory=list)
    announcements: list[models.Announcement] = field(default_factory=list)
    meetings: list[models.Meeting] = field(default_factory=list)
    invited: dict[int, set[int]] = field(default_factory=dict)  # meeting -> class ids
    access_requests: list[models.AccessRequest] = field(default_factory=list)
    notifications: list[models.Notification] = field(default_factory=list)
    deliveries: list[models.NotificationDelivery] = field(default_factory=list)
    chats: list[models.Chat] = field(default_factory=list)
    members: list[models.ChatMember] = field(default_factory=list)
    messages: list[models.Message] = field(default_factory=list)
    days_off: list[models.DayOff] = field(default_factory=list)
    short_days: list[models.ShortDay] = field(default_factory=list)
    shortened: set[int] = field(default_factory=set)  # schools with a SHORTENED bell schedule
    slots: list[models.TimetableSlot] = field(default_factory=list)
    held: set[int] = field(default_factory=set)  # lessons found holding grades or marks (allowed writes add some)
    groups: list[models.ClassGroup] = field(default_factory=list)
    group_classes: dict[int, set[int]] = field(default_factory=dict)  # group -> the classes it draws from
    memberships: list[models.GroupMembership] = field(default_factory=list)
    group_assignments: list[models.TeachingAssignment] = field(default_factory=list)  # naming a group
    group_lessons: list[models.Lesson] = field(default_factory=list)
    group_homework: list[models.Homework] = field(default_factory=list)
    group_grades: list[models.Grade] = field(default_factory=list)

    def guardians(self) -> list[models.Guardianship]:
        """The guardianships that stand (not revoked)."""
        return [g for g in self.guardianships if g.revoked_at is None]


async def new_user(tag: str, name: str) -> models.User:
    return await models.User.create(login=f"{tag}-{name}", password_hash="!", full_name=f"{name} {tag}")


async def grade(student: models.Student, lesson: models.Lesson, school_class_id: int | None = None) -> models.Grade:
    """A grade in ``lesson``, filed under ``school_class_id`` (default: the lesson's class; a
    group's lesson: the class the member was enrolled in that day)."""
    return await models.Grade.create(
        student=student,
        subject_id=lesson.subject_id,
        school_class_id=school_class_id or lesson.school_class_id,
        lesson=lesson,
        teacher_id=lesson.teacher_id,
        date=lesson.date,
        value="4",
        numeric_value=4.0,
    )


def attends(world: World, student_id: int, lesson: models.Lesson) -> int | None:
    """The class ``student_id`` attends ``lesson`` from (README "Class groups"), or ``None``: a
    whole-class lesson is for the children enrolled in its class on its date; a group's only for
    its members on its date, while enrolled in one of the classes the group draws from (their own
    class then, also for a lesson filed under a cross-class group's home class)."""
    day = lesson.date
    enrolled = [
        e.school_class_id
        for e in world.enrollments
        if e.student_id == student_id and e.start_date <= day and (e.end_date is None or day <= e.end_date)
    ]
    if lesson.group_id is None:
        return lesson.school_class_id if lesson.school_class_id in enrolled else None
    member = any(
        m.student_id == student_id
        and m.group_id == lesson.group_id
        and m.start_date <= day
        and (m.end_date is None or day <= m.end_date)
        for m in world.memberships
    )
    classes = [c for c in enrolled if c in world.group_classes.get(lesson.group_id, set())]
    return classes[0] if member and classes else None
