"""Account administration by school and district admins: issue a login with a one-time
password, reset a password, deactivate and reactivate. Every refusal for someone outside
the admin's schools looks like "no such user". The writes themselves (``open_account``,
``reissue``, ``switch_off``, ``switch_on``) are shared with a child's guardians
(``resolvers/child_logins.py``), who decide for themselves who may."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q, Subquery
from tortoise.transactions import in_transaction

import models
from resolvers import audit, passwords, policy, sessions
from resolvers.accounts import normalize_login
from resolvers.codes import ErrorCode
from resolvers.core import _, ngettext, now_utc, pk_of
from resolvers.errors import NotFound, Problem, found_in, refuse, stated_reason
from resolvers.sessions import Context, Viewer
from resolvers.text import clean

LOGIN_RE = re.compile(r"^[a-z0-9][a-z0-9._@-]{2,99}$")
EMAIL_RE = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")
MAX_NAME = 200
ISSUABLE_ROLES = (models.Role.STUDENT, models.Role.PARENT, models.Role.TEACHER, models.Role.SCHOOL_ADMIN)


@dataclass(frozen=True)
class Issued:
    """An account with the one-time password it was just given (shown once, never stored)."""

    user: models.User
    one_time_password: str


@dataclass(frozen=True)
class AccountInput:
    full_name: str
    role: models.Role
    school_id: str
    login: str | None = None
    email: str | None = None
    student_id: str | None = None
    child_ids: list[str] = field(default_factory=list)


def login_from(full_name: str) -> str:
    """``"Anna-Maria Kovács"`` -> ``"anna-maria.kovacs"``: a login suggestion from a name."""
    ascii_name = unicodedata.normalize("NFKD", full_name).encode("ascii", "ignore").decode().lower()
    parts = [re.sub(r"[^a-z0-9-]", "", p) for p in ascii_name.split()]
    return ".".join(p for p in parts if p)[:90] or "user"


def check_login(login: str) -> Problem | None:
    if not LOGIN_RE.match(login):
        return (
            "login",
            ErrorCode.LOGIN_INVALID,
            _("A login is 3-100 characters: letters a-z, digits, '.', '_', '-', '@', starting with a letter or digit."),
        )
    return None


def check_email(email: str) -> Problem | None:
    if len(email) > 254 or not EMAIL_RE.match(email):
        return ("email", ErrorCode.EMAIL_INVALID, _("Not an e-mail address."))
    return None


async def _free_login(base: str) -> str:
    """``base``, or ``base2``, ``base3``... whichever is free first (one statement)."""
    rows = await models.User.filter(Q(login=base) | Q(login__startswith=base)).values_list("login", flat=True)
    taken = {str(login) for login in rows}
    if base not in taken:
        return base
    n = 2
    while f"{base}{n}" in taken:
        n += 1
    return f"{base}{n}"


async def _school(ctx: Context, school_id: str) -> models.School:
    return await found_in(
        policy.administered_schools(ctx.viewer), school_id, "School", _("No such school."), ErrorCode.SCHOOL_NOT_FOUND
    )


async def managed_user(ctx: Context, user_id: str) -> models.User:
    """A user the viewer administers, or NotFound exactly as for an id that does not exist."""
    return await found_in(
        policy.administered_users(ctx.viewer), user_id, "User", _("No such user."), ErrorCode.USER_NOT_FOUND
    )


async def audit_school(ctx: Context, user_id: int) -> int | None:
    """The administered school the user belongs to, for the audit entry."""
    grant = (
        await models.RoleGrant.filter(
            user_id=user_id, school_id__in=Subquery(policy.administered_schools(ctx.viewer).values("id"))
        )
        .order_by("id")
        .first()
    )
    return grant.school_id if grant else None


async def create_account(ctx: Context, data: AccountInput) -> Issued:
    school = await _school(ctx, data.school_id)
    problems: list[Problem] = []
    full_name = clean(
        data.full_name, "fullName", problems, empty=(ErrorCode.FULL_NAME_EMPTY, _("Give the person's full name."))
    )
    if len(full_name) > MAX_NAME:
        problems.append(
            (
                "fullName",
                ErrorCode.FULL_NAME_TOO_LONG,
                ngettext("A name has at most {n} character.", "A name has at most {n} characters.", MAX_NAME),
            )
        )
    email = data.email.strip().lower() if data.email and data.email.strip() else None
    if email is not None and (problem := check_email(email)):
        problems.append(problem)
    if data.role not in ISSUABLE_ROLES:
        problems.append(
            ("role", ErrorCode.ROLE_NOT_ALLOWED, _("District admins are appointed by the district, not a school."))
        )
    login: str | None = normalize_login(data.login) if data.login and data.login.strip() else None
    if login is not None and (problem := await login_problem(login)):
        problems.append(problem)
    student: models.Student | None = None
    if data.role == models.Role.STUDENT:
        if data.student_id is None:
            problems.append(("studentId", ErrorCode.STUDENT_REQUIRED, _("Name the student record the login is for.")))
        else:
            student = await found_in(
                models.Student.filter(school_id=school.id),
                data.student_id,
                "Student",
                _("No such student."),
                ErrorCode.STUDENT_NOT_FOUND,
            )
            if student.user_id is not None:
                problems.append(("studentId", ErrorCode.STUDENT_HAS_LOGIN, _("The student already has a login.")))
    children: list[models.Student] = []
    if data.child_ids:
        if data.role != models.Role.PARENT:
            problems.append(("childIds", ErrorCode.CHILDREN_ONLY_FOR_PARENTS, _("Only a parent account has children.")))
        pks = {pk_of(c, "Student") for c in data.child_ids}
        children = await models.Student.filter(id__in=[p for p in pks if p], school_id=school.id)
        if None in pks or len(children) != len(pks):
            raise NotFound(_("No such student."), ErrorCode.STUDENT_NOT_FOUND)
    if problems:
        raise refuse(problems)

    password = passwords.one_time_password()
    user = await open_account(
        ctx.viewer,
        NewAccount(
            full_name=full_name,
            role=data.role,
            school_id=school.id,
            password_hash=passwords.hash_one_time_password(password),
            must_change_password=True,
            login=login,
            login_base=login_from(email.split("@")[0] if email else full_name),
            email=email,
            student=student,
            children=children,
        ),
    )
    return Issued(user, password)


@dataclass(frozen=True)
class NewAccount:
    """What ``open_account`` writes: an account with one role in one school, the ``student``
    record it is the login of (a STUDENT's), the ``children`` it is the guardian of (a PARENT's),
    and the guardian who made it for their child (``created_by``)."""

    full_name: str
    role: models.Role
    school_id: int
    password_hash: str
    must_change_password: bool
    login: str | None = None  # checked and free (``login_problem``), or made from ``login_base``
    login_base: str = "user"
    email: str | None = None
    student: models.Student | None = None
    children: list[models.Student] = field(default_factory=list)
    created_by: int | None = None
    via: str | None = None  # the audit entry's ``via``: who made it, when not the school


def login_taken() -> Problem:
    return ("login", ErrorCode.LOGIN_TAKEN, _("This login is taken; choose another."))


async def login_problem(login: str) -> Problem | None:
    """LOGIN_INVALID or LOGIN_TAKEN for a chosen login (the database's uniqueness decides at
    the write: ``open_account``)."""
    if problem := check_login(login):
        return problem
    return login_taken() if await models.User.exists(login=login) else None


async def open_account(viewer: Viewer, new: NewAccount) -> models.User:
    """Write a new account in one transaction with its role, its links and its audit entry.
    The input is already checked; what concurrency can break is refused here and changes
    nothing: a login taken meanwhile (LOGIN_TAKEN, the unique login) and a student linked to
    another login meanwhile (STUDENT_HAS_LOGIN, the conditional update of its row)."""
    student, children = new.student, new.children
    try:
        async with in_transaction():
            login = new.login or await _free_login(new.login_base)
            user = await models.User.create(
                login=login,
                full_name=new.full_name,
                email=new.email,
                password_hash=new.password_hash,
                must_change_password=new.must_change_password,
                created_by_id=new.created_by,
            )
            await models.RoleGrant.create(user_id=user.id, role=new.role, school_id=new.school_id)
            if student is not None and not await models.Student.filter(id=student.id, user_id__isnull=True).update(
                user_id=user.id
            ):  # linked meanwhile: roll back
                raise refuse([("studentId", ErrorCode.STUDENT_HAS_LOGIN, _("The student already has a login."))])
            if children:
                await models.Guardianship.bulk_create(
                    [models.Guardianship(guardian_id=user.id, student_id=c.id) for c in children]
                )
            details: dict[str, Any] = {
                "login": login,
                "role": new.role.value,
                "student": student.id if student else None,
                "children": [c.id for c in children],
            }
            if new.via is not None:
                details["via"] = new.via
            await audit.record(viewer, "account.create", "User", user.id, details, school_id=new.school_id)
    except IntegrityError:  # the login was taken between the check and the insert
        raise refuse([login_taken()]) from None
    return user


async def reset_password(ctx: Context, user_id: str) -> Issued:
    """A new one-time password; every session of the user ends at once."""
    admin_id = ctx.viewer.id
    user = await managed_user(ctx, user_id)
    if user.id == admin_id:
        raise refuse([("userId", ErrorCode.CANNOT_RESET_SELF, _("Change your own password with `passwordChange`."))])
    return await reissue(ctx, user, school_id=await audit_school(ctx, user.id))


async def reissue(
    ctx: Context, user: models.User, *, school_id: int | None, via: str | None = None, field: str = "userId"
) -> Issued:
    """Replace ``user``'s password by a one-time password they must change at their next login;
    every session of theirs ends (sockets closed after the commit). ACCOUNT_DEACTIVATED for a
    deactivated account. The caller decided that the viewer may."""
    if not user.is_active:
        raise refuse([(field, ErrorCode.ACCOUNT_DEACTIVATED, _("Reactivate the account first."))])
    password = passwords.one_time_password()
    async with in_transaction():
        user.password_hash = passwords.hash_one_time_password(password)
        user.must_change_password = True
        await user.save(update_fields=["password_hash", "must_change_password"])
        ended = await sessions.end(sessions.EndReason.PASSWORD_RESET, user_id=user.id)
        details: dict[str, Any] = {"sessionsEnded": len(ended)}
        if via is not None:
            details["via"] = via
        await audit.record(ctx.viewer, "password.reset", "User", user.id, details, school_id=school_id)
    await sessions.announce(ctx.broker, ended)
    return Issued(user, password)


async def deactivate(ctx: Context, user_id: str, reason: str) -> models.User:
    """Login refused, sessions ended, live streams stop; everything the user did stays."""
    admin_id = ctx.viewer.id
    user = await managed_user(ctx, user_id)
    problems: list[Problem] = []
    if user.id == admin_id:
        problems.append(("userId", ErrorCode.CANNOT_DEACTIVATE_SELF, _("Another admin must deactivate your account.")))
    elif not user.is_active:
        problems.append(already_deactivated())
    text = stated_reason(reason, _("Say why the account is deactivated."), problems)
    if problems:
        raise refuse(problems)
    return await switch_off(ctx, user, text, school_id=await audit_school(ctx, user.id))


def already_deactivated(field: str = "userId") -> Problem:
    return (field, ErrorCode.ALREADY_DEACTIVATED, _("The account is already deactivated."))


async def switch_off(
    ctx: Context,
    user: models.User,
    reason: str,
    *,
    school_id: int | None,
    via: str | None = None,
    field: str = "userId",
) -> models.User:
    """Deactivate ``user`` (the viewer is ``deactivated_by``): their sessions end and, after the
    commit, their sockets close. ALREADY_DEACTIVATED when someone did it meanwhile. The caller
    checked the input and decided that the viewer may."""
    async with in_transaction():
        changed = await models.User.filter(id=user.id, is_active=True).update(
            is_active=False, deactivated_at=now_utc(), deactivation_reason=reason, deactivated_by_id=ctx.viewer.id
        )
        if not changed:  # deactivated meanwhile by someone else
            raise refuse([already_deactivated(field)])
        ended = await sessions.end(sessions.EndReason.DEACTIVATED, user_id=user.id)
        details: dict[str, Any] = {"reason": reason, "sessionsEnded": len(ended)}
        if via is not None:
            details["via"] = via
        await audit.record(ctx.viewer, "account.deactivate", "User", user.id, details, school_id=school_id)
    await sessions.announce(ctx.broker, ended)
    await user.refresh_from_db()
    return user


async def reactivate(ctx: Context, user_id: str) -> models.User:
    """The account works again with its old password; the deactivation stays in the audit log."""
    user = await managed_user(ctx, user_id)
    return await switch_on(ctx, user, school_id=await audit_school(ctx, user.id))


async def switch_on(
    ctx: Context,
    user: models.User,
    *,
    school_id: int | None,
    via: str | None = None,
    field: str = "userId",
    only_if: Q | None = None,
) -> models.User:
    """Reactivate ``user`` with their old password (NOT_DEACTIVATED while active). ``only_if``
    narrows which deactivated accounts may be: it is part of the statement that writes, so a
    change meanwhile refuses (NOT_DEACTIVATED) rather than slipping through. The caller
    decided that the viewer may."""
    if user.is_active:
        raise refuse([(field, ErrorCode.NOT_DEACTIVATED, _("The account is active."))])
    async with in_transaction():
        still_off = models.User.filter(id=user.id, is_active=False)
        if only_if is not None:
            still_off = still_off.filter(only_if)
        if not await still_off.update(
            is_active=True, deactivated_at=None, deactivation_reason=None, deactivated_by_id=None
        ):  # reactivated meanwhile, or no longer what ``only_if`` allows
            raise refuse([(field, ErrorCode.NOT_DEACTIVATED, _("The account is active."))])
        details: dict[str, Any] = {
            "deactivatedAt": user.deactivated_at.isoformat() if user.deactivated_at else None,
            "reason": user.deactivation_reason,
        }
        if via is not None:
            details["via"] = via
        await audit.record(ctx.viewer, "account.reactivate", "User", user.id, details, school_id=school_id)
    await user.refresh_from_db()
    return user
