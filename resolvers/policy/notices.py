"""Announcements, meetings and notifications."""

from __future__ import annotations

from datetime import date
from typing import Any

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

import models
from resolvers.core import today_utc as date_today
from resolvers.policy.admin import administered_schools
from resolvers.policy.chats import visible_messages
from resolvers.policy.diary import (
    _admin_school_q,
    _children_ids,
    _grant_schools,
    _taught_class_ids,
    _uid,
    visible_absence_notices,
    visible_assessments,
    visible_homework,
    visible_remarks,
    visible_students,
    visible_submissions,
)
from resolvers.sessions import Viewer

__all__ = [
    "announcement_recipients",
    "can_post_for",
    "families",
    "inbox",
    "manageable_announcements",
    "meeting_recipients",
    "organised_meetings",
    "respondable_meetings",
    "staffed_meetings",
    "visible_announcements",
    "visible_deliveries",
    "visible_files",
    "visible_meeting_responses",
    "visible_meetings",
    "visible_notifications",
]

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


def visible_files(viewer: Viewer) -> QuerySet[models.StoredFile]:
    """Attached files, seen by whoever sees what they are attached to: homework (its lesson's
    readers, while it stands), an announcement (its audience, its author and the school's
    admins, while it stands: ``visible_announcements``), a chat message (its chat's members,
    until it is deleted), an absence notice (its readers: the family, and the teachers and
    admins whose windows it falls in), a remark (its readers: ``visible_remarks``), handed-in
    work (``visible_submissions``). A pending upload is no one's to read, its uploader's
    included. The download (``GET /files/<token>``)
    asks this same rule again at the moment of use."""
    messages = visible_messages(viewer).filter(deleted_at__isnull=True)
    return models.StoredFile.filter(
        Q(homework_id__in=Subquery(visible_homework(viewer).values("id")))
        | Q(submission_id__in=Subquery(visible_submissions(viewer).values("id")))
        | Q(announcement_id__in=Subquery(visible_announcements(viewer).values("id")))
        | Q(message_id__in=Subquery(messages.values("id")))
        | Q(absence_notice_id__in=Subquery(visible_absence_notices(viewer).values("id")))
        | Q(remark_id__in=Subquery(visible_remarks(viewer).values("id")))
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


def visible_meeting_responses(viewer: Viewer) -> QuerySet[models.MeetingResponse]:
    """What ``Meeting.responses`` shows: every answer to a meeting the viewer staffs, and the
    viewer's own answers to the meetings they see."""
    staffed = staffed_meetings(viewer).values("id")
    seen = visible_meetings(viewer).values("id")
    return models.MeetingResponse.filter(
        Q(meeting_id__in=Subquery(staffed)) | Q(user_id=_uid(viewer), meeting_id__in=Subquery(seen))
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
    event, the announcement, the meeting, the chat message (a member no more: not shown), the
    announced assessment (called off, or its lesson cancelled: not shown)."""
    return models.Notification.filter(
        Q(chat_message_id__isnull=True) | Q(chat_message_id__in=Subquery(visible_messages(viewer).values("id"))),
        Q(student_id__isnull=True) | Q(student_id__in=Subquery(visible_students(viewer).values("id"))),
        Q(announcement_id__isnull=True) | Q(announcement_id__in=Subquery(visible_announcements(viewer).values("id"))),
        Q(meeting_id__isnull=True) | Q(meeting_id__in=Subquery(visible_meetings(viewer).values("id"))),
        Q(planned_assessment_id__isnull=True)
        | Q(planned_assessment_id__in=Subquery(visible_assessments(viewer).values("id"))),
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
