"""The demo district of API.md: deterministic, dated relative to the clock's today.

Two schools, their calendar and bell schedule, classes of students with guardians,
teachers for every subject, a weekly timetable, and lessons with topics, homework,
attendance and grades from five weeks ago to two weeks ahead. School No. 1 has class groups
(``demo/groups.py``: 5A's English in two groups, 6B's computing in halves). Every account's
password is ``demo``.

The school year runs 1 September to 31 May. From June to August the demo is the year just
finished: its last five weeks of lessons, all marked and graded, as a family rereads them in
the summer. On 1 September it is the new year's first day: the timetable's first two weeks,
nothing marked or graded yet."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from tortoise import connections
from tortoise.transactions import in_transaction

import models
from demo import chats, data
from demo.groups import ROOMS, Split, group_slots, join, seed_groups
from demo.notices import seed_notice_board
from resolvers import grades as grading
from resolvers import lesson_plan, school_days
from resolvers.core import today_utc
from resolvers.passwords import hash_password

DISTRICT = "Demo District"
TIMEZONE = "Europe/Moscow"
SCHOOLS = {"School No. 1": ["5A", "5B", "6A", "6B", "7A"], "School No. 2": ["5A", "6A", "7A"]}
PERIODS_PER_DAY = 7
BATCH = 2000


def academic_year_start(today: date) -> date:
    """1 September of the school year ``today`` belongs to (in summer: of the year just finished)."""
    return date(today.year if today.month >= 9 else today.year - 1, 9, 1)


@dataclass
class _Plan:
    """Ids and facts gathered while seeding, to link later rows."""

    rng: random.Random
    password_hash: str
    today: date


def roll_attendance(rng: random.Random, present: float, late: float, excused: float) -> models.AttendanceStatus:
    """A random mark: PRESENT below ``present``, LATE below ``late``, ABSENT_EXCUSED below
    ``excused`` (cumulative probabilities), else ABSENT_UNEXCUSED."""
    roll = rng.random()
    if roll < present:
        return models.AttendanceStatus.PRESENT
    if roll < late:
        return models.AttendanceStatus.LATE
    if roll < excused:
        return models.AttendanceStatus.ABSENT_EXCUSED
    return models.AttendanceStatus.ABSENT_UNEXCUSED


async def seed_demo(today: date | None = None, students_per_class: int = 25) -> bool:
    """Create the demo district unless it exists. Returns whether it was created."""
    if await models.District.exists(name=DISTRICT):
        return False
    plan = _Plan(random.Random(20260901), hash_password("demo"), today or today_utc())
    async with in_transaction():
        await _seed(plan, students_per_class)
        await grading.rebuild()  # the dashboards' sums of what was just loaded
    # Fresh statistics after a bulk load, as autovacuum would later: without them the planner
    # assumes empty tables and picks scans that only fit empty tables.
    connection = connections.get("default")
    await connection.execute_script("ANALYZE")
    return True


async def reset_database() -> None:
    """Delete every row of every table, children first (for ``seed --reset``)."""
    order = [
        models.AccessRequest,
        models.NotificationDelivery,
        models.Notification,
        models.NotificationSettings,
        models.NotifierCursor,
        models.MeetingResponse,
        models.MeetingClass,
        models.Meeting,
        models.Announcement,
        models.ChatEvent,
        models.ChatMember,
        models.Message,
        models.Chat,
        models.OutboxEvent,
        models.AuditEntry,
        models.RosterKey,
        models.Remark,
        models.Attendance,
        models.Grade,
        models.Homework,
        models.Lesson,
        models.TimetableSlot,
        models.TeachingAssignment,
        models.GroupMembership,
        models.ClassGroupClass,
        models.ClassGroup,
        models.Guardianship,
        models.Enrollment,
        models.Student,
        models.RefreshToken,
        models.LoginAttempt,
        models.RoleGrant,
        models.SchoolClass,
        models.Subject,
        models.BellPeriod,
        models.ShortDay,
        models.DayOff,
        models.Term,
        models.AcademicYear,
        models.School,
        models.District,
        models.User,
    ]
    async with in_transaction():
        await grading.clear()
        for model in order:
            await model.all().delete()


async def _user(plan: _Plan, login: str, full_name: str) -> models.User:
    return await models.User.create(login=login, full_name=full_name, password_hash=plan.password_hash)


def _person(rng: random.Random, girl: bool) -> tuple[str, str]:
    """(first name, surname) with the surname's gendered form."""
    surname = rng.choice(data.SURNAMES)
    return (rng.choice(data.GIRLS), surname + "a") if girl else (rng.choice(data.BOYS), surname)


def _calendar(year: int) -> tuple[list[tuple[str, int, date, date]], list[tuple[str, str, date, date]]]:
    terms = [
        ("Quarter 1", 1, date(year, 9, 1), date(year, 10, 26)),
        ("Quarter 2", 2, date(year, 11, 5), date(year, 12, 28)),
        ("Quarter 3", 3, date(year + 1, 1, 12), date(year + 1, 3, 22)),
        ("Quarter 4", 4, date(year + 1, 4, 1), date(year + 1, 5, 31)),
    ]
    days_off = [
        # The summers either side of the year, so that a diary opened in summer says so.
        ("VACATION", "Summer vacation", date(year, 6, 1), date(year, 8, 31)),
        ("VACATION", "Autumn vacation", date(year, 10, 27), date(year, 11, 4)),
        ("HOLIDAY", "National Unity Day", date(year, 11, 4), date(year, 11, 4)),
        ("VACATION", "Winter vacation", date(year, 12, 29), date(year + 1, 1, 11)),
        ("HOLIDAY", "Defender of the Fatherland Day", date(year + 1, 2, 23), date(year + 1, 2, 23)),
        ("HOLIDAY", "International Women's Day", date(year + 1, 3, 8), date(year + 1, 3, 8)),
        ("VACATION", "Spring vacation", date(year + 1, 3, 23), date(year + 1, 3, 31)),
        ("HOLIDAY", "Spring and Labour Day", date(year + 1, 5, 1), date(year + 1, 5, 1)),
        ("HOLIDAY", "Victory Day", date(year + 1, 5, 9), date(year + 1, 5, 9)),
        ("VACATION", "Summer vacation", date(year + 1, 6, 1), date(year + 1, 8, 31)),
    ]
    return terms, days_off


def _bells(minutes: int, breaks: list[int]) -> list[tuple[time, time]]:
    start = datetime.combine(date(2000, 1, 1), time(8, 30))
    out = []
    for number in range(PERIODS_PER_DAY):
        end = start + timedelta(minutes=minutes)
        out.append((start.time(), end.time()))
        start = end + timedelta(minutes=breaks[number % len(breaks)])
    return out


async def _seed(plan: _Plan, per_class: int) -> None:
    rng = plan.rng
    district = await models.District.create(name=DISTRICT)
    await models.RoleGrant.create(
        user=await _user(plan, "district", "Galina Sergeevna Orlova"),
        role=models.Role.DISTRICT_ADMIN,
        district=district,
    )
    for school_number, (school_name, class_names) in enumerate(SCHOOLS.items(), start=1):
        await _seed_school(plan, district, school_number, school_name, class_names, per_class)
    await _seed_remarks(plan)
    await _seed_access_requests(plan)
    await seed_notice_board(plan.today)
    await chats.seed_chats(await models.School.get(name=next(iter(SCHOOLS))))
    del rng


async def _seed_school(
    plan: _Plan, district: models.District, number: int, name: str, class_names: list[str], per_class: int
) -> None:
    rng = plan.rng
    school = await models.School.create(
        district=district, name=name, timezone=TIMEZONE, kind_weights=dict(data.KIND_WEIGHTS)
    )
    start = academic_year_start(plan.today)
    year = await models.AcademicYear.create(
        school=school, name=f"{start.year}/{start.year + 1}", start_date=start, end_date=date(start.year + 1, 5, 31)
    )
    terms, days_off_spec = _calendar(start.year)
    await models.Term.bulk_create(
        [
            models.Term(academic_year=year, school=school, name=n, number=k, start_date=a, end_date=b)
            for n, k, a, b in terms
        ]
    )
    days_off = [
        models.DayOff(school=school, kind=models.DayOffKind(k), name=n, start_date=a, end_date=b)
        for k, n, a, b in days_off_spec
    ]
    await models.DayOff.bulk_create(days_off)
    if number == 1:  # the last day before the winter vacation follows the shortened bells
        await models.ShortDay.create(school=school, date=date(start.year, 12, 28), name="Last day before the holidays")
    regular = _bells(45, [10, 20, 20, 10, 10, 10])
    for variant, periods in ((models.BellVariant.REGULAR, regular), (models.BellVariant.SHORTENED, _bells(30, [10]))):
        for i, (a, b) in enumerate(periods):
            await models.BellPeriod.create(
                school=school,
                variant=variant,
                number=i + 1,
                start_minute=a.hour * 60 + a.minute,
                end_minute=b.hour * 60 + b.minute,
            )
    subjects = {s: await models.Subject.create(school=school, name=s) for s in data.SUBJECT_HOURS}

    admin_login = "admin" if number == 1 else f"admin{number}"
    admin = await _user(plan, admin_login, "Natalia Viktorovna Belova" if number == 1 else "Igor Olegovich Frolov")
    await models.RoleGrant.create(user=admin, role=models.Role.SCHOOL_ADMIN, school=school)

    # Teachers: each teaches one subject in at most two classes; in School No. 1 the demo
    # `teacher` teaches only mathematics in 5A and 6B.
    classes: dict[str, models.SchoolClass] = {}
    for class_name in class_names:
        classes[class_name] = await models.SchoolClass.create(
            school=school, academic_year=year, grade_level=int(class_name[:-1]), letter=class_name[-1]
        )
    teacher_of: dict[tuple[str, str], models.User] = {}
    counter = 0
    for subject in data.SUBJECT_HOURS:
        taught = [c for c in class_names if data.SUBJECT_HOURS[subject][int(c[:-1])] > 0]
        if number == 1 and subject == "Mathematics":
            groups = [["5A", "6B"], ["5B", "6A"], ["7A"]]
        else:
            groups = [taught[i : i + 2] for i in range(0, len(taught), 2)]
        for group in groups:
            counter += 1
            girl = rng.random() < 0.75
            first, surname = _person(rng, girl)
            _father, son, daughter = rng.choice(data.FATHERS)
            patronymic = daughter if girl else son
            login = "teacher" if number == 1 and group == ["5A", "6B"] else f"t{number}.{counter:02d}"
            user = await _user(plan, login, f"{first} {patronymic} {surname}")
            await models.RoleGrant.create(user=user, role=models.Role.TEACHER, school=school)
            for class_name in group:
                teacher_of[(class_name, subject)] = user
                await models.TeachingAssignment.create(
                    teacher=user, school_class=classes[class_name], subject=subjects[subject]
                )
    demo_teacher_ids = {u.id for (c, s), u in teacher_of.items() if u.login == "teacher"}
    for class_name, klass in classes.items():
        candidates = sorted({u.id for (c, _s), u in teacher_of.items() if c == class_name} - demo_teacher_ids)
        klass.homeroom_teacher_id = candidates[0]
        await klass.save(update_fields=["homeroom_teacher_id"])

    split = (
        await seed_groups(school, year, classes, subjects, teacher_of, plan.password_hash) if number == 1 else Split()
    )
    slots = _timetable(rng, class_names, teacher_of, start)
    placed = group_slots(split, slots, {k: u.id for k, u in teacher_of.items()}, PERIODS_PER_DAY)
    # Each class has its own room: 101, 102, ... in School No. 1, 201, ... in School No. 2.
    rooms = {c: str(100 * number + 1 + i) for i, c in enumerate(class_names)}
    await models.TimetableSlot.bulk_create(
        [
            models.TimetableSlot(
                school_class=classes[c],
                subject=subjects[s],
                teacher_id=teacher,
                group=group,
                weekday=w,
                period=p,
                room=ROOMS.get(group.name, rooms[c]) if group else rooms[c],
                valid_from=start,
            )
            for c, s, w, p, group, teacher in placed
        ]
    )
    students = await _seed_people(plan, school, number, classes, per_class, start)
    await join(split, students, start)
    await _seed_lessons(plan, school, year, classes, subjects, students, split.members)


def _timetable(
    rng: random.Random, class_names: list[str], teacher_of: dict[tuple[str, str], models.User], start: date
) -> list[tuple[str, str, int, int]]:
    """(class, subject, weekday 1-5, period): each subject spread over distinct days, no
    teacher in two places at once."""
    busy: set[tuple[int, int, int]] = set()
    slots: list[tuple[str, str, int, int]] = []
    for index, class_name in enumerate(class_names):
        level = int(class_name[:-1])
        per_day: dict[int, list[str]] = defaultdict(list)
        hours = sorted(((h[level], s) for s, h in data.SUBJECT_HOURS.items() if h[level]), reverse=True)
        for count, subject in hours:
            days = sorted(range(1, 6), key=lambda d: (len(per_day[d]), (d + index) % 5))[:count]
            for day in days:
                per_day[day].append(subject)
        for day in range(1, 6):
            subjects = per_day[day]
            rng.shuffle(subjects)
            for subject in subjects:
                teacher = teacher_of[(class_name, subject)].id
                period = next(
                    p
                    for p in range(1, PERIODS_PER_DAY + 1)
                    if (teacher, day, p) not in busy and all((c, d, q) != (class_name, day, p) for c, _s, d, q in slots)
                )
                busy.add((teacher, day, period))
                slots.append((class_name, subject, day, period))
    del start
    return slots


async def _seed_people(
    plan: _Plan, school: models.School, number: int, classes: dict[str, models.SchoolClass], per_class: int, start: date
) -> dict[str, list[models.Student]]:
    rng = plan.rng
    users: list[models.User] = []
    specs = []  # (class, student login, name, guardian logins+names)
    demo_family = ""
    for class_name in classes:
        for n in range(1, per_class + 1):
            girl = rng.random() < 0.5
            first, surname = _person(rng, girl)
            base = f"{number}-{class_name.lower()}-{n:02d}"
            student_login = f"s{base}"
            mother_login, father_login = f"p{base}", f"p{base}f"
            if number == 1 and class_name == "5A" and n == 1:
                student_login, mother_login = "student", "parent"
            elif number == 1 and class_name == "5A" and n == 2:
                mother_login = "parent2"
            family = surname[:-1] if surname.endswith("a") else surname
            if number == 1 and class_name == "5A" and n == 1:
                demo_family = family
            elif number == 1 and class_name == "6B" and n == 1:  # the demo parent's second child
                family = demo_family
                surname = family + ("a" if girl else "")
            guardians = [(mother_login, f"{rng.choice(data.MOTHERS)} {family}a")]
            if rng.random() < 0.4:
                guardians.append((father_login, f"{rng.choice(data.FATHERS)[0]} {family}"))
            specs.append((class_name, student_login, f"{first} {surname}", guardians))
    # The demo parent's second child is the first student of 6B (School No. 1).
    seen = set()
    for _class_name, student_login, full_name, guardians in specs:
        users.append(
            models.User(
                login=student_login,
                full_name=full_name,
                name_folded=models.fold_name(full_name),
                password_hash=plan.password_hash,
            )
        )
        for login, name in guardians:
            if not (number == 1 and login == "p1-6b-01") and login not in seen:
                seen.add(login)
                users.append(
                    models.User(
                        login=login,
                        full_name=name,
                        name_folded=models.fold_name(name),
                        password_hash=plan.password_hash,
                    )
                )
    await models.User.bulk_create(users, batch_size=BATCH)
    ids = dict(await models.User.filter(login__in=[u.login for u in users]).values_list("login", "id"))
    await models.RoleGrant.bulk_create(
        [models.RoleGrant(user_id=ids[s], role=models.Role.STUDENT, school=school) for _c, s, _n, _g in specs]
        + [models.RoleGrant(user_id=ids[login], role=models.Role.PARENT, school=school) for login in sorted(seen)],
        batch_size=BATCH,
    )
    await models.Student.bulk_create(
        [
            models.Student(
                user_id=ids[s],
                school=school,
                full_name=n,
                birth_date=date(start.year - int(c[:-1]) - 6, 1 + i % 12, 1 + i % 28),
            )
            for i, (c, s, n, _g) in enumerate(specs)
        ],
        batch_size=BATCH,
    )
    students = {s.user_id: s for s in await models.Student.filter(school=school)}
    by_class: dict[str, list[models.Student]] = defaultdict(list)
    enrollments, links = [], []
    for class_name, student_login, _name, guardians in specs:
        student = students[ids[student_login]]
        by_class[class_name].append(student)
        enrollments.append(models.Enrollment(student=student, school_class=classes[class_name], start_date=start))
        for login, _ in guardians:
            if number == 1 and login == "p1-6b-01":
                login = "parent"
            links.append(
                models.Guardianship(
                    guardian_id=ids[login], student=student, relation="mother" if not login.endswith("f") else "father"
                )
            )
    await models.Enrollment.bulk_create(enrollments, batch_size=BATCH)
    await models.Guardianship.bulk_create(links, batch_size=BATCH)
    return by_class


async def _seed_lessons(
    plan: _Plan,
    school: models.School,
    year: models.AcademicYear,
    classes: dict[str, models.SchoolClass],
    subjects: dict[str, models.Subject],
    students: dict[str, list[models.Student]],
    members: dict[int, set[int]],
) -> None:
    """The lessons of the timetable from five weeks ago to two weeks ahead (in summer: the
    year's last five weeks), generated by the same code as an admin's timetable change
    (``lesson_plan``), with topics up to today."""
    rng, today = plan.rng, plan.today
    anchor = min(today, year.end_date)
    first, last = max(year.start_date, anchor - timedelta(weeks=5)), min(year.end_date, anchor + timedelta(weeks=2))
    class_names = {c.id: n for n, c in classes.items()}
    subject_names = {s.id: n for n, s in subjects.items()}
    slots = await models.TimetableSlot.filter(school_class_id__in=[c.id for c in classes.values()]).order_by("id")
    plans = sorted(
        await lesson_plan.slot_plans(slots), key=lambda p: (class_names[p.slot.school_class_id], p.slot.period)
    )
    calendars = await school_days.load_calendars([school.id])
    lessons = lesson_plan.plan_lessons(plans, calendars, first, last)
    topic_index: dict[tuple[int, int, int], int] = defaultdict(int)
    for lesson in lessons:
        if lesson.date <= today:
            topics = data.TOPICS[subject_names[lesson.subject_id]]
            key = (lesson.school_class_id, lesson.subject_id, lesson.group_id or 0)
            lesson.topic = topics[topic_index[key] // 2 % len(topics)]
            topic_index[key] += 1
    await models.Lesson.bulk_create(lessons, batch_size=BATCH)
    saved = await models.Lesson.filter(school_class_id__in=[c.id for c in classes.values()]).order_by("id")
    # The demo children (the first two of 5A and the first of 6B in School No. 1: `student`,
    # the child of `parent2`, the second child of `parent`) are graded in mathematics and
    # about half their other lessons over the last ten school days, so that their diaries
    # show recent grades whatever today is.
    recent = set(sorted({lesson.date for lesson in saved if lesson.date < today})[-10:])
    demo_children = (
        {students[c][i].id for c, i in (("5A", 0), ("5A", 1), ("6B", 0)) if len(students.get(c, [])) > i}
        if school.name == "School No. 1"
        else set()
    )
    homework, attendance, grades = [], [], []
    for lesson in saved:
        subject = subject_names[lesson.subject_id]
        if rng.random() < 0.35:
            text = rng.choice(data.HOMEWORK[subject]).format(
                n=rng.randint(100, 400), m=rng.randint(401, 700), p=rng.randint(10, 200), q=rng.randint(201, 250)
            )
            links = [rng.choice(data.LINKS).format(n=rng.randint(1000, 9999))] if rng.random() < 0.3 else []
            homework.append(models.Homework(lesson=lesson, text=text, links=links, assigned_by_id=lesson.teacher_id))
        if lesson.date >= today:
            continue
        group = members.get(lesson.group_id) if lesson.group_id is not None else None
        for student in students[class_names[lesson.school_class_id]]:
            if group is not None and student.id not in group:
                continue  # a group's lesson: its members only
            status = roll_attendance(rng, 0.93, 0.95, 0.98)
            attendance.append(
                models.Attendance(
                    student=student,
                    lesson=lesson,
                    date=lesson.date,
                    status=status,
                    marked_by_id=lesson.teacher_id,
                    late_minutes=rng.randint(3, 15) if status == models.AttendanceStatus.LATE else None,
                    reason="Illness" if status == models.AttendanceStatus.ABSENT_EXCUSED else None,
                )
            )
            featured = (
                student.id in demo_children
                and lesson.date in recent
                and (subject == "Mathematics" or lesson.period % 2 == 1)
            )
            if status in (models.AttendanceStatus.PRESENT, models.AttendanceStatus.LATE) and (
                rng.random() < 0.25 or featured
            ):
                value = rng.choices(["5", "4", "3", "2"], weights=[35, 38, 20, 7])[0]
                kind_roll = rng.random()
                kind = (
                    models.GradeKind.CLASSWORK
                    if kind_roll < 0.8
                    else models.GradeKind.TEST
                    if kind_roll < 0.95
                    else models.GradeKind.CONTROL_WORK
                )
                weight = data.KIND_WEIGHTS.get(kind.value, 1)
                grades.append(
                    models.Grade(
                        student=student,
                        subject_id=lesson.subject_id,
                        school_class_id=lesson.school_class_id,
                        lesson=lesson,
                        teacher_id=lesson.teacher_id,
                        date=lesson.date,
                        value=value,
                        numeric_value=float(value),
                        weight=weight,
                        kind=kind,
                        created_at=lesson.ends_at,
                        comment=rng.choice(data.COMMENTS) if rng.random() < 0.15 else None,
                    )
                )
    await models.Homework.bulk_create(homework, batch_size=BATCH)
    await models.Attendance.bulk_create(attendance, batch_size=BATCH)
    await models.Grade.bulk_create(grades, batch_size=BATCH)


DEMO_REMARKS = [
    (models.RemarkKind.PRAISE, True, "Excellent solution at the board, explained clearly to the class."),
    (models.RemarkKind.MISSING_WORK, False, "Did not bring the exercise book; the homework is to be shown tomorrow."),
]


async def _seed_remarks(plan: _Plan) -> None:
    """Two remarks by the demo teacher for each demo family's child (one about a recent
    mathematics lesson, one general), the older one already acknowledged by the guardian."""
    teacher = await models.User.get(login="teacher")
    links = (
        await models.Guardianship.filter(guardian__login__in=["parent", "parent2"])
        .select_related("guardian")
        .order_by("student_id")
    )
    remarks = []
    for link in links:
        enrollment = await models.Enrollment.filter(student_id=link.student_id, end_date__isnull=True).first()
        if enrollment is None:
            continue
        lessons = (
            await models.Lesson.filter(
                school_class_id=enrollment.school_class_id, subject__name="Mathematics", date__lt=plan.today
            )
            .order_by("-date", "-period")
            .limit(3)
        )
        if len(lessons) < 3:
            continue
        for (kind, about_lesson, text), lesson in zip(DEMO_REMARKS, (lessons[0], lessons[2]), strict=True):
            acknowledged = lesson is lessons[2]
            remarks.append(
                models.Remark(
                    student_id=link.student_id,
                    school_class_id=enrollment.school_class_id,
                    author_id=teacher.id,
                    subject_id=lesson.subject_id if about_lesson else None,
                    lesson_id=lesson.id if about_lesson else None,
                    kind=kind,
                    text=text,
                    date=lesson.date,
                    acknowledged_at=lesson.ends_at + timedelta(hours=5) if acknowledged else None,
                    acknowledged_by_id=link.guardian_id if acknowledged else None,
                )
            )
    await models.Remark.bulk_create(remarks)


async def _seed_access_requests(plan: _Plan) -> None:
    """The login `applicant` (no role yet) with two requests to School No. 1 for `admin` to
    decide: one for a child of 6A, submitted this morning (approve it: the child appears in
    the applicant's `viewer.children`), and one overdue, for a child the school does not have
    (refuse it: NOT_STUDYING_HERE)."""
    applicant = await _user(plan, "applicant", "Svetlana Igorevna Kuznetsova")
    school = await models.School.get(name="School No. 1")
    enrollment = (
        await models.Enrollment.filter(school_class__school_id=school.id, school_class__grade_level=6)
        .filter(school_class__letter="A")
        .select_related("student")
        .order_by("student__full_name")
        .first()
    )
    if enrollment is None or enrollment.student.birth_date is None:
        return
    child = enrollment.student
    morning = datetime.combine(plan.today, time(6, 0), tzinfo=UTC)
    four_days_ago = morning - timedelta(days=4)
    await models.AccessRequest.bulk_create(
        [
            models.AccessRequest(
                applicant_id=applicant.id,
                school_id=school.id,
                child_full_name=child.full_name,
                child_birth_date=child.birth_date,
                birth_certificate_number="V-IK 612345",
                identity_document="Passport 4512 654321",
                relation=models.GuardianRelation.MOTHER,
                consent_at=morning,
                submitted_at=morning,
                due_at=morning + timedelta(hours=72),
            ),
            models.AccessRequest(
                applicant_id=applicant.id,
                school_id=school.id,
                child_full_name="Timur Olegovich Kuznetsov",
                child_birth_date=date(plan.today.year - 9, 3, 14),
                birth_certificate_number="V-IK 734512",
                identity_document="Passport 4512 654321",
                relation=models.GuardianRelation.MOTHER,
                consent_at=four_days_ago,
                submitted_at=four_days_ago,
                due_at=four_days_ago + timedelta(hours=72),
            ),
        ]
    )
