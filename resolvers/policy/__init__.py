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
Classes, lessons, grades, homework, attendance and the assessments announced for lessons
(``visible_assessments``: while the lesson takes place) are visible through the students and
classes above; a group's lesson (and its homework and assessment) only to the families of the
children who were its members on its day (``LESSONS_OF_STUDENTS``: the one rule of whose lesson
a lesson is, read by the diary, progress, reminders and live events too), and to the staff of
its classes and its own teachers; a teacher of a group only (no whole-class assignment there)
sees its members, for the days they were in it, not the rest of the class, and on those days
the member's whole diary: the child's whole-class lessons and its groups' lessons of the day
(``group_member_lesson_ids``), as a whole-class teacher their class's children's, and a member's
final grades, progress and class rank only of a term with a day the child was in their group
(``visible_term_grades``; the progress counts those days only); a lesson's plan note
only to those who read its register. A nested field applies the scope of the type it returns,
not its parent's: what a viewer reaches, ``node(id)`` returns them, except the faces of
``faces`` (a name shown where the object is not the viewer's, answering nothing else).
An attached file (of homework, an announcement, a chat message, a remark or an absence
notice) is seen by whoever sees its owner (``visible_files``), asked again when its download
URL is used; an upload not yet attached is no one's to read.
Work a student hands in for homework (``visible_submissions``) is seen by the student, their
guardians (unrevoked) and the teachers who set homework for its due lesson (``homework_lesson_ids``:
assigned to its class + subject as a whole or to its group, or giving it); not by another
subject's teacher, another group's, or the admins. The student alone hands it in, while enrolled
in the class they attended the lesson under (``submitting_student``); those teachers return and
grade it (``taught_submissions``).
Remarks are narrower (``visible_remarks``): the family, the teachers of the class the
remark was written in (a teacher of a group only: its members' remarks of their days in the
group), and the school's admins. The weekly timetable (``visible_slots``) has the audience of
the lessons it makes: a group's slots only for its members' families, its teachers and the
class's staff.
A push device (``own_push_devices``) is its owner's alone, and only while the session that
registered it is live and the account active: it is also what a push is sent to, asked as the
recipient when sending.

Who writes: a teacher grades a student only in a lesson of a class + subject they are
assigned to, or in a lesson they give (a substitute), for a student enrolled in that class on
the lesson's date; a group's lesson (``Lesson.group``) is for the group's members on its date
(``attendees``), and an assignment of a group + subject reaches only that group's lessons,
never the whole class's or another group's (the same for homework, marks and the register);
homework is set by the teachers of the lesson's class + subject (or the lesson's own
teacher) and changed by its author or those teachers; a lesson's topic, plan note and announced
assessment by the same teachers (``can_plan_lesson``), a term's thematic plan only by those
assigned to the class + subject (``can_plan_subject``); a remark is written by any teacher of
the student's current class as a whole (or its homeroom teacher), or by a teacher of a group the
student is a member of on the remark's day (``can_remark``); the family (not the school) acknowledges it. A lesson's
register is marked by the teacher giving it (a substitute too) or one assigned to its class
+ subject, and read by them, the class's homeroom teacher and the school's admins (families see their
own child's marks in the diary). Absence notices are sent and withdrawn only by a child's
guardians (unrevoked), and read by the family and the staff whose windows they fall in (a teacher
of a group only: a notice covering a day the child was in their group, ``visible_absence_notices``).

Who runs a school: its school admins and the district admins of its district create and
change its subjects, classes, students, enrolments and teaching assignments; a district
admin alone creates schools and changes their settings. Another school's objects are not
there for them (``administered_schools``). A child's enrolments are read by whoever sees the
child (``visible_enrollments``); a teaching assignment by its teacher and the admins who run
its class's school (``visible_teaching_assignments``).
Class groups (``visible_class_groups``) are seen by whoever sees one of the classes they draw
from; who is in a group (``visible_group_memberships``) by whoever sees those students; they are
created, changed, ended and their members moved by the admins who run their school
(``administered_class_groups``).
Access requests (a family asking to be linked to a child) are read only by the applicant
and the admins of the school asked: they carry the child's and the applicant's documents.
Who runs a school's calendar and timetable (years, terms, days off, bells, slots, lesson
cancellations and substitutions): its school admins, and the district admins of its district
(``administered_schools``); everyone else is refused at the field (``IsAdmin``), and
another school's objects are not found. The staff of a class see its weekly timetable, its
families its whole-class slots and their children's groups' (``visible_slots``).
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

The rules live in one module per domain (``diary``: the diary's rules, read and write, after
the relations every rule starts from, the shared subqueries of who teaches whom and whose child
is whose; ``admin``, ``notices``, ``chats``, ``faces``; ``windows`` is used as a module),
each exporting its rules in its ``__all__``, which this package re-exports: callers use them as
``policy.<rule>``. Each rule's docstring says whom it lets see or do what; this docstring is the
overview, changed when a rule changes it."""

from __future__ import annotations

from resolvers.policy import admin, chats, diary, faces, notices
from resolvers.policy.admin import *  # noqa: F403
from resolvers.policy.chats import *  # noqa: F403
from resolvers.policy.diary import *  # noqa: F403
from resolvers.policy.faces import *  # noqa: F403
from resolvers.policy.notices import *  # noqa: F403

__all__ = [
    *admin.__all__,
    *chats.__all__,
    *diary.__all__,
    *faces.__all__,
    *notices.__all__,
]
