"""THE visibility rules. Nothing else in the project decides who sees or writes what.

Scopes are pre-filtered querysets built from the viewer's user id alone, so a visibility
decision is a subquery of the same statement that loads the data: there is no cached
notion of "my children" that could outlive a revoked guardianship or role.

Who sees which students:
- a district admin: every student of every school of their district, and those ever enrolled
  in one of its classes;
- a school admin: every student of their school, and those ever enrolled in one of its classes;
- a teacher: the students enrolled (at any time) in a class they teach or lead as
  homeroom teacher;
teachers and admins read a child's diary within their windows (``windows``: its enrolments in
those classes; after a transfer, the old side up to D - 1, the new side from D);
- a parent: their children, while the guardianship is not revoked;
- a student: themself.
Classes, lessons, grades, homework and attendance are visible through the students and
classes above. A nested field applies the scope of the type it returns, not its parent's:
what a viewer reaches, ``node(id)`` returns them, except the faces of ``faces`` (a name shown
where the object is not the viewer's, answering nothing else).
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
there for them (``administered_schools``). A child's enrolments are read by whoever sees the
child (``visible_enrollments``); a teaching assignment by its teacher and the admins who run
its class's school (``visible_teaching_assignments``).
Access requests (a family asking to be linked to a child) are read only by the applicant
and the admins of the school asked: they carry the child's and the applicant's documents.
Who runs a school's calendar and timetable (years, terms, days off, bells, slots, lesson
cancellations and substitutions): its school admins, and the district admins of its district
(``administered_schools``); everyone else is refused at the field (``IsAdmin``), and
another school's objects are not found. Whoever sees a class sees its weekly timetable.
Who administers accounts: a school admin manages the accounts of the people they wholly run
(issue, reset, deactivate, list), imports its roster and reads its audit log; a district admin
does the same for their district (``administered_users``): someone with any role, guardianship,
student record or class elsewhere is not there for them (``USER_NOT_FOUND``). The same admins revoke and
restore the guardianships of their schools' students, and alone read revoked ones and why
(``visible_guardianships``: the family reads the standing ones). A deactivated account, or
one waiting for a password change, is refused by the permission classes and its live
streams see nothing (``live``). A user's sessions (devices) are theirs alone
(``own_sessions``): their admins end them all by a password reset or a deactivation, but
do not list them (addresses and devices are the user's own business). The same for the external
identities linked to an account (``own_identities``).
A child's own login: each unrevoked guardian of the child (not only the one who made it) makes
it when the child has none (``guarded_students``), and resets, deactivates and reactivates a
login a guardian made (``family_logins``); one the school issued, or the school switched off,
stays the school's. Its state (``Student.login``) is read by the child's unrevoked guardians and
the school's admins alone (``login_readable_students``); the admins also see which guardian
made it (``Account.createdBy``).

The rules live in one module per domain (``diary``, ``writes``, ``admin``, ``notices``,
``chats``); callers use them as ``policy.<rule>``."""

from __future__ import annotations

from resolvers.policy.admin import (
    ADMIN_ROLES,
    administered_districts,
    administered_guardianships,
    administered_schools,
    administered_users,
    district_schools,
    family_logins,
    guarded_students,
    in_good_standing,
    live,
    login_readable_students,
    own_access_requests,
    own_identities,
    own_sessions,
    reviewable_access_requests,
    visible_access_requests,
    visible_audit_entries,
    visible_guardianships,
)
from resolvers.policy.base import NOBODY
from resolvers.policy.chats import (
    chat_membership,
    chat_ties,
    reachable_users,
    school_people,
    visible_chat_members,
    visible_chats,
    visible_messages,
)
from resolvers.policy.diary import (
    acknowledgeable_remarks,
    administered_classes,
    administered_lessons,
    at_risk_schools,
    children,
    followable_classes,
    journal_classes,
    listed_schools,
    own_absence_notices,
    stats_schools,
    visible_absence_notices,
    visible_academic_years,
    visible_classes,
    visible_days_off,
    visible_districts,
    visible_enrollments,
    visible_grades,
    visible_homework,
    visible_lessons,
    visible_remarks,
    visible_schools,
    visible_short_days,
    visible_slots,
    visible_students,
    visible_subjects,
    visible_teaching_assignments,
    visible_term_grades,
    visible_terms,
    visible_users,
)
from resolvers.policy.faces import FACE_PLACES, FACE_SCOPES, FACES, WHOLE_FACES
from resolvers.policy.notices import (
    announcement_recipients,
    can_post_for,
    families,
    inbox,
    manageable_announcements,
    meeting_recipients,
    organised_meetings,
    respondable_meetings,
    staffed_meetings,
    visible_announcements,
    visible_deliveries,
    visible_meeting_responses,
    visible_meetings,
    visible_notifications,
)
from resolvers.policy.writes import (
    STAFF_ROLES,
    can_change_homework,
    can_grade_in,
    can_mark,
    can_remark,
    can_set_homework,
    current_class_id,
    enrolled_on,
    family_scope,
    family_view,
    gradable_students,
    register_readable,
    still_follows_class,
)

__all__ = [
    "ADMIN_ROLES",
    "FACES",
    "FACE_PLACES",
    "FACE_SCOPES",
    "NOBODY",
    "STAFF_ROLES",
    "WHOLE_FACES",
    "acknowledgeable_remarks",
    "administered_classes",
    "administered_districts",
    "administered_guardianships",
    "administered_lessons",
    "administered_schools",
    "administered_users",
    "announcement_recipients",
    "at_risk_schools",
    "can_change_homework",
    "can_grade_in",
    "can_mark",
    "can_post_for",
    "can_remark",
    "can_set_homework",
    "chat_membership",
    "chat_ties",
    "children",
    "current_class_id",
    "district_schools",
    "enrolled_on",
    "families",
    "family_logins",
    "family_scope",
    "family_view",
    "followable_classes",
    "gradable_students",
    "guarded_students",
    "in_good_standing",
    "inbox",
    "journal_classes",
    "listed_schools",
    "live",
    "login_readable_students",
    "manageable_announcements",
    "meeting_recipients",
    "organised_meetings",
    "own_absence_notices",
    "own_access_requests",
    "own_identities",
    "own_sessions",
    "reachable_users",
    "register_readable",
    "respondable_meetings",
    "reviewable_access_requests",
    "school_people",
    "staffed_meetings",
    "stats_schools",
    "still_follows_class",
    "visible_absence_notices",
    "visible_academic_years",
    "visible_access_requests",
    "visible_announcements",
    "visible_audit_entries",
    "visible_chat_members",
    "visible_chats",
    "visible_classes",
    "visible_days_off",
    "visible_deliveries",
    "visible_districts",
    "visible_enrollments",
    "visible_grades",
    "visible_guardianships",
    "visible_homework",
    "visible_lessons",
    "visible_meeting_responses",
    "visible_meetings",
    "visible_messages",
    "visible_notifications",
    "visible_remarks",
    "visible_schools",
    "visible_short_days",
    "visible_slots",
    "visible_students",
    "visible_subjects",
    "visible_teaching_assignments",
    "visible_term_grades",
    "visible_terms",
    "visible_users",
]
