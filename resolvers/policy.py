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
assigned to, for a student enrolled in that class on the lesson's date;
homework is set by the teachers of the lesson's class + subject (or the lesson's own
teacher) and changed by its author or those teachers; a remark is written by any teacher of
the student's current class; the family (not the school) acknowledges it. A lesson's
register is marked by the teacher giving it (a substitute too) or one assigned to its class
+ subject, and read by them, the class's homeroom teacher and the school's admins (families see their
own child's marks in the diary). Absence notices are sent and withdrawn only by a child's
guardians (unrevoked), and read by whoever sees the child.

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


def journal_classes(viewer: Viewer, subject_id: int) -> QuerySet[models.SchoolClass]:
    """Classes whose journal of ``subject_id`` (every student's grades and attendance on one
    grid) the viewer may read: the teachers assigned to that class + subject, and the admins
    of the school or its district. Not parents, students, homeroom or other teachers: a
    journal shows the whole class, which only those who keep or supervise it may see."""
    uid = _uid(viewer)
    assigned = models.TeachingAssignment.filter(teacher_id=uid, subject_id=subject_id).values("school_class_id")
    return models.SchoolClass.filter(Q(id__in=Subquery(assigned)) | _admin_school_q(uid))


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
    """Schools the viewer runs: as their school admin, or as admin of their district."""
    return models.School.filter(_admin_school_q(_uid(viewer), "id"))


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
