"""A child's own login, made and run by the child's guardians (issue 20, item 5).

Any unrevoked guardian of a child (``policy.guarded_students``), not only the one who made
it, makes the child's login while the child has none, and resets its password, deactivates
and reactivates it (``policy.family_logins``): the guardians are equals, as for absence
notices. A login the school issued stays the school's (LOGIN_ISSUED_BY_SCHOOL), and one the
school switched off is switched back on by the school alone (DEACTIVATED_BY_SCHOOL). A child
the viewer does not guard is not there (STUDENT_NOT_FOUND), whoever asks.

The writes are the school's own (``resolvers/account_admin.py``): the same account, role,
link to the student record and audit entries, with ``via`` GUARDIAN and the guardian as the
actor; the account keeps who made it (``created_by``) for the school's admins."""

from __future__ import annotations

from tortoise.expressions import Q, Subquery

import models
from resolvers import account_admin, passwords, policy
from resolvers.accounts import normalize_login, password_problems
from resolvers.codes import ErrorCode
from resolvers.core import _
from resolvers.errors import FieldProblem, Problem, found_in, refuse, stated_reason
from resolvers.sessions import Context

VIA = "GUARDIAN"  # the audit entries' ``via``: a guardian, not the school, did it
FIELD = "studentId"


async def guarded_child(ctx: Context, student_id: str) -> models.Student:
    """A child of the viewer's unrevoked guardianships, or NotFound exactly as for no student."""
    return await found_in(
        policy.guarded_students(ctx.viewer), student_id, "Student", _("No such student."), ErrorCode.STUDENT_NOT_FOUND
    )


async def create(ctx: Context, student_id: str, login: str, password: str) -> tuple[models.Student, models.User]:
    """The child's own account (role STUDENT in the child's school, linked to that child only),
    with the password the guardian chose: the child logs in with it straight away and may change
    it. Every problem of the input is reported at once; nothing is written then."""
    student = await guarded_child(ctx, student_id)
    problems: list[FieldProblem | Problem] = []
    if student.user_id is not None:
        problems.append((FIELD, ErrorCode.STUDENT_HAS_LOGIN, _("The student already has a login.")))
    name = normalize_login(login)
    if problem := await account_admin.login_problem(name):
        problems.append(problem)
    problems.extend(password_problems(models.User(login=name), None, password, field="password"))
    if problems:
        raise refuse(problems)
    user = await account_admin.open_account(
        ctx.viewer,
        account_admin.NewAccount(
            full_name=student.full_name,
            role=models.Role.STUDENT,
            school_id=student.school_id,
            password_hash=await passwords.hashed(password),
            must_change_password=False,
            login=name,
            student=student,
            created_by=ctx.viewer.id,
            via=VIA,
        ),
    )
    await student.refresh_from_db()
    return student, user


async def _family_login(ctx: Context, student: models.Student) -> models.User:
    """The child's login, when a guardian made it (else the refusal that says why not)."""
    if student.user_id is None:
        raise refuse([(FIELD, ErrorCode.STUDENT_HAS_NO_LOGIN, _("The student has no login yet."))])
    user = await policy.family_logins(ctx.viewer).filter(id=student.user_id).first()
    if user is None:
        raise refuse(
            [(FIELD, ErrorCode.LOGIN_ISSUED_BY_SCHOOL, _("The school issued this login: ask the school to change it."))]
        )
    return user


async def reset_password(ctx: Context, student_id: str) -> tuple[models.Student, account_admin.Issued]:
    """A one-time password for the child, who must replace it at their next login; every
    session of the child ends (as with an admin's ``passwordReset``)."""
    student = await guarded_child(ctx, student_id)
    user = await _family_login(ctx, student)
    issued = await account_admin.reissue(ctx, user, school_id=student.school_id, via=VIA, field=FIELD)
    return student, issued


async def deactivate(ctx: Context, student_id: str, reason: str) -> tuple[models.Student, models.User]:
    """Switch the child's login off: login refused, sessions end, sockets close."""
    student = await guarded_child(ctx, student_id)
    user = await _family_login(ctx, student)
    problems: list[Problem] = []
    if not user.is_active:
        problems.append(account_admin.already_deactivated(FIELD))
    text = stated_reason(reason, _("Say why the login is switched off."), problems)
    if problems:
        raise refuse(problems)
    return student, await account_admin.switch_off(ctx, user, text, school_id=student.school_id, via=VIA, field=FIELD)


def _by_family(student: models.Student) -> Q:
    """Switched off by one of the child's guardians (a revoked one too: it was the family's call)."""
    guardians = models.Guardianship.filter(student_id=student.id).values("guardian_id")
    return Q(deactivated_by_id__in=Subquery(guardians))


async def reactivate(ctx: Context, student_id: str) -> tuple[models.Student, models.User]:
    """Switch the child's login back on, with its old password, when a guardian switched it off."""
    student = await guarded_child(ctx, student_id)
    user = await _family_login(ctx, student)
    if not user.is_active and not await models.User.filter(_by_family(student), id=user.id).exists():
        raise refuse(
            [(FIELD, ErrorCode.DEACTIVATED_BY_SCHOOL, _("The school switched this login off: ask the school."))]
        )
    switched = await account_admin.switch_on(
        ctx, user, school_id=student.school_id, via=VIA, field=FIELD, only_if=_by_family(student)
    )
    return student, switched
