"""Who sees schools, classes, students and their diary: lessons, grades, homework, remarks,
attendance, terms, the calendar and timetable."""

from __future__ import annotations

from tortoise.expressions import F, Q, Subquery
from tortoise.queryset import QuerySet

import models
from resolvers import core
from resolvers.policy.diary import (
    NOBODY,
    _admin_school_q,
    _children_ids,
    _grant_schools,
    _group_pupils,
    _staffed_class_ids,
    _taught_class_ids,
    _taught_group_ids,
    _uid,
    _whole_class_ids,
    family_group_slot_ids,
    family_lesson_ids,
    group_days_ids,
    group_member_lesson_ids,
    group_term_ids,
    homework_lesson_ids,
)
from resolvers.sessions import Viewer

__all__ = [
    "acknowledgeable_remarks",
    "administered_class_groups",
    "administered_classes",
    "administered_lessons",
    "at_risk_schools",
    "children",
    "children_by_name",
    "family_students",
    "followable_classes",
    "journal_classes",
    "journal_groups",
    "journal_whole_classes",
    "listed_schools",
    "own_absence_notices",
    "stats_schools",
    "visible_absence_notices",
    "visible_academic_years",
    "visible_assessments",
    "visible_class_groups",
    "visible_classes",
    "visible_days_off",
    "visible_districts",
    "visible_enrollments",
    "visible_grades",
    "visible_group_memberships",
    "visible_homework",
    "visible_lessons",
    "visible_remarks",
    "visible_schools",
    "visible_short_days",
    "visible_slots",
    "visible_students",
    "visible_subjects",
    "visible_submissions",
    "visible_teaching_assignments",
    "visible_term_grades",
    "visible_terms",
    "visible_users",
]


def _family(uid: int) -> QuerySet[models.Student]:
    """The viewer's own record and their children (unrevoked): they see the whole diary."""
    return models.Student.filter(Q(user_id=uid) | Q(id__in=Subquery(_children_ids(uid).values("student_id"))))


def _staffed_pupils(uid: int) -> QuerySet[models.Enrollment]:
    """The enrolments in the classes the viewer teaches, leads or runs: their windows."""
    staffed = models.SchoolClass.filter(_staffed_class_ids(uid)).values("id")
    return models.Enrollment.filter(school_class_id__in=Subquery(staffed))


def visible_students(viewer: Viewer) -> QuerySet[models.Student]:
    """The family; the students ever enrolled in a class the viewer teaches as a whole, leads or
    runs (an admin: the classes of their schools, so a child who moved to another school is still
    seen by its old school, through the windows of ``policy.windows``); the members (ever) of the
    groups the viewer teaches, not the rest of their class (a group-only teacher reads the
    group's children, for the days they were in it); a school's own students for its admins."""
    uid = _uid(viewer)
    return models.Student.filter(
        Q(user_id=uid)
        | Q(id__in=Subquery(_children_ids(uid).values("student_id")))
        | Q(id__in=Subquery(_staffed_pupils(uid).values("student_id")))
        | Q(id__in=Subquery(_group_pupils(uid).values("student_id")))
        | _admin_school_q(uid)
    )


def children(viewer: Viewer) -> QuerySet[models.Student]:
    """The viewer's own children (unrevoked guardianships): a subset of ``visible_students``
    that needs none of its other branches."""
    return models.Student.filter(id__in=Subquery(_children_ids(_uid(viewer)).values("student_id")))


async def children_by_name(viewer: Viewer) -> list[models.Student]:
    """``children`` by name and id (``Viewer.children``, the first statement of every family's
    diary): the scope's SQL depends on nothing but the viewer's id, so it is compiled once per
    viewer (``core.embedded_once``) and run every time, as it stands at that moment."""
    statement, params = core.embedded_once(
        ("children_by_name", _uid(viewer)), lambda: children(viewer).order_by("full_name", "id")
    )
    return [core.hydrate(models.Student, row) for row in await core.fetch(statement, params)]


def family_students(viewer: Viewer) -> QuerySet[models.Student]:
    """The viewer's own student record and their children (unrevoked guardianships): whose
    hand-ins of homework they follow (``Homework.handIn``)."""
    return _family(_uid(viewer))


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
    they teach as a whole or lead, and those of the schools they administer. Not a parent's
    class, nor the class of a group the viewer teaches only (the other group's are not theirs)."""
    return models.SchoolClass.filter(_staffed_class_ids(_uid(viewer)))


def visible_lessons(viewer: Viewer) -> QuerySet[models.Lesson]:
    """For the staff, the lessons of the classes they teach as a whole, lead or run, with the
    lessons of the groups drawn from them (a cross-class group's lessons are filed under its home
    class), and the lessons of the groups they teach; a teacher of a group only also sees what
    its members' diaries show them (``group_member_lesson_ids``): on the days a child is a member
    of a group they teach while enrolled in one of its classes, the child's whole-class lessons
    and the lessons of the child's groups that day (as a whole-class teacher reads their class's
    children's whole diary), so what that diary reaches ``node(id:)`` returns; not the lessons of
    the class on a day none of its members is theirs, nor another group's without their member;
    for a family, the whole-class lessons of its children's classes on the days they were
    enrolled there (not the old class's after a transfer) and the lessons of the groups they
    were members of on the lesson's day (``LESSONS_OF_STUDENTS``; not another
    group's: a German-group child does not see the English group's lessons, their homework or
    assessments, nor a child who moved group the old group's after the move); and for everyone the lessons they
    give or were planned to give (a substitute sees the lesson they stand in for)."""
    uid = _uid(viewer)
    staffed = models.SchoolClass.filter(_staffed_class_ids(uid)).values("id")
    drawn = models.ClassGroupClass.filter(school_class_id__in=Subquery(staffed)).values("group_id")
    taught = _taught_group_ids(uid).values("group_id")
    return models.Lesson.filter(
        Q(school_class_id__in=Subquery(staffed))
        | Q(group_id__in=Subquery(drawn))
        | Q(group_id__in=Subquery(taught))
        | Q(id__in=group_member_lesson_ids(uid))
        | Q(id__in=family_lesson_ids(uid))
        | Q(teacher_id=uid)
        | Q(original_teacher_id=uid)
    )


def visible_assessments(viewer: Viewer) -> QuerySet[models.PlannedAssessment]:
    """The assessments announced (and not called off) for the visible lessons that take place:
    whoever sees a lesson sees what is planned for it; a cancelled lesson hides it."""
    return models.PlannedAssessment.filter(
        cancelled_at__isnull=True,
        lesson_id__in=Subquery(visible_lessons(viewer).filter(status=models.LessonStatus.SCHEDULED).values("id")),
    )


def visible_grades(viewer: Viewer) -> QuerySet[models.Grade]:
    """The grades of the students the viewer sees, removed ones included: a removed grade
    stays visible as removed, with who removed it, when and why. The family sees all of them;
    a teacher the grades given in the classes they teach or lead to the children enrolled
    there, an admin those given in the classes of their schools: of a transferred child, those
    of its enrolment in that class (``policy.windows``), not those of its other class. A teacher
    of a group only, the grades of its members' days in the group (``group_days_ids``: the
    windows of ``policy.windows``), not one given before the child joined or after they left."""
    uid = _uid(viewer)
    return models.Grade.filter(
        _in_whole_classes(uid)
        | Q(id__in=group_days_ids(uid, "grade"))
        | Q(student_id__in=Subquery(_family(uid).values("id")))
    )


def _in_whole_classes(uid: int) -> Q:
    """Rows (grades, final grades) given in a class the viewer teaches as a whole, leads or runs,
    to a child enrolled in one of them."""
    staffed = models.SchoolClass.filter(_staffed_class_ids(uid)).values("id")
    pupils = _staffed_pupils(uid).values("student_id")
    return Q(school_class_id__in=Subquery(staffed), student_id__in=Subquery(pupils))


def visible_homework(viewer: Viewer) -> QuerySet[models.Homework]:
    """Homework of visible lessons; removed homework is gone for everyone."""
    return models.Homework.filter(lesson_id__in=Subquery(visible_lessons(viewer).values("id")), deleted_at__isnull=True)


def visible_submissions(viewer: Viewer) -> QuerySet[models.Submission]:
    """Work handed in for homework that stands: the student's own and their guardians'
    (unrevoked), also after the child left the class; and the teachers who set homework for its
    due lesson (``taught_submissions``). Nobody else: not another subject's teacher of the class,
    not a group's teacher for another group's or the whole class's lessons, not the admins."""
    uid = _uid(viewer)
    return models.Submission.filter(
        Q(student_id__in=Subquery(_family(uid).values("id")))
        | Q(homework_id__in=Subquery(models.Homework.filter(lesson_id__in=homework_lesson_ids(uid)).values("id"))),
        homework_id__in=Subquery(models.Homework.filter(deleted_at__isnull=True).values("id")),
    )


def visible_remarks(viewer: Viewer) -> QuerySet[models.Remark]:
    """Remarks are for the family and the school, not for everyone who can see the student:
    the student themself and their active guardians; the teachers of the class the remark
    was written in (any subject as a whole, or its homeroom teacher); the school's admins. A
    teacher who taught the child in another class does not read remarks written there. A teacher
    of a group only reads the remarks of its members written on their days in the group
    (``group_days_ids``), not those of the rest of the class, nor of before the child joined."""
    uid = _uid(viewer)
    family = Q(user_id=uid) | Q(id__in=Subquery(_children_ids(uid).values("student_id")))
    taught = models.SchoolClass.filter(_whole_class_ids(uid)).values("id")
    admin_classes = models.SchoolClass.filter(_admin_school_q(uid)).values("id")
    return models.Remark.filter(
        Q(student_id__in=Subquery(models.Student.filter(family).values("id")))
        | Q(school_class_id__in=Subquery(taught))
        | Q(school_class_id__in=Subquery(admin_classes))
        | Q(id__in=group_days_ids(uid, "remark"))
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
    """The family's notices; for the child's teachers and admins, those with a day in one of
    their windows (``policy.windows``: an enrolment in a class they teach, lead or run), seen
    whole: a notice across a transfer day is read by both sides. A teacher of a group only reads
    the notices of its members that cover a day the child was in the group (their lessons are
    affected: ``group_days_ids``), not other children's, nor one of before the child joined."""
    uid = _uid(viewer)
    enrolled = Q(student__enrollments__end_date__isnull=True) | Q(student__enrollments__end_date__gte=F("date"))
    in_window = models.AbsenceNoticeItem.filter(
        enrolled,
        student__enrollments__school_class_id__in=Subquery(
            models.SchoolClass.filter(_staffed_class_ids(uid)).values("id")
        ),
        student__enrollments__start_date__lte=F("date"),
    ).values("notice_id")
    group_days = group_days_ids(uid, "absence_notice", first="start_date", last="end_date", classed=False)
    return models.AbsenceNotice.filter(
        Q(student_id__in=Subquery(_family(uid).values("id"))) | Q(id__in=Subquery(in_window)) | Q(id__in=group_days)
    )


def own_absence_notices(viewer: Viewer) -> QuerySet[models.AbsenceNotice]:
    """Notices the viewer may change: those of their own children (unrevoked guardianship)."""
    return models.AbsenceNotice.filter(student_id__in=Subquery(_children_ids(_uid(viewer)).values("student_id")))


def visible_terms(viewer: Viewer) -> QuerySet[models.Term]:
    return models.Term.filter(school_id__in=Subquery(visible_schools(viewer).values("id")))


def visible_term_grades(viewer: Viewer) -> QuerySet[models.TermGrade]:
    """Final grades have the audience of the student's grades: the family, the teachers of
    the class they were set in (as a whole, or its homeroom teacher) to a child enrolled there,
    the admins of its school and its district (after a transfer, the old class's final grades are
    the old side's, the new class's the new side's). A teacher of a group only reads the final
    grades of its members for a term (or a year) with a day the child was in their group
    (``group_term_ids``): not another child's of the class, nor one of a term the child spent
    outside the group (left before it began, or joined after it ended)."""
    uid = _uid(viewer)
    return models.TermGrade.filter(
        _in_whole_classes(uid) | Q(id__in=group_term_ids(uid)) | Q(student_id__in=Subquery(_family(uid).values("id")))
    )


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


def listed_schools(viewer: Viewer) -> QuerySet[models.School]:
    """The school directory: every school, by name only (``SchoolListing``), for any signed-in
    user (a family picks the school to apply to before it sees anything of it); nothing for
    anyone else."""
    return models.School.all() if viewer.user_id is not None else models.School.filter(id=NOBODY)


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


def journal_whole_classes(viewer: Viewer, subject_id: int) -> QuerySet[models.SchoolClass]:
    """Of ``journal_classes``, those whose whole journal the viewer reads: a teacher of the
    class as a whole + ``subject_id``, and the school's admins. A teacher of groups of it only
    reads a journal of those groups (``journal_groups``)."""
    uid = _uid(viewer)
    assigned = models.TeachingAssignment.filter(teacher_id=uid, subject_id=subject_id, group_id__isnull=True)
    return models.SchoolClass.filter(Q(id__in=Subquery(assigned.values("school_class_id"))) | _admin_school_q(uid))


async def journal_groups(viewer: Viewer, class_id: int, subject_id: int) -> list[int]:
    """The groups of ``class_id`` the viewer teaches ``subject_id`` to: the journal of a teacher
    of those groups only (not in ``journal_whole_classes``) holds their lessons and members."""
    rows = await models.TeachingAssignment.filter(
        teacher_id=_uid(viewer), school_class_id=class_id, subject_id=subject_id, group_id__isnull=False
    ).values_list("group_id", flat=True)
    return sorted({int(str(g)) for g in rows})


def administered_classes(viewer: Viewer) -> QuerySet[models.SchoolClass]:
    return models.SchoolClass.filter(_admin_school_q(_uid(viewer)))


def visible_enrollments(viewer: Viewer) -> QuerySet[models.Enrollment]:
    """What ``Student.enrollments`` shows: every enrolment of a student the viewer sees whole
    (``visible_students``), in whichever class or school; a class the viewer does not see is
    a face there (``Enrollment.schoolClass``). An admin who sees a child that moved schools sees
    all its enrolments, as the field lists them; the diary stays within the windows."""
    return models.Enrollment.filter(student_id__in=Subquery(visible_students(viewer).values("id")))


def visible_teaching_assignments(viewer: Viewer) -> QuerySet[models.TeachingAssignment]:
    """A teacher's own (``Viewer.teaching``), and those of the classes of the schools the viewer
    administers, who create and remove them (``teachingAssignmentCreate``/``Delete``)."""
    uid = _uid(viewer)
    return models.TeachingAssignment.filter(
        Q(teacher_id=uid) | Q(school_class_id__in=Subquery(administered_classes(viewer).values("id")))
    )


def administered_lessons(viewer: Viewer) -> QuerySet[models.Lesson]:
    """Lessons an admin may cancel, restore or give to a substitute: those of their schools."""
    return models.Lesson.filter(school_class_id__in=Subquery(administered_classes(viewer).values("id")))


def visible_slots(viewer: Viewer) -> QuerySet[models.TimetableSlot]:
    """The weekly timetable, with the audience of the lessons it makes (``visible_lessons``):
    the staff of a class (its whole-class teachers, homeroom teacher and admins) see all its
    slots and those of the groups drawn from it; a group's teacher their group's slots (a teacher
    of a group only: not the rest of the class's); a family the whole-class slots of its
    children's classes and the slots of the groups they are members of while the slot runs
    (``family_group_slot_ids``: not another group's, nor a group's a child left before the slot
    began); everyone the slots they teach."""
    uid = _uid(viewer)
    staffed = models.SchoolClass.filter(_staffed_class_ids(uid)).values("id")
    drawn = models.ClassGroupClass.filter(school_class_id__in=Subquery(staffed)).values("group_id")
    taught = _taught_group_ids(uid).values("group_id")
    family_classes = models.Enrollment.filter(student_id__in=Subquery(_family(uid).values("id"))).values(
        "school_class_id"
    )
    return models.TimetableSlot.filter(
        Q(school_class_id__in=Subquery(staffed))
        | Q(group_id__in=Subquery(drawn))
        | Q(group_id__in=Subquery(taught))
        | Q(school_class_id__in=Subquery(family_classes), group_id__isnull=True)
        | Q(group_id__isnull=False, id__in=family_group_slot_ids(uid))
        | Q(teacher_id=uid)
    )


def visible_academic_years(viewer: Viewer) -> QuerySet[models.AcademicYear]:
    return models.AcademicYear.filter(school_id__in=Subquery(visible_schools(viewer).values("id")))


def visible_days_off(viewer: Viewer) -> QuerySet[models.DayOff]:
    return models.DayOff.filter(school_id__in=Subquery(visible_schools(viewer).values("id")))


def visible_short_days(viewer: Viewer) -> QuerySet[models.ShortDay]:
    return models.ShortDay.filter(school_id__in=Subquery(visible_schools(viewer).values("id")))


def visible_class_groups(viewer: Viewer) -> QuerySet[models.ClassGroup]:
    """A class's groups are seen by whoever sees one of the classes the group draws from
    (``visible_classes``): its teachers, homeroom teacher, the school's admins and the
    families of its children. Who is in a group is narrower: ``visible_group_memberships``."""
    links = models.ClassGroupClass.filter(school_class_id__in=Subquery(visible_classes(viewer).values("id")))
    return models.ClassGroup.filter(id__in=Subquery(links.values("group_id")))


def administered_class_groups(viewer: Viewer) -> QuerySet[models.ClassGroup]:
    """Groups an admin creates, changes, ends and moves children between: those of the
    schools they run (``classGroupCreate``, ``classGroupUpdate``, ``classGroupEnd``,
    ``classGroupMembersMove``). Another school's group is not there for them."""
    return models.ClassGroup.filter(_admin_school_q(_uid(viewer)))


def visible_group_memberships(viewer: Viewer) -> QuerySet[models.GroupMembership]:
    """What ``ClassGroup.members`` lists: the memberships of the students the viewer sees
    (``visible_students``) in the groups they see. A family sees its own child's; a teacher
    of 5A sees the 5A children of a cross-class group, not those of 5B."""
    return models.GroupMembership.filter(
        student_id__in=Subquery(visible_students(viewer).values("id")),
        group_id__in=Subquery(visible_class_groups(viewer).values("id")),
    )
