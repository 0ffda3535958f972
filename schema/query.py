"""The root Query: every field starts from a policy scope."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import strawberry

from resolvers import policy
from resolvers.core import from_global_id, largest_id
from resolvers.sessions import Viewer as ViewerContext
from schema import (
    absence,
    access,
    account_admin,
    accounts,
    announcements,
    assessments,
    audit_log,
    bells,
    calendar,
    chat_list,
    chats,
    deliveries,
    enrollment,
    files,
    grades,
    groups,
    guardianships,
    identity,
    meetings,
    notifications,
    push,
    remarks,
    stats,
    submissions,
    term_grades,
    timetable,
    types,
)
from schema.account_admin import AccountQueries
from schema.calendar import Term
from schema.days_off import DayOff
from schema.enrollment import TeachingAssignment
from schema.gates import IsAuthenticated
from schema.homework import Homework
from schema.lessons import Lesson
from schema.org import SchoolClass, Subject
from schema.schools import School
from schema.students import Student
from schema.users import User
from schema.viewer import Viewer

Info = types.Info

# Type name in a global id -> (scope of what the viewer may see, GraphQL type).
NODE_TYPES: dict[str, tuple[Callable[[ViewerContext], Any], Callable[[Any], types.Node]]] = {
    "Student": (policy.visible_students, lambda m: Student(model=m)),
    "SchoolClass": (policy.visible_classes, lambda m: SchoolClass(model=m)),
    "School": (policy.visible_schools, lambda m: School(model=m)),
    "Lesson": (policy.visible_lessons, lambda m: Lesson(model=m)),
    "Grade": (policy.visible_grades, lambda m: grades.Grade(model=m)),
    "Homework": (policy.visible_homework, lambda m: Homework(model=m)),
    "Submission": (policy.visible_submissions, lambda m: submissions.Submission(model=m)),
    "File": (policy.visible_files, lambda m: files.File(model=m)),
    "PlannedAssessment": (policy.visible_assessments, lambda m: assessments.PlannedAssessment(model=m)),
    "Subject": (policy.visible_subjects, lambda m: Subject(model=m)),
    "User": (policy.visible_users, lambda m: User(model=m)),
    "Term": (policy.visible_terms, lambda m: Term(model=m)),
    "Remark": (policy.visible_remarks, lambda m: remarks.Remark(model=m)),
    "AbsenceNotice": (policy.visible_absence_notices, lambda m: absence.AbsenceNotice(model=m)),
    "TermGrade": (policy.visible_term_grades, lambda m: term_grades.TermGrade(model=m)),
    "AccessRequest": (policy.visible_access_requests, lambda m: access.AccessRequest(model=m)),
    "District": (policy.visible_districts, lambda m: stats.District(model=m)),
    "SchoolListing": (policy.listed_schools, lambda m: access.SchoolListing(model=m)),
    "Announcement": (policy.visible_announcements, lambda m: announcements.Announcement(model=m)),
    "Meeting": (policy.visible_meetings, lambda m: meetings.Meeting(model=m)),
    "Notification": (policy.inbox, lambda m: notifications.Notification(model=m)),
    "NotificationDelivery": (policy.visible_deliveries, lambda m: deliveries.NotificationDelivery(model=m)),
    "TimetableSlot": (policy.visible_slots, lambda m: timetable.TimetableSlot(model=m)),
    "AcademicYear": (policy.visible_academic_years, lambda m: calendar.AcademicYear(model=m)),
    "DayOff": (policy.visible_days_off, lambda m: DayOff(model=m)),
    "ShortDay": (policy.visible_short_days, lambda m: bells.ShortDay(model=m)),
    "Chat": (policy.visible_chats, lambda m: chats.Chat(model=m)),
    "ChatMessage": (policy.visible_messages, lambda m: chats.ChatMessage(model=m)),
    "Session": (policy.own_sessions, lambda m: accounts.Session(model=m)),
    "PushDevice": (policy.own_push_devices, lambda m: push.PushDevice(model=m)),
    "ExternalIdentity": (policy.own_identities, lambda m: identity.ExternalIdentity(model=m)),
    "Guardianship": (policy.visible_guardianships, lambda m: guardianships.Guardianship(model=m)),
    "AuditEntry": (policy.visible_audit_entries, lambda m: audit_log.AuditEntry(model=m)),
    "Account": (policy.administered_users, lambda m: account_admin.Account(model=m)),
    "ChatMember": (policy.visible_chat_members, lambda m: chats.ChatMember(model=m)),
    "MeetingResponse": (policy.visible_meeting_responses, lambda m: meetings.MeetingResponse(model=m)),
    "Enrollment": (policy.visible_enrollments, lambda m: enrollment.Enrollment(model=m)),
    "TeachingAssignment": (policy.visible_teaching_assignments, lambda m: TeachingAssignment(model=m)),
    "ClassGroup": (policy.visible_class_groups, lambda m: groups.ClassGroup(model=m)),
    "GroupMembership": (policy.visible_group_memberships, lambda m: groups.GroupMembership(model=m)),
}


async def load_node(info: Info, global_id: str, only: str | None = None) -> types.Node | None:
    """The object named by ``global_id`` if the viewer may see it (through its type's scope)."""
    parsed = from_global_id(global_id)
    if parsed is None or parsed[0] not in NODE_TYPES or (only is not None and parsed[0] != only):
        return None
    scope, wrap = NODE_TYPES[parsed[0]]
    rows = scope(info.context.viewer)
    if parsed[1] > largest_id(rows.model):  # no such row, and PostgreSQL would refuse the value
        return None
    obj = await rows.filter(id=parsed[1]).first()
    return wrap(obj) if obj is not None else None


@strawberry.type(description="Read the diary. Everything here needs `Authorization: Bearer <accessToken>`.")
class Query(
    AccountQueries,
    access.AccessRequestQueries,
    deliveries.NotificationQueries,
    chat_list.ChatQueries,
    identity.IdentityQueries,
    push.PushQueries,
):
    @strawberry.field(
        description="The logged-in user: roles, children, own record, teaching assignments, schools.",
        permission_classes=[IsAuthenticated],
    )
    async def viewer(self, info: Info) -> Viewer:
        return Viewer(user_id=info.context.viewer.id)

    @strawberry.field(
        description="Any object by its global id; null when it does not exist or you may not see it.",
        permission_classes=[IsAuthenticated],
    )
    async def node(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="A global id.")]
    ) -> types.Node | None:
        return await load_node(info, id)

    @strawberry.field(
        description="A student by id; null when it does not exist or you may not see it.",
        permission_classes=[IsAuthenticated],
    )
    async def student(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="A `Student` id.")]
    ) -> Student | None:
        student = await load_node(info, id, only="Student")
        if not isinstance(student, Student):
            return None
        info.context.loaders.student_by_id.prime(student.model.id, student.model)
        return student
