"""The root Mutation: `<noun><Verb>(input: ...)` returning a result union. Each domain
module contributes its mutations as a base class."""

from __future__ import annotations

import strawberry

from schema.absence import AbsenceMutations
from schema.access import AccessRequestMutations
from schema.account_admin import AccountAdminMutations
from schema.accounts import AccountMutations
from schema.announcements import AnnouncementMutations
from schema.assessments import AssessmentMutations
from schema.attendance import AttendanceMutations
from schema.bells import BellMutations
from schema.calendar import CalendarMutations
from schema.chat_mutations import ChatMutations
from schema.child_logins import ChildLoginMutations
from schema.days_off import DayOffMutations
from schema.enrollment import EnrollmentMutations
from schema.files import FileMutations
from schema.grades import GradeMutations
from schema.groups import ClassGroupMutations
from schema.guardianships import GuardianshipMutations
from schema.homework import HomeworkMutations
from schema.identity import IdentityMutations
from schema.lesson_topics import LessonTopicMutations, ThematicPlanMutations
from schema.lessons import LessonMutations
from schema.meetings import MeetingMutations
from schema.notifications import NotificationMutations
from schema.org import OrgMutations
from schema.push import PushMutations
from schema.recovery import RecoveryMutations
from schema.registration import RegistrationMutations
from schema.remarks import RemarkMutations
from schema.roster_import import RosterMutations
from schema.schools import SchoolMutations
from schema.second_factor import SecondFactorMutations
from schema.submissions import SubmissionMutations
from schema.term_grades import TermGradeMutations
from schema.timetable import TimetableMutations


@strawberry.type(description="Change the diary. Refusals are data (result unions); only coarse gates are errors.")
class Mutation(
    AccountMutations,
    GradeMutations,
    TermGradeMutations,
    HomeworkMutations,
    SubmissionMutations,
    FileMutations,
    RemarkMutations,
    AttendanceMutations,
    AbsenceMutations,
    SchoolMutations,
    OrgMutations,
    EnrollmentMutations,
    ClassGroupMutations,
    GuardianshipMutations,
    AccessRequestMutations,
    RegistrationMutations,
    RecoveryMutations,
    AnnouncementMutations,
    MeetingMutations,
    NotificationMutations,
    PushMutations,
    TimetableMutations,
    LessonMutations,
    LessonTopicMutations,
    ThematicPlanMutations,
    AssessmentMutations,
    CalendarMutations,
    DayOffMutations,
    BellMutations,
    ChatMutations,
    AccountAdminMutations,
    SecondFactorMutations,
    ChildLoginMutations,
    RosterMutations,
    IdentityMutations,
):
    pass
