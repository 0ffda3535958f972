"""THE visibility rules. Nothing else in the project decides who sees or writes what.

Scopes are pre-filtered querysets built from the viewer's user id alone, so a visibility
decision is a subquery of the same statement that loads the data: there is no cached
notion of "my children" that could outlive a revoked guardianship or role.

Who sees which students:
- a district admin: every student of every school of their district;
- a school admin: every student of their school;
- a teacher: the students enrolled (at any time) in a class they teach or lead as
  homeroom teacher, with their whole diary;
- a parent: their children, while the guardianship is not revoked;
- a student: themself.
Classes, lessons, grades, homework and attendance are visible through the students and
classes above; nested fields inherit their parent's visibility.
Remarks are narrower (``visible_remarks``): the family, the teachers of the class the
remark was written in, and the school's admins.

Who writes: a teacher grades a student only in a lesson of a class + subject they are
assigned to, or in a lesson they give (a substitute), for a student enrolled in that class on
the lesson's date;
homework is set by the teachers of the lesson's class + subject (or the lesson's own
teacher) and changed by its author or those teachers; a remark is written by any teacher of
the student's current class; the family (not the school) acknowledges it. A lesson's
register is marked by the teacher giving it (a substitute too) or one assigned to its class
+ subject, and read by them, the class's homeroom teacher and the school's admins (families see their
own child's marks in the diary). Absence notices are sent and withdrawn only by a child's
guardians (unrevoked), and read by whoever sees the child.

Who runs a school: its school admins and the district admins of its district create and
change its subjects, classes, students, enrolments and teaching assignments; a district
admin alone creates schools and changes their settings. Another school's objects are not
there for them (``administered_schools``).
Access requests (a family asking to be linked to a child) are read only by the applicant
and the admins of the school asked: they carry the child's and the applicant's documents.
Who runs a school's calendar and timetable (years, terms, days off, bells, slots, lesson
cancellations and substitutions): its school admins, and the district admins of its district
(``administered_schools``); everyone else is refused at the gate (``require_admin``), and
another school's objects are not found. Whoever sees a class sees its weekly timetable.
Who administers accounts: a school admin manages the accounts of everyone holding a role in
their school (issue, reset, deactivate), imports its roster and reads its audit log; a
district admin does the same for every school of their district (``administered_users``),
except for people who also administer what the viewer does not. A deactivated account, or
one waiting for a password change, is refused by the permission classes and its live
streams see nothing (``live``)."""

from __future__ import annotations

from datetime import date
from typing import Any, TypeVar

from tortoise.expressions import Q, RawSQL, Subquery
from tortoise.models import Model
from tortoise.queryset import QuerySet

import models
from resolvers.clock import today_utc
from resolvers.clock import today_utc as date_today
from resolvers.context import Viewer
from resolvers.errors import Forbidden, Unauthenticated

NOBODY = -1  # a user id that matches no row: the scope of an anonymous viewer is empty


def _uid(viewer: Viewer) -> int:
    return viewer.user_id if viewer.user_id is not None else NOBODY


def _grant_schools(uid: int, *roles: models.Role) -> QuerySet[models.RoleGrant]:
    return models.RoleGrant.filter(user_id=uid, role__in=list(roles), school_id__isnull=False)


def _district_schools(uid: int) -> QuerySet[models.School]:
    districts = models.RoleGrant.filter(user_id=uid, role=models.Role.DISTRICT_ADMIN).values("district_id")
    return models.School.filter(district_id__in=Subquery(districts))


def _admin_school_q(uid: int, field: str = "school_id") -> Q:
    """Schools the viewer administers, directly or through their district."""
    admin = _grant_schools(uid, models.Role.SCHOOL_ADMIN).values("school_id")
    district = _district_schools(uid).values("id")
    by_grant: dict[str, Any] = {f"{field}__in": Subquery(admin)}
    by_district: dict[str, Any] = {f"{field}__in": Subquery(district)}
    return Q(**by_grant) | Q(**by_district)


def _taught_class_ids(uid: int) -> Q:
    """Classes the viewer teaches a subject in, or leads as homeroom teacher (as a filter on ``id``)."""
    assigned = models.TeachingAssignment.filter(teacher_id=uid).values("school_class_id")
    homeroom = models.SchoolClass.filter(homeroom_teacher_id=uid).values("id")
    return Q(id__in=Subquery(assigned)) | Q(id__in=Subquery(homeroom))


def _own_student_ids(uid: int) -> QuerySet[models.Student]:
    return models.Student.filter(user_id=uid)


def _children_ids(uid: int) -> QuerySet[models.Guardianship]:
    return models.Guardianship.filter(guardian_id=uid, revoked_at__isnull=True)


def visible_students(viewer: Viewer) -> QuerySet[models.Student]:
    uid = _uid(viewer)
    taught_classes = models.SchoolClass.filter(_taught_class_ids(uid)).values("id")
    taught_students = models.Enrollment.filter(school_class_id__in=Subquery(taught_classes)).values("student_id")
    return models.Student.filter(
        Q(user_id=uid)
        | Q(id__in=Subquery(_children_ids(uid).values("student_id")))
        | Q(id__in=Subquery(taught_students))
        | _admin_school_q(uid)
    )


def children(viewer: Viewer) -> QuerySet[models.Student]:
    """The viewer's own children (unrevoked guardianships): a subset of ``visible_students``
    that needs none of its other branches."""
    return models.Student.filter(id__in=Subquery(_children_ids(_uid(viewer)).values("student_id")))


def visible_classes(viewer: Viewer) -> QuerySet[models.SchoolClass]:
    uid = _uid(viewer)
    family = Q(user_id=uid) | Q(id__in=Subquery(_children_ids(uid).values("student_id")))
    family_classes = models.Enrollment.filter(
        student_id__in=Subquery(models.Student.filter(family).values("id"))
    ).values("school_class_id")
    return models.SchoolClass.filter(_taught_class_ids(uid) | Q(id__in=Subquery(family_classes)) | _admin_school_q(uid))


def visible_schools(viewer: Viewer) -> QuerySet[models.School]:
    uid = _uid(viewer)
    staff = _grant_schools(uid, models.Role.TEACHER, models.Role.SCHOOL_ADMIN).values("school_id")
    family = Q(user_id=uid) | Q(id__in=Subquery(_children_ids(uid).values("student_id")))
    family_schools = models.Student.filter(family).values("school_id")
    return models.School.filter(
        Q(id__in=Subquery(staff)) | Q(id__in=Subquery(family_schools)) | _admin_school_q(uid, "id")
    )


def followable_classes(viewer: Viewer) -> QuerySet[models.SchoolClass]:
    """Classes whose live events (every student's grades) the viewer may follow: the ones
    they teach or lead, and those of the schools they administer. Not a parent's class."""
    uid = _uid(viewer)
    return models.SchoolClass.filter(_taught_class_ids(uid) | _admin_school_q(uid))


def visible_lessons(viewer: Viewer) -> QuerySet[models.Lesson]:
    """Lessons of the visible classes, and the lessons the viewer gives or was planned to
    give (a substitute sees the lesson they stand in for without teaching the class)."""
    uid = _uid(viewer)
    return models.Lesson.filter(
        Q(school_class_id__in=Subquery(visible_classes(viewer).values("id")))
        | Q(teacher_id=uid)
        | Q(original_teacher_id=uid)
    )


def visible_grades(viewer: Viewer) -> QuerySet[models.Grade]:
    """The grades of the students the viewer sees, removed ones included: a removed grade
    stays visible as removed, with who removed it, when and why."""
    return models.Grade.filter(student_id__in=Subquery(visible_students(viewer).values("id")))


def visible_homework(viewer: Viewer) -> QuerySet[models.Homework]:
    """Homework of visible lessons; removed homework is gone for everyone."""
    return models.Homework.filter(lesson_id__in=Subquery(visible_lessons(viewer).values("id")), deleted_at__isnull=True)


def visible_remarks(viewer: Viewer) -> QuerySet[models.Remark]:
    """Remarks are for the family and the school, not for everyone who can see the student:
    the student themself and their active guardians; the teachers of the class the remark
    was written in (any subject, or its homeroom teacher); the school's admins. A teacher who
    taught the child in another class does not read remarks written there."""
    uid = _uid(viewer)
    family = Q(user_id=uid) | Q(id__in=Subquery(_children_ids(uid).values("student_id")))
    taught = models.SchoolClass.filter(_taught_class_ids(uid)).values("id")
    admin_classes = models.SchoolClass.filter(_admin_school_q(uid)).values("id")
    return models.Remark.filter(
        Q(student_id__in=Subquery(models.Student.filter(family).values("id")))
        | Q(school_class_id__in=Subquery(taught))
        | Q(school_class_id__in=Subquery(admin_classes))
    )


def acknowledgeable_remarks(viewer: Viewer) -> QuerySet[models.Remark]:
    """Remarks the viewer may acknowledge as read: their own, or their children's (while the
    guardianship is active). Teachers and admins read remarks but do not acknowledge them."""
    uid = _uid(viewer)
    family = Q(user_id=uid) | Q(id__in=Subquery(_children_ids(uid).values("student_id")))
    return models.Remark.filter(student_id__in=Subquery(models.Student.filter(family).values("id")))


def visible_subjects(viewer: Viewer) -> QuerySet[models.Subject]:
    return models.Subject.filter(school_id__in=Subquery(visible_schools(viewer).values("id")))


def visible_users(viewer: Viewer) -> QuerySet[models.User]:
    """Themself, and the staff (teachers, admins) of the schools the viewer can see.

    Parents and students of other families are never reachable by id."""
    uid = _uid(viewer)
    staff = models.RoleGrant.filter(
        role__in=[models.Role.TEACHER, models.Role.SCHOOL_ADMIN],
        school_id__in=Subquery(visible_schools(viewer).values("id")),
    ).values("user_id")
    return models.User.filter(Q(id=uid) | Q(id__in=Subquery(staff)))


def visible_absence_notices(viewer: Viewer) -> QuerySet[models.AbsenceNotice]:
    """Notices of the visible students: the family, the child's teachers, the admins."""
    return models.AbsenceNotice.filter(student_id__in=Subquery(visible_students(viewer).values("id")))


def own_absence_notices(viewer: Viewer) -> QuerySet[models.AbsenceNotice]:
    """Notices the viewer may change: those of their own children (unrevoked guardianship)."""
    return models.AbsenceNotice.filter(student_id__in=Subquery(_children_ids(_uid(viewer)).values("student_id")))


def visible_terms(viewer: Viewer) -> QuerySet[models.Term]:
    return models.Term.filter(school_id__in=Subquery(visible_schools(viewer).values("id")))


def visible_term_grades(viewer: Viewer) -> QuerySet[models.TermGrade]:
    """Final grades have the audience of the student's grades: the family, the teachers of
    the student's classes, the admins of the school and its district."""
    return models.TermGrade.filter(student_id__in=Subquery(visible_students(viewer).values("id")))


def stats_schools(viewer: Viewer) -> QuerySet[models.School]:
    """Schools whose dashboard (aggregates over all their classes) the viewer reads: the
    school's admins and its district's. Not teachers: a teacher reads their own classes
    through the journal and the students' progress, not the whole school's figures."""
    return models.School.filter(_admin_school_q(_uid(viewer), "id"))


def at_risk_schools(viewer: Viewer) -> QuerySet[models.School]:
    """Schools whose at-risk list (students named, with their averages and absences) the
    viewer reads: the school's own admins only. A district admin reads aggregates."""
    admin = _grant_schools(_uid(viewer), models.Role.SCHOOL_ADMIN).values("school_id")
    return models.School.filter(id__in=Subquery(admin))


def visible_districts(viewer: Viewer) -> QuerySet[models.District]:
    """Districts the viewer administers (and whose aggregates they read): no other district."""
    grants = models.RoleGrant.filter(user_id=_uid(viewer), role=models.Role.DISTRICT_ADMIN).values("district_id")
    return models.District.filter(id__in=Subquery(grants))


def journal_classes(viewer: Viewer, subject_id: int) -> QuerySet[models.SchoolClass]:
    """Classes whose journal of ``subject_id`` (every student's grades and attendance on one
    grid) the viewer may read: the teachers assigned to that class + subject, and the admins
    of the school or its district. Not parents, students, homeroom or other teachers: a
    journal shows the whole class, which only those who keep or supervise it may see."""
    uid = _uid(viewer)
    assigned = models.TeachingAssignment.filter(teacher_id=uid, subject_id=subject_id).values("school_class_id")
    return models.SchoolClass.filter(Q(id__in=Subquery(assigned)) | _admin_school_q(uid))


def administered_classes(viewer: Viewer) -> QuerySet[models.SchoolClass]:
    return models.SchoolClass.filter(_admin_school_q(_uid(viewer)))


def administered_lessons(viewer: Viewer) -> QuerySet[models.Lesson]:
    """Lessons an admin may cancel, restore or give to a substitute: those of their schools."""
    return models.Lesson.filter(school_class_id__in=Subquery(administered_classes(viewer).values("id")))


def visible_slots(viewer: Viewer) -> QuerySet[models.TimetableSlot]:
    """The timetable of the visible classes: whoever sees a class sees its weekly timetable."""
    return models.TimetableSlot.filter(school_class_id__in=Subquery(visible_classes(viewer).values("id")))


def visible_academic_years(viewer: Viewer) -> QuerySet[models.AcademicYear]:
    return models.AcademicYear.filter(school_id__in=Subquery(visible_schools(viewer).values("id")))


def visible_days_off(viewer: Viewer) -> QuerySet[models.DayOff]:
    return models.DayOff.filter(school_id__in=Subquery(visible_schools(viewer).values("id")))


def visible_short_days(viewer: Viewer) -> QuerySet[models.ShortDay]:
    return models.ShortDay.filter(school_id__in=Subquery(visible_schools(viewer).values("id")))


# --- checks -------------------------------------------------------------------------


STAFF_ROLES = (models.Role.TEACHER, models.Role.SCHOOL_ADMIN, models.Role.DISTRICT_ADMIN)


async def family_view(viewer: Viewer) -> frozenset[int] | None:
    """For a viewer who is only family (a parent, a student), the ids of every student they
    see: two such viewers with the same set see exactly the same data, so what is computed
    for one can be shown to the other. ``None`` for staff, whose view is their own. Empty
    for an account that is deactivated or must change its password (``live``)."""
    if any(role in STAFF_ROLES for role in await viewer.roles()):
        return None
    return frozenset(int(str(i)) for i in await live(visible_students(viewer), viewer).values_list("id", flat=True))


async def require_role(viewer: Viewer, role: models.Role, refusal: str) -> int:
    """The coarse gate of a write: logged in (else UNAUTHENTICATED) and holding ``role`` (else
    FORBIDDEN with ``refusal``). Returns the user id. Which objects they may touch is decided
    after, by the scopes: a refusal there looks like "not found"."""
    if viewer.user_id is None:
        raise Unauthenticated("Log in first.")
    if role not in await viewer.roles():
        raise Forbidden(refusal)
    return viewer.user_id


async def can_set_homework(viewer: Viewer, lesson: models.Lesson) -> bool:
    """The viewer teaches the lesson's class + subject, or gives this very lesson (a substitute)."""
    if viewer.user_id is None:
        return False
    if lesson.teacher_id == viewer.user_id:
        return True
    return await models.TeachingAssignment.exists(
        teacher_id=viewer.user_id, school_class_id=lesson.school_class_id, subject_id=lesson.subject_id
    )


async def can_change_homework(viewer: Viewer, homework: models.Homework, lesson: models.Lesson) -> bool:
    """Its author, or a teacher of its class + subject (a colleague taking over the class)."""
    if viewer.user_id is None:
        return False
    return homework.assigned_by_id == viewer.user_id or await models.TeachingAssignment.exists(
        teacher_id=viewer.user_id, school_class_id=lesson.school_class_id, subject_id=lesson.subject_id
    )


async def can_remark(viewer: Viewer, class_id: int) -> bool:
    """The viewer teaches any subject in the class, or is its homeroom teacher."""
    if viewer.user_id is None:
        return False
    return await models.SchoolClass.filter(_taught_class_ids(viewer.user_id), id=class_id).exists()


async def current_class_id(student_id: int, day: date) -> int | None:
    """The class the student is enrolled in on ``day``, if any."""
    enrollment = (
        await models.Enrollment.filter(
            Q(end_date__isnull=True) | Q(end_date__gte=day), student_id=student_id, start_date__lte=day
        )
        .order_by("-start_date", "-id")
        .first()
    )
    return enrollment.school_class_id if enrollment else None


async def can_grade_in(viewer: Viewer, lesson: models.Lesson) -> bool:
    """The viewer gives the lesson (a substitute too) or is assigned to its class + subject."""
    return await can_mark(viewer, lesson)


async def gradable_students(viewer: Viewer, lesson: models.Lesson, ids: set[int]) -> set[int]:
    """Of ``ids``, the students the viewer may grade in the lesson: enrolled in its class on its
    date and seen by the viewer, or, for the teacher giving it (a substitute who does not
    otherwise teach the class), every student of its register."""
    enrolled = await enrolled_on(lesson.school_class_id, lesson.date) & ids
    if viewer.user_id is not None and lesson.teacher_id == viewer.user_id:
        return enrolled
    found = await visible_students(viewer).filter(id__in=enrolled).values_list("id", flat=True)
    return {int(str(v)) for v in found}


async def can_mark(viewer: Viewer, lesson: models.Lesson) -> bool:
    """The viewer gives the lesson (also as a substitute) or is assigned to its class + subject."""
    if viewer.user_id is None:
        return False
    if lesson.teacher_id == viewer.user_id:
        return True
    return await models.TeachingAssignment.exists(
        teacher_id=viewer.user_id, school_class_id=lesson.school_class_id, subject_id=lesson.subject_id
    )


async def register_readable(viewer: Viewer, lessons: list[models.Lesson]) -> set[int]:
    """Ids of the ``lessons`` whose register (every student's mark with its history) the
    viewer reads: the lesson's teachers (giving it, planned to, assigned to its class +
    subject), the class's homeroom teacher, and the admins of its school. Families see
    their own child's marks in the diary instead. Two statements for any number of lessons."""
    uid = _uid(viewer)
    if not lessons or uid == NOBODY:
        return set()
    class_ids = {lesson.school_class_id for lesson in lessons}
    assigned = await models.TeachingAssignment.filter(teacher_id=uid, school_class_id__in=class_ids).values(
        "school_class_id", "subject_id"
    )
    pairs = {(row["school_class_id"], row["subject_id"]) for row in assigned}
    led = await models.SchoolClass.filter(Q(homeroom_teacher_id=uid) | _admin_school_q(uid), id__in=class_ids).values(
        "id"
    )
    staff = {row["id"] for row in led}
    return {
        lesson.id
        for lesson in lessons
        if uid in (lesson.teacher_id, lesson.original_teacher_id)
        or (lesson.school_class_id, lesson.subject_id) in pairs
        or lesson.school_class_id in staff
    }


async def enrolled_on(class_id: int, day: date) -> set[int]:
    """Ids of the students enrolled in the class on the day."""
    rows = await models.Enrollment.filter(
        Q(end_date__isnull=True) | Q(end_date__gte=day), school_class_id=class_id, start_date__lte=day
    ).values("student_id")
    return {int(row["student_id"]) for row in rows}


# --- administration -----------------------------------------------------------------


ADMIN_ROLES = (models.Role.SCHOOL_ADMIN, models.Role.DISTRICT_ADMIN)


async def require_admin(viewer: Viewer, refusal: str) -> int:
    """The coarse gate of an administrative write: a school or district admin (else FORBIDDEN).
    Which schools they may touch is ``administered_schools``: another school is "not found"."""
    if viewer.user_id is None:
        raise Unauthenticated("Log in first.")
    if not any(role in ADMIN_ROLES for role in await viewer.roles()):
        raise Forbidden(refusal)
    return viewer.user_id


def administered_schools(viewer: Viewer) -> QuerySet[models.School]:
    """Schools the viewer runs (structure, calendar, timetable): as their school admin, or as
    admin of their district (a district sets holidays for its schools)."""
    return models.School.filter(_admin_school_q(_uid(viewer), "id"))


def district_schools(viewer: Viewer) -> QuerySet[models.School]:
    """Schools whose settings the viewer changes: those of the districts they administer."""
    return _district_schools(_uid(viewer))


def administered_districts(viewer: Viewer) -> QuerySet[models.District]:
    districts = models.RoleGrant.filter(user_id=_uid(viewer), role=models.Role.DISTRICT_ADMIN).values("district_id")
    return models.District.filter(id__in=Subquery(districts))


def visible_access_requests(viewer: Viewer) -> QuerySet[models.AccessRequest]:
    """The applicant's own requests, and every request to a school the viewer administers.
    Nobody else (not the school's teachers, not another school's or district's admins)."""
    uid = _uid(viewer)
    return models.AccessRequest.filter(Q(applicant_id=uid) | _admin_school_q(uid))


def reviewable_access_requests(viewer: Viewer) -> QuerySet[models.AccessRequest]:
    """Requests the viewer approves or refuses: those to the schools they administer."""
    return models.AccessRequest.filter(_admin_school_q(_uid(viewer)))


def own_access_requests(viewer: Viewer) -> QuerySet[models.AccessRequest]:
    """Requests the viewer submitted (and may withdraw)."""
    return models.AccessRequest.filter(applicant_id=_uid(viewer))


# --- announcements, meetings, notifications ----------------------------------------
#
# An announcement is read by its audience within its school (school-wide) or its class:
# EVERYONE = the school's (class's) teachers, the parents of its current students and the
# students themselves; PARENTS, STUDENTS, TEACHERS = only those. The school's admins (and
# its district's) and the author read every one. The school's admins post anything; a
# class's homeroom teacher posts for that class.
# A meeting is seen by its organiser, the school's admins, the teachers of an invited class
# (who all read every answer) and the parents of the invited classes' current students
# (who answer, and read their own answer only).
# A notification is its recipient's alone, and shown only while its source still is.


def _current(day: date) -> QuerySet[models.Enrollment]:
    return models.Enrollment.filter(Q(end_date__isnull=True) | Q(end_date__gte=day), start_date__lte=day)


def _audience_q(school_ids: Any, class_ids: Any, *audiences: models.Audience) -> Q:
    """Announcements for ``audiences`` of one of the schools (school-wide) or of one of the classes."""
    return Q(audience__in=list(audiences)) & (
        (Q(school_class_id__isnull=True) & Q(school_id__in=Subquery(school_ids)))
        | Q(school_class_id__in=Subquery(class_ids))
    )


def visible_announcements(viewer: Viewer) -> QuerySet[models.Announcement]:
    uid = _uid(viewer)
    today = date_today()
    children = _children_ids(uid).values("student_id")
    own = models.Student.filter(user_id=uid).values("id")
    everyone, parents, students, teachers = (
        models.Audience.EVERYONE,
        models.Audience.PARENTS,
        models.Audience.STUDENTS,
        models.Audience.TEACHERS,
    )
    as_parent = _audience_q(
        models.Student.filter(id__in=Subquery(children)).values("school_id"),
        _current(today).filter(student_id__in=Subquery(children)).values("school_class_id"),
        everyone,
        parents,
    )
    as_student = _audience_q(
        models.Student.filter(user_id=uid).values("school_id"),
        _current(today).filter(student_id__in=Subquery(own)).values("school_class_id"),
        everyone,
        students,
    )
    as_teacher = _audience_q(
        _grant_schools(uid, models.Role.TEACHER).values("school_id"),
        models.SchoolClass.filter(_taught_class_ids(uid)).values("id"),
        everyone,
        teachers,
    )
    return models.Announcement.filter(
        as_parent | as_student | as_teacher | Q(author_id=uid) | _admin_school_q(uid), deleted_at__isnull=True
    )


def manageable_announcements(viewer: Viewer) -> QuerySet[models.Announcement]:
    """Announcements the viewer may change or remove: their own, those of the schools they
    administer, and those of the classes they lead as homeroom teacher."""
    uid = _uid(viewer)
    led = models.SchoolClass.filter(homeroom_teacher_id=uid).values("id")
    return models.Announcement.filter(
        Q(author_id=uid) | _admin_school_q(uid) | Q(school_class_id__in=Subquery(led)), deleted_at__isnull=True
    )


async def can_post_for(viewer: Viewer, school_id: int, class_ids: list[int]) -> bool:
    """A school admin posts (announcements, meetings) for the school or any of its classes; a
    homeroom teacher for the classes they lead (every one of ``class_ids``)."""
    if await administered_schools(viewer).filter(id=school_id).exists():
        return True
    if not class_ids:
        return False
    led = await models.SchoolClass.filter(id__in=class_ids, homeroom_teacher_id=_uid(viewer)).count()
    return led == len(set(class_ids))


async def announcement_recipients(row: models.Announcement) -> set[int]:
    """The users in an announcement's audience (as ``visible_announcements`` reads it), active,
    except its author. School admins read it too but are not notified."""
    today = date_today()
    if row.school_class_id is None:
        students = models.Student.filter(school_id=row.school_id).values("id")
        teachers = models.RoleGrant.filter(role=models.Role.TEACHER, school_id=row.school_id)
        teacher_ids = set(await teachers.values_list("user_id", flat=True))
    else:
        students = _current(today).filter(school_class_id=row.school_class_id).values("student_id")
        assigned = await models.TeachingAssignment.filter(school_class_id=row.school_class_id).values_list(
            "teacher_id", flat=True
        )
        homeroom = await models.SchoolClass.filter(id=row.school_class_id).values_list("homeroom_teacher_id", flat=True)
        teacher_ids = {*assigned, *(h for h in homeroom if h is not None)}
    wanted: set[Any] = set()
    if row.audience in (models.Audience.EVERYONE, models.Audience.PARENTS):
        wanted |= set(
            await models.Guardianship.filter(student_id__in=Subquery(students), revoked_at__isnull=True).values_list(
                "guardian_id", flat=True
            )
        )
    if row.audience in (models.Audience.EVERYONE, models.Audience.STUDENTS):
        wanted |= set(
            await models.Student.filter(id__in=Subquery(students), user_id__isnull=False).values_list(
                "user_id", flat=True
            )
        )
    if row.audience in (models.Audience.EVERYONE, models.Audience.TEACHERS):
        wanted |= teacher_ids
    wanted.discard(row.author_id)
    return await _active(wanted)


async def _active(user_ids: set[Any]) -> set[int]:
    if not user_ids:
        return set()
    rows = await models.User.filter(id__in=user_ids, is_active=True).values("id")
    return {int(row["id"]) for row in rows}


def _invited_parent_classes(uid: int) -> Any:
    return _current(date_today()).filter(student_id__in=Subquery(_children_ids(uid).values("student_id")))


def staffed_meetings(viewer: Viewer) -> QuerySet[models.Meeting]:
    """Meetings the viewer sees as staff, with every parent's answer: the organiser, the
    school's admins, the teachers (and homeroom teacher) of an invited class."""
    uid = _uid(viewer)
    taught = models.SchoolClass.filter(_taught_class_ids(uid)).values("id")
    invited = models.MeetingClass.filter(school_class_id__in=Subquery(taught)).values("meeting_id")
    return models.Meeting.filter(Q(organiser_id=uid) | _admin_school_q(uid) | Q(id__in=Subquery(invited)))


def respondable_meetings(viewer: Viewer) -> QuerySet[models.Meeting]:
    """Meetings the viewer is invited to as a parent (a child currently in an invited class)."""
    classes = _invited_parent_classes(_uid(viewer)).values("school_class_id")
    invited = models.MeetingClass.filter(school_class_id__in=Subquery(classes)).values("meeting_id")
    return models.Meeting.filter(id__in=Subquery(invited))


def visible_meetings(viewer: Viewer) -> QuerySet[models.Meeting]:
    return models.Meeting.filter(
        Q(id__in=Subquery(staffed_meetings(viewer).values("id")))
        | Q(id__in=Subquery(respondable_meetings(viewer).values("id")))
    )


def organised_meetings(viewer: Viewer) -> QuerySet[models.Meeting]:
    """Meetings the viewer may change or cancel: their own and those of the schools they administer."""
    uid = _uid(viewer)
    return models.Meeting.filter(Q(organiser_id=uid) | _admin_school_q(uid))


async def meeting_recipients(meeting: models.Meeting) -> set[int]:
    """The parents invited to a meeting (active guardians of the invited classes' current
    students), except its organiser."""
    classes = models.MeetingClass.filter(meeting_id=meeting.id).values("school_class_id")
    students = _current(date_today()).filter(school_class_id__in=Subquery(classes)).values("student_id")
    guardians = await models.Guardianship.filter(
        student_id__in=Subquery(students), revoked_at__isnull=True
    ).values_list("guardian_id", flat=True)
    return await _active(set(guardians) - {meeting.organiser_id})


async def families(student_ids: set[int]) -> dict[int, set[int]]:
    """For each student, the users who follow their diary: the active guardians (guardianship
    not revoked) and the student's own login. Two statements for any number of students."""
    if not student_ids:
        return {}
    links = await models.Guardianship.filter(
        student_id__in=student_ids, revoked_at__isnull=True, guardian__is_active=True
    ).values_list("student_id", "guardian_id")
    own = await models.Student.filter(id__in=student_ids, user_id__isnull=False, user__is_active=True).values_list(
        "id", "user_id"
    )
    found: dict[int, set[int]] = {i: set() for i in student_ids}
    for student_id, user_id in [*links, *own]:
        found[int(student_id)].add(int(user_id))
    return found


def visible_notifications(viewer: Viewer) -> QuerySet[models.Notification]:
    """The viewer's own notifications whose source they may still see: the student of a diary
    event, the announcement, the meeting, the chat message (a member no more: not shown)."""
    return models.Notification.filter(
        Q(chat_message_id__isnull=True) | Q(chat_message_id__in=Subquery(visible_messages(viewer).values("id"))),
        Q(student_id__isnull=True) | Q(student_id__in=Subquery(visible_students(viewer).values("id"))),
        Q(announcement_id__isnull=True) | Q(announcement_id__in=Subquery(visible_announcements(viewer).values("id"))),
        Q(meeting_id__isnull=True) | Q(meeting_id__in=Subquery(visible_meetings(viewer).values("id"))),
        user_id=_uid(viewer),
    )


def inbox(viewer: Viewer) -> QuerySet[models.Notification]:
    """What the viewer's inbox shows: visible notifications of the categories they want in-app."""
    return visible_notifications(viewer).filter(in_app=True)


def visible_deliveries(viewer: Viewer) -> QuerySet[models.NotificationDelivery]:
    """E-mail and SMS deliveries, for the admins of the school the notification concerns."""
    schools = administered_schools(viewer).values("id")
    notifications = models.Notification.filter(school_id__in=Subquery(schools)).values("id")
    return models.NotificationDelivery.filter(notification_id__in=Subquery(notifications))


# --- chats ----------------------------------------------------------------------------


def _current_enrollments(**filters: Any) -> QuerySet[models.Enrollment]:
    today = today_utc()
    return models.Enrollment.filter(Q(end_date__isnull=True) | Q(end_date__gte=today), start_date__lte=today, **filters)


def _class_teachers(class_ids: Subquery) -> Q:
    """Users teaching a subject in, or leading, one of ``class_ids`` (a filter on ``User.id``)."""
    assigned = models.TeachingAssignment.filter(school_class_id__in=class_ids).values("teacher_id")
    homeroom = models.SchoolClass.filter(id__in=class_ids, homeroom_teacher_id__isnull=False).values(
        "homeroom_teacher_id"
    )
    return Q(id__in=Subquery(assigned)) | Q(id__in=Subquery(homeroom))


def _school_people(school_ids: Subquery) -> Q:
    """Everyone of the schools (a filter on ``User.id``): staff, students with a login, and the
    active guardians of their students."""
    staff = models.RoleGrant.filter(
        role__in=[models.Role.TEACHER, models.Role.SCHOOL_ADMIN], school_id__in=school_ids
    ).values("user_id")
    students = models.Student.filter(school_id__in=school_ids, user_id__isnull=False).values("user_id")
    guardians = models.Guardianship.filter(
        revoked_at__isnull=True,
        student_id__in=Subquery(models.Student.filter(school_id__in=school_ids).values("id")),
    ).values("guardian_id")
    return Q(id__in=Subquery(staff)) | Q(id__in=Subquery(students)) | Q(id__in=Subquery(guardians))


def reachable_users(viewer: Viewer) -> QuerySet[models.User]:
    """The people the viewer may start a chat with or add to one (never themself, never a
    deactivated account). Same school only:
    - staff (teachers, school admins; district admins over their district's schools) reach
      everyone of their schools;
    - a parent reaches the teachers (any subject, and the homeroom teacher) of their
      children's current classes, the active guardians of those classes' students, the
      administration of their children's schools, and their own children's logins;
    - a student reaches the teachers of their current class, their classmates (with a login),
      and their own guardians.
    A parent never reaches students other than their own children."""
    uid = _uid(viewer)
    staff_schools = Subquery(
        models.School.filter(
            Q(id__in=Subquery(_grant_schools(uid, models.Role.TEACHER, models.Role.SCHOOL_ADMIN).values("school_id")))
            | _admin_school_q(uid, "id")
        ).values("id")
    )
    child_ids = Subquery(_children_ids(uid).values("student_id"))
    child_classes = Subquery(_current_enrollments(student_id__in=child_ids).values("school_class_id"))
    class_students = Subquery(_current_enrollments(school_class_id__in=child_classes).values("student_id"))
    child_schools = Subquery(models.Student.filter(id__in=child_ids).values("school_id"))
    class_guardians = models.Guardianship.filter(revoked_at__isnull=True, student_id__in=class_students)
    admins = models.RoleGrant.filter(role=models.Role.SCHOOL_ADMIN, school_id__in=child_schools)
    own_children = models.Student.filter(id__in=child_ids, user_id__isnull=False)
    parent_reach = (
        _class_teachers(child_classes)
        | Q(id__in=Subquery(class_guardians.values("guardian_id")))
        | Q(id__in=Subquery(admins.values("user_id")))
        | Q(id__in=Subquery(own_children.values("user_id")))
    )
    own = Subquery(_own_student_ids(uid).values("id"))
    own_classes = Subquery(_current_enrollments(student_id__in=own).values("school_class_id"))
    classmates = Subquery(_current_enrollments(school_class_id__in=own_classes).values("student_id"))
    classmate_users = models.Student.filter(id__in=classmates, user_id__isnull=False)
    own_guardians = models.Guardianship.filter(revoked_at__isnull=True, student_id__in=own)
    student_reach = (
        _class_teachers(own_classes)
        | Q(id__in=Subquery(classmate_users.values("user_id")))
        | Q(id__in=Subquery(own_guardians.values("guardian_id")))
    )
    return models.User.filter(_school_people(staff_schools) | parent_reach | student_reach, is_active=True).exclude(
        id=uid
    )


def school_people(school_id: int) -> QuerySet[models.User]:
    """Everyone of one school: a chat's members all belong to its school."""
    return models.User.filter(_school_people(Subquery(models.School.filter(id=school_id).values("id"))))


def visible_chats(viewer: Viewer) -> QuerySet[models.Chat]:
    """Chats the viewer is a current member of; deleted chats are not there for anyone. A
    member who left or was removed sees nothing of the chat from then on."""
    mine = models.ChatMember.filter(user_id=_uid(viewer), removed_at__isnull=True).values("chat_id")
    return models.Chat.filter(id__in=Subquery(mine), deleted_at__isnull=True)


def visible_messages(viewer: Viewer) -> QuerySet[models.Message]:
    """Messages (tombstones included) of the visible chats."""
    return models.Message.filter(chat_id__in=Subquery(visible_chats(viewer).values("id")))


async def chat_membership(viewer: Viewer, chat_id: int) -> models.ChatMember | None:
    """The viewer's current membership of a chat that is not deleted, if any."""
    return await models.ChatMember.filter(
        chat_id=chat_id, user_id=_uid(viewer), removed_at__isnull=True, chat__deleted_at__isnull=True
    ).first()


def administered_users(viewer: Viewer) -> QuerySet[models.User]:
    """Accounts the viewer manages: anyone holding a role (teacher, admin, parent, student)
    in an administered school, unless they also administer something the viewer does not (a
    school admin elsewhere, a district admin of another district, or of the viewer's own
    district when the viewer is only a school admin): resetting their password would hand
    the viewer that other school or district."""
    uid = _uid(viewer)
    grants = models.RoleGrant.filter(_admin_school_q(uid)).values("user_id")
    own_districts = models.RoleGrant.filter(user_id=uid, role=models.Role.DISTRICT_ADMIN).values("district_id")
    admin_elsewhere = (
        models.RoleGrant.filter(role=models.Role.SCHOOL_ADMIN).exclude(_admin_school_q(uid)).values("user_id")
    )
    district_admins = (
        models.RoleGrant.filter(role=models.Role.DISTRICT_ADMIN)
        .exclude(district_id__in=Subquery(own_districts))
        .values("user_id")
    )
    return models.User.filter(id__in=Subquery(grants)).exclude(
        Q(id__in=Subquery(admin_elsewhere)) | Q(id__in=Subquery(district_admins))
    )


async def in_good_standing(viewer: Viewer) -> bool:
    """The account is active and not waiting for a password change, read fresh (never cached)."""
    if viewer.user_id is None:
        return False
    return await models.User.exists(id=viewer.user_id, is_active=True, must_change_password=False)


M = TypeVar("M", bound=Model)


def live(scope: QuerySet[M], viewer: Viewer) -> QuerySet[M]:
    """``scope``, empty once the viewer's account is deactivated or waiting for a password
    change: what a live stream re-checks before every event, in the same one statement (the
    id is an integer, never text from a client)."""
    standing = RawSQL(
        f"(SELECT COUNT(*) FROM user_account WHERE id = {int(_uid(viewer))} "
        "AND is_active = TRUE AND must_change_password = FALSE)"
    )
    return scope.annotate(viewer_standing=standing).filter(viewer_standing=1)
