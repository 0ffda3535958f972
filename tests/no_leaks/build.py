"""Rows from a ``Spec`` (``build``) and their removal (``tear_down``), through the ORM."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from tortoise.expressions import Q

import models
from resolvers.core import now_utc, today_utc
from tests.no_leaks.world import (
    AUDIENCES,
    CLASSES_PER_SCHOOL,
    MOVE_DAYS_AGO,
    PERIODS,
    SERIAL,
    SUBJECTS_PER_SCHOOL,
    TRANSFER_DAYS_AGO,
    Spec,
    World,
    attends,
    grade,
    new_user,
)


async def _schools(world: World, spec: Spec, tag: str, today: date) -> None:
    for i in range(spec.schools):
        school = await models.School.create(district=world.district, name=f"School {i} {tag}")
        year = await models.AcademicYear.create(
            school=school, name=f"Y {tag}", start_date=today - timedelta(days=200), end_date=today + timedelta(days=150)
        )
        world.years.append(year)
        world.terms.append(
            await models.Term.create(
                academic_year=year,
                school=school,
                name="Term 1",
                number=1,
                start_date=today - timedelta(days=120),
                end_date=today + timedelta(days=60),
            )
        )
        world.schools.append(school)
        for j in range(SUBJECTS_PER_SCHOOL):
            world.subjects.append(await models.Subject.create(school=school, name=f"S{j}"))
        for letter in "AB"[:CLASSES_PER_SCHOOL]:
            world.classes.append(
                await models.SchoolClass.create(school=school, academic_year=year, grade_level=5, letter=letter)
            )


def _subject(world: World, class_index: int, s: int) -> models.Subject:
    return world.subjects[class_index // CLASSES_PER_SCHOOL * SUBJECTS_PER_SCHOOL + s]


async def _people(world: World, spec: Spec, tag: str, today: date, now: datetime) -> list[models.User]:
    teachers = []
    for i, s in enumerate(spec.teacher_schools):
        teacher = await new_user(tag, f"teacher{i}")
        await models.RoleGrant.create(user=teacher, role=models.Role.TEACHER, school=world.schools[s])
        world.teacher_school[teacher.id] = world.schools[s].id
        teachers.append(teacher)
    for t, c, s in spec.assignments:
        world.assignments.append(
            await models.TeachingAssignment.create(
                teacher=teachers[t], school_class=world.classes[c], subject=_subject(world, c, s)
            )
        )
    for c, t in spec.homerooms.items():
        world.classes[c].homeroom_teacher_id = teachers[t].id
        await world.classes[c].save(update_fields=["homeroom_teacher_id"])
    world.parents = [await new_user(tag, f"parent{i}") for i in range(spec.parents)]
    student_users: list[models.User] = []
    for i, (first, moved_to, login) in enumerate(spec.student_classes):
        final = world.classes[moved_to if moved_to is not None else first]
        user = await new_user(tag, f"student{i}") if login else None
        if user is not None:
            student_users.append(user)
        student = await models.Student.create(school_id=final.school_id, full_name=f"Student {i} {tag}", user=user)
        world.students.append(student)
        start = today - timedelta(days=100)
        switch = today - timedelta(days=TRANSFER_DAYS_AGO)
        world.enrollments.append(
            await models.Enrollment.create(
                student=student,
                school_class=world.classes[first],
                start_date=start,
                end_date=None if moved_to is None else switch,
            )
        )
        if moved_to is not None:
            world.enrollments.append(
                await models.Enrollment.create(
                    student=student, school_class=final, start_date=switch + timedelta(days=1)
                )
            )
    for p, s, revoked in spec.guardianships:
        world.guardianships.append(
            await models.Guardianship.create(
                guardian=world.parents[p], student=world.students[s], revoked_at=now if revoked else None
            )
        )
    for user_id, role, school_id in sorted(
        {
            (g.guardian_id, models.Role.PARENT, s.school_id)
            for g in world.guardianships
            for s in world.students
            if s.id == g.student_id
        }
        | {(s.user_id, models.Role.STUDENT, s.school_id) for s in world.students if s.user_id is not None}
    ):
        await models.RoleGrant.create(user_id=user_id, role=role, school_id=school_id)
        world.family_grants.setdefault(user_id, set()).add(school_id)
    admin = await new_user(tag, "admin")
    await models.RoleGrant.create(user=admin, role=models.Role.SCHOOL_ADMIN, school=world.schools[0])
    world.school_admin[admin.id] = world.schools[0].id
    district_admin = await new_user(tag, "district")
    if spec.district_admin:
        await models.RoleGrant.create(user=district_admin, role=models.Role.DISTRICT_ADMIN, district=world.district)
        world.district_admins.add(district_admin.id)
    world.users = [*teachers, *world.parents, *student_users, admin, district_admin]
    return teachers


def _enrolled(world: World, student_id: int, lesson: models.Lesson) -> bool:
    return any(
        e.student_id == student_id
        and e.school_class_id == lesson.school_class_id
        and e.start_date <= lesson.date
        and (e.end_date is None or lesson.date <= e.end_date)
        for e in world.enrollments
    )


async def _diary(world: World, spec: Spec, teachers: list[models.User], tag: str, today: date, now: datetime) -> None:
    for n, (days, t) in enumerate(zip(spec.lesson_days, spec.lesson_teachers, strict=True)):
        c, s = divmod(n, SUBJECTS_PER_SCHOOL)
        day = today - timedelta(days=days)
        starts = datetime.combine(day, time(9, 0), tzinfo=UTC)
        world.lessons.append(
            await models.Lesson.create(
                school_class=world.classes[c],
                subject=_subject(world, c, s),
                teacher=teachers[t],
                date=day,
                period=1 + s,
                starts_at=starts + timedelta(hours=s),
                ends_at=starts + timedelta(hours=s, minutes=45),
            )
        )
    for s, n in spec.grades:  # as gradeCreate allows: in a lesson of the class the child was in that day
        student = world.students[s]
        held = [x for x in world.lessons if _enrolled(world, student.id, x)]
        if held:
            world.grades.append(await grade(student, held[n % len(held)]))
    for s, j in spec.term_grades:  # a transferred child's first subject's in its old class, the other's in the new one
        student = world.students[s]
        own = [e for e in world.enrollments if e.student_id == student.id]
        current = own[j % len(own)]
        c = next(i for i, k in enumerate(world.classes) if k.id == current.school_class_id)
        term = world.terms[c // CLASSES_PER_SCHOOL]
        world.term_grades.append(
            await models.TermGrade.create(
                student=student,
                subject=_subject(world, c, j),
                school_class_id=current.school_class_id,
                academic_year_id=term.academic_year_id,
                term=term,
                period_key=f"term:{term.id}",
                teacher=teachers[0],
                value="5",
                numeric_value=5.0,
            )
        )
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
        await _file(world, tag, now, lesson.teacher_id, homework_id=world.homework[-1].id)
        await _file(world, tag, now, lesson.teacher_id)  # an upload its teacher never attached
        pupil = next((s for s in world.students if _enrolled(world, s.id, lesson)), None)
        if pupil is not None:  # the work of a child in the lesson, with a file: read as the homework's teachers do
            work = await models.Submission.create(
                homework=world.homework[-1],
                student=pupil,
                text=f"Work {tag}",
                status=models.SubmissionStatus.LATE,
                late=True,
                submitted_at=now,
            )
            world.submissions.append(work)
            await _file(world, tag, now, pupil.user_id or lesson.teacher_id, submission_id=work.id)
    # An assessment announced on each homework lesson (called off with removed homework): the lessons
    # are past, which the reads do not mind.
    for n in sorted({n for n, _removed in spec.homework}):
        lesson = world.lessons[n]
        world.assessments.append(
            await models.PlannedAssessment.create(
                lesson=lesson,
                kind=models.GradeKind.TEST,
                description=f"Test {tag}",
                planned_by_id=lesson.teacher_id,
                cancelled_at=now if all(r for m, r in spec.homework if m == n) else None,
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
        await _file(world, tag, now, teachers[t].id, remark_id=world.remarks[-1].id)
    for g in spec.notices:
        link = world.guardianships[g]
        world.notices.append(
            await models.AbsenceNotice.create(
                student_id=link.student_id,
                created_by_id=link.guardian_id,
                kind=models.AbsenceNoticeKind.BY_DAY,
                start_date=today + timedelta(days=2),
                end_date=today + timedelta(days=3),
                reason=f"Notice {tag}",
            )
        )
        for day in (today + timedelta(days=2), today + timedelta(days=3)):
            await models.AbsenceNoticeItem.create(notice=world.notices[-1], student_id=link.student_id, date=day)
        await _file(world, tag, now, link.guardian_id, absence_notice_id=world.notices[-1].id)  # a doctor's note


async def _file(world: World, tag: str, now: datetime, uploaded_by_id: int, **owner: int) -> None:
    """A file ``uploaded_by_id`` uploaded, attached to the owner given (``remark_id=...``), or a
    pending upload (no owner): the reads see it through its owner's ``attachments`` and ``node``,
    and download it (its bytes are put by the test: ``reads.probe_downloads``)."""
    attached: dict[str, Any] = dict(owner)
    world.files.append(
        await models.StoredFile.create(
            key=secrets.token_hex(16),
            name=f"Worksheet {tag}.pdf",
            uploaded_by_id=uploaded_by_id,
            size=9,
            content_type="application/pdf",
            uploaded_at=now,
            expires_at=now + timedelta(days=1),
            attached_at=now if owner else None,
            **attached,
        )
    )


async def _school_life(world: World, spec: Spec, teachers: list[models.User], tag: str, now: datetime) -> None:
    admin = world.users[-2]
    for school, klass, audience, author in spec.announcements:
        world.announcements.append(
            await models.Announcement.create(
                school=world.schools[school],
                school_class=None if klass is None else world.classes[klass],
                audience=AUDIENCES[audience],
                title=f"News {tag}",
                body="Body",
                author=admin if author is None else teachers[author],
            )
        )
        await _file(world, tag, now, world.announcements[-1].author_id, announcement_id=world.announcements[-1].id)
    for school, invited, organiser, cancelled in spec.meetings:
        starts = now + timedelta(days=5)
        meeting = await models.Meeting.create(
            school=world.schools[school],
            title=f"Meeting {tag}",
            starts_at=starts,
            ends_at=starts + timedelta(hours=1),
            organiser=admin if organiser is None else teachers[organiser],
            cancelled_at=now if cancelled else None,
        )
        for c in invited:
            await models.MeetingClass.create(meeting=meeting, school_class=world.classes[c])
        world.meetings.append(meeting)
        world.invited[meeting.id] = {world.classes[c].id for c in invited}
    for p, school in spec.access_requests:
        world.access_requests.append(
            await models.AccessRequest.create(
                applicant=world.parents[p],
                school=world.schools[school],
                child_full_name=f"Child {tag}",
                child_birth_date=date(2015, 3, 1),
                birth_certificate_number="V-IK 612345",
                identity_document="Passport 4512 654321",
                relation=models.GuardianRelation.MOTHER,
                consent_at=now,
                submitted_at=now,
                due_at=now + timedelta(hours=72),
            )
        )
    for u, s in spec.notifications:
        student = None if s is None else world.students[s]
        world.notifications.append(
            await models.Notification.create(
                user=world.users[u % len(world.users)],
                kind="GRADE_ADDED" if student else "ANNOUNCEMENT_PUBLISHED",
                category=models.NotificationCategory.GRADES,
                school_id=student.school_id if student else world.schools[0].id,
                student=student,
            )
        )
        world.deliveries.append(
            await models.NotificationDelivery.create(
                notification=world.notifications[-1],
                channel=models.Channel.EMAIL,
                status=models.DeliveryStatus.FAILED,
                next_attempt_at=now,
            )
        )
    for i, (chat_school, members) in enumerate(spec.chats):
        chat = await models.Chat.create(
            school=world.schools[chat_school], title=f"Chat {i} {tag}", created_by=admin, last_activity_at=now
        )
        world.chats.append(chat)
        seen: set[int] = set()
        for u, removed in members:  # the first standing member is the chat's admin
            user = world.users[u % len(world.users)]
            if user.id in seen:
                continue
            seen.add(user.id)
            head = not removed and not any(m.is_admin for m in world.members if m.chat_id == chat.id)
            world.members.append(
                await models.ChatMember.create(
                    chat=chat, user=user, joined_at=now, removed_at=now if removed else None, is_admin=head
                )
            )
        head_id = next((m.user_id for m in world.members if m.chat_id == chat.id and m.is_admin), admin.id)
        world.messages.append(await models.Message.create(chat=chat, author_id=head_id, text=f"Hello {tag}"))
        await _file(world, tag, now, head_id, message_id=world.messages[-1].id)
        for member in [m for m in world.members if m.chat_id == chat.id]:  # each (removed ones too) was told
            world.notifications.append(
                await models.Notification.create(
                    user_id=member.user_id,
                    kind="CHAT_MESSAGE",
                    category=models.NotificationCategory.CHAT_MESSAGES,
                    school_id=chat.school_id,
                    chat_message_id=world.messages[-1].id,
                )
            )


async def _pending_requests(world: World, tag: str, now: datetime) -> None:
    """Three more pending requests to the first school (the one with a school admin), for
    children not named in the spec: the org probes approve up to two before one is refused
    and one withdrawn."""
    for i, school in enumerate([world.schools[0]] * 3):
        world.access_requests.append(
            await models.AccessRequest.create(
                applicant=world.parents[i % len(world.parents)],
                school=school,
                child_full_name=f"Child {i} {tag}",
                child_birth_date=date(2016, 5, 1),
                birth_certificate_number=f"II-AB {700000 + i}",
                identity_document="Passport 4512 654322",
                relation=models.GuardianRelation.FATHER,
                consent_at=now,
                submitted_at=now,
                due_at=now + timedelta(hours=72),
            )
        )


async def _calendar(world: World, spec: Spec, tag: str, today: date) -> None:
    """Each school's calendar ahead of today (past days and the world's lessons stay as they are)."""
    for school, year, (holiday, shortened) in zip(world.schools, world.years, spec.calendar, strict=True):
        world.terms.append(  # after every school's first term: ``world.terms[i]`` stays school i's first
            await models.Term.create(
                academic_year=year,
                school=school,
                name="Term 2",
                number=2,
                start_date=today + timedelta(days=61),
                end_date=today + timedelta(days=100),
            )
        )
        variants = [(models.BellVariant.REGULAR, 55, 45)]
        if shortened:
            variants.append((models.BellVariant.SHORTENED, 40, 30))
            world.shortened.add(school.id)
            world.short_days.append(
                await models.ShortDay.create(school=school, date=today + timedelta(days=7), name=f"Short {tag}")
            )
        await models.BellPeriod.bulk_create(
            [
                models.BellPeriod(
                    school=school,
                    variant=variant,
                    number=n,
                    start_minute=480 + (n - 1) * step,
                    end_minute=480 + (n - 1) * step + length,
                )
                for variant, step, length in variants
                for n in range(1, PERIODS + 1)
            ]
        )
        if holiday:
            day = today + timedelta(days=40)
            world.days_off.append(
                await models.DayOff.create(
                    school=school, kind=models.DayOffKind.HOLIDAY, name=f"Holiday {tag}", start_date=day, end_date=day
                )
            )
    # one weekday + period per slot in the whole world: no two slots collide
    # a slot given to a group: one running group filed under (drawing from) the slot's class
    homes = {g.home_class_id: g.id for g in reversed(world.groups) if g.ended_on is None}
    picked = [
        (a, to_group) for a, slot, to_group in zip(world.assignments, spec.slots, spec.group_slots, strict=True) if slot
    ]
    for i, (assignment, to_group) in enumerate(picked):
        world.slots.append(
            await models.TimetableSlot.create(
                school_class_id=assignment.school_class_id,
                subject_id=assignment.subject_id,
                teacher_id=assignment.teacher_id,
                group_id=homes.get(assignment.school_class_id) if to_group else None,
                weekday=1 + i % 5,
                period=1 + i // 5,
                valid_from=today - timedelta(days=30),
            )
        )


async def _groups(world: World, spec: Spec, tag: str, today: date) -> None:
    """Class groups: a split of the school's first class, or a cross-class group of its two
    (parallel) classes; a member joins for the span of their enrolment in one of its classes."""
    for n, (school, cross, members, ended) in enumerate(spec.groups):
        classes = world.classes[school * CLASSES_PER_SCHOOL : school * CLASSES_PER_SCHOOL + (2 if cross else 1)]
        group = await models.ClassGroup.create(
            school_id=classes[0].school_id,
            academic_year_id=classes[0].academic_year_id,
            home_class=classes[0],
            name=f"G{n} {tag}",
            kind=models.GroupKind.CROSS_CLASS if cross else models.GroupKind.SPLIT,
            ended_on=today - timedelta(days=1) if ended else None,
        )
        for klass in classes:
            await models.ClassGroupClass.create(group=group, school_class=klass)
        world.groups.append(group)
        world.group_classes[group.id] = {c.id for c in classes}
        # a member the group surely has: the first child ever enrolled in one of its classes (so
        # that a group's teacher has a member's diary to reach), then the drawn ones
        first = next(
            (
                i
                for i, kid in enumerate(world.students)
                for e in world.enrollments
                if e.student_id == kid.id and e.school_class_id in world.group_classes[group.id]
            ),
            None,
        )
        drawn = [(first, 0)] if first is not None and all(m != first for m, _ in members) else []
        for s, mode in [*drawn, *members]:
            enrolled = next(
                (
                    e
                    for e in world.enrollments
                    if e.student_id == world.students[s].id and e.school_class_id in world.group_classes[group.id]
                ),
                None,
            )
            if enrolled is None:
                continue
            start, end = enrolled.start_date, enrolled.end_date
            move = today - timedelta(days=MOVE_DAYS_AGO)
            if mode == 1:  # left the group on the day of the move
                end = min(end or move, move - timedelta(days=1))
            elif mode == 2:  # joined it that day
                start = max(start, move)
            if group.ended_on is not None:
                end = min(end or group.ended_on, group.ended_on)
            if end is not None and end < start:
                continue
            world.memberships.append(
                await models.GroupMembership.create(
                    student_id=enrolled.student_id, group=group, start_date=start, end_date=end
                )
            )


async def _group_lessons(
    world: World, spec: Spec, teachers: list[models.User], tag: str, today: date, now: datetime
) -> None:
    """Each group's teacher (a teaching assignment naming the group: a group-only teacher when
    they teach the class as a whole in no assignment), its lessons (filed under its home class,
    given by its teacher or else the school's first teacher), their homework, and grades of its
    members in them (filed under the class the member was enrolled in that day)."""
    for n, (group, (t, s), lessons) in enumerate(
        zip(world.groups, spec.group_teachers, spec.group_lessons, strict=True)
    ):
        c = next(i for i, k in enumerate(world.classes) if k.id == group.home_class_id)
        subject = _subject(world, c, s)
        teacher = teachers[t] if t is not None else None
        if teacher is not None:
            world.group_assignments.append(
                await models.TeachingAssignment.create(
                    teacher=teacher, school_class_id=group.home_class_id, subject=subject, group=group
                )
            )
        teacher_id = (
            teacher.id
            if teacher is not None
            else next(u for u, x in world.teacher_school.items() if x == group.school_id)
        )
        for days, with_homework in lessons:
            day = today - timedelta(days=days)
            starts = datetime.combine(day, time(11 + n, 0), tzinfo=UTC)
            lesson = await models.Lesson.create(
                school_class_id=group.home_class_id,
                group=group,
                subject=subject,
                teacher_id=teacher_id,
                date=day,
                period=3 + n,
                starts_at=starts,
                ends_at=starts + timedelta(minutes=45),
            )
            world.group_lessons.append(lesson)
            if with_homework:
                world.group_homework.append(
                    await models.Homework.create(lesson=lesson, text=f"Group homework {tag}", assigned_by_id=teacher_id)
                )
                await _file(world, tag, now, teacher_id, homework_id=world.group_homework[-1].id)
    for s, n in spec.group_grades:
        if not world.group_lessons:
            break
        lesson = world.group_lessons[n % len(world.group_lessons)]
        student = world.students[s]
        klass = attends(world, student.id, lesson)
        if klass is not None:
            world.group_grades.append(await grade(student, lesson, klass))


async def _later_finals(world: World, teachers: list[models.User], today: date) -> None:
    """A final grade of the next term (``_calendar``'s Term 2) for each group member enrolled
    today: a group's teacher reads it only while the membership reaches that term (not one that
    ended before it: the child left the group, or the group ended)."""
    done: set[int] = set()
    for m in world.memberships:
        enrolled = next(
            (
                e
                for e in world.enrollments
                if e.student_id == m.student_id and e.start_date <= today <= (e.end_date or today)
            ),
            None,
        )
        if enrolled is None or m.student_id in done:
            continue
        done.add(m.student_id)
        c = next(i for i, k in enumerate(world.classes) if k.id == enrolled.school_class_id)
        term = world.terms[len(world.schools) + c // CLASSES_PER_SCHOOL]
        world.term_grades.append(
            await models.TermGrade.create(
                student_id=m.student_id,
                subject=_subject(world, c, 0),
                school_class_id=enrolled.school_class_id,
                academic_year_id=term.academic_year_id,
                term=term,
                period_key=f"term:{term.id}",
                teacher=teachers[0],
                value="4",
                numeric_value=4.0,
            )
        )


async def build(spec: Spec) -> World:
    tag = f"nl{next(SERIAL)}{secrets.token_hex(3)}"
    today = today_utc()
    now = now_utc()
    world = World(district=await models.District.create(name=f"District {tag}"), tag=tag)
    await _schools(world, spec, tag, today)
    teachers = await _people(world, spec, tag, today, now)
    await _groups(world, spec, tag, today)
    await _group_lessons(world, spec, teachers, tag, today, now)
    await _diary(world, spec, teachers, tag, today, now)
    await _school_life(world, spec, teachers, tag, now)
    await _pending_requests(world, tag, now)
    await _calendar(world, spec, tag, today)
    await _later_finals(world, teachers, today)
    return world


async def tear_down(world: World) -> None:
    """Remove the example's rows so examples (and other tests) never see each other's, with
    those the allowed writes added: schools of the district, their students, and the people
    given a role in them."""
    chats = [c.id for c in world.chats]
    schools = list(await models.School.filter(district_id=world.district.id).values_list("id", flat=True))
    granted = await models.RoleGrant.filter(school_id__in=schools).values_list("user_id", flat=True)
    users = list({u.id for u in world.users} | set(granted))
    students = list(await models.Student.filter(school_id__in=schools).values_list("id", flat=True))
    meetings = models.Meeting.filter(school_id__in=schools)
    await models.NotificationDelivery.filter(notification__user_id__in=users).delete()
    await models.Notification.filter(Q(user_id__in=users) | Q(student_id__in=students)).delete()
    await models.OutboxEvent.filter(student_id__in=students).delete()
    await models.Message.filter(chat_id__in=chats).delete()
    await models.ChatMember.filter(chat_id__in=chats).delete()
    await models.Chat.filter(Q(id__in=chats) | Q(school_id__in=schools)).delete()
    await models.MeetingResponse.filter(meeting__school_id__in=schools).delete()
    await models.MeetingClass.filter(meeting__school_id__in=schools).delete()
    await meetings.delete()
    await models.Announcement.filter(school_id__in=schools).delete()
    await models.AccessRequest.filter(school_id__in=schools).delete()
    await models.AbsenceNoticeItem.filter(student_id__in=students).delete()
    await models.AbsenceNotice.filter(student_id__in=students).delete()
    await models.Remark.filter(student_id__in=students).delete()
    await models.GradeRevision.filter(grade__student_id__in=students).delete()
    await models.Grade.filter(student_id__in=students).delete()
    await models.TermGradeRevision.filter(term_grade__student_id__in=students).delete()
    await models.TermGrade.filter(student_id__in=students).delete()
    await models.AttendanceRevision.filter(student_id__in=students).delete()
    await models.Attendance.filter(student_id__in=students).delete()
    await models.StoredFile.filter(id__in=[f.id for f in world.files]).delete()
    await models.Submission.filter(student_id__in=students).delete()
    await models.Homework.filter(lesson__school_class__school_id__in=schools).delete()
    await models.Lesson.filter(school_class__school_id__in=schools).delete()
    await models.TimetableSlot.filter(school_class__school_id__in=schools).delete()
    await models.DayOff.filter(school_id__in=schools).delete()
    await models.ShortDay.filter(school_id__in=schools).delete()
    await models.BellPeriod.filter(school_id__in=schools).delete()
    await models.RosterKey.filter(school_id__in=schools).delete()
    await models.Guardianship.filter(student_id__in=students).delete()
    await models.Enrollment.filter(student_id__in=students).delete()
    await models.Student.filter(id__in=students).delete()
    await models.TeachingAssignment.filter(school_class__school_id__in=schools).delete()
    await models.GroupMembership.filter(group__school_id__in=schools).delete()
    await models.ClassGroupClass.filter(group__school_id__in=schools).delete()
    await models.ClassGroup.filter(school_id__in=schools).delete()
    await models.SchoolClass.filter(school_id__in=schools).delete()
    await models.Subject.filter(school_id__in=schools).delete()
    await models.Term.filter(school_id__in=schools).delete()
    await models.AcademicYear.filter(school_id__in=schools).delete()
    await models.RoleGrant.filter(user_id__in=users).delete()
    await models.User.filter(id__in=users).delete()
    await models.School.filter(id__in=schools).delete()
    await models.District.filter(id=world.district.id).delete()
