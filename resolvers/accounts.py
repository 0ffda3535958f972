"""Logging in and out, with limits on password guessing; changing one's own password."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

import models
from edge import intake
from resolvers import audit, passwords, policy, sessions
from resolvers.codes import ErrorCode
from resolvers.core import Text, _, ngettext, now_utc, pk_of
from resolvers.errors import FieldProblem, InvalidCredentials, NotFound, RateLimited, Unauthenticated, refuse
from resolvers.sessions import Context, Viewer

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200


def normalize_login(login: str) -> str:
    return login.strip().lower()


async def home_school_id(user_id: int) -> int | None:
    """The school an account's audit entries are filed under: its first school role."""
    grant = await models.RoleGrant.filter(user_id=user_id, school_id__isnull=False).order_by("id").first()
    return grant.school_id if grant else None


async def _check_rate_limit(ctx: Context, login: str) -> None:
    """Refuse while the login from this address, the login from everywhere, or the client
    address has too many recent failures. The low per-login limit counts only this address's
    failures: a classmate typing wrong passwords for a parent's login must not lock the parent
    out. The higher limit from everywhere slows a guess spread over many addresses, and applies
    only to addresses that never logged in to the account: strangers spreading failures over
    many addresses cannot lock its owner out of the places the owner logs in from (README,
    "Logging in").

    Counted in the database so that every server process shares the same counts."""
    settings = ctx.settings
    since = now_utc() - timedelta(seconds=settings.login_window_seconds)
    address = ctx.viewer.address[:64]
    here = {"login": login, "address": address}
    limits: list[tuple[dict[str, str], int]] = [(here, settings.login_failures_per_login)]
    # Asked whatever the answer, so that the statements (and time) do not depend on it.
    known = await models.Session.filter(user__login=login, address=address).exists()
    if not known:
        limits.append(({"login": login}, settings.login_failures_per_login_everywhere))
    limits.append(({"address": address}, settings.login_failures_per_address))
    await refuse_recent(
        [(models.LoginAttempt.filter(**where, at__gte=since), limit) for where, limit in limits],
        since,
        settings.login_window_seconds,
        lambda retry: ngettext(
            "Too many failed logins. Try again in {n} second.",
            "Too many failed logins. Try again in {n} seconds.",
            retry,
        ),
    )


async def refuse_recent(
    windows: list[tuple[QuerySet[Any], int]], since: datetime, window: int, refusal: Callable[[int], Text]
) -> None:
    """RATE_LIMITED (``refusal`` of the seconds to wait) at the first of ``windows`` (failures
    recorded since ``since``, each row with its ``at``; the most allowed) that is full: the wait
    is until its oldest failure leaves the ``window`` seconds. Counted in the database, so every
    server process shares the counts."""
    for recent, limit in windows:
        if await recent.count() >= limit:
            oldest = await recent.order_by("at").first()
            retry = window
            if oldest is not None:
                retry = max(1, int((oldest.at - since).total_seconds()) + 1)
            raise RateLimited(refusal(retry), ErrorCode.RATE_LIMITED, retry_after_seconds=retry)


async def check_attempts(ctx: Context) -> None:
    """Refuse while the client address has made too many attempts, failed or not, in the
    current window: counted by the shared limiter, so across processes when Redis is set."""
    settings = ctx.settings
    bucket = (f"login:address:{ctx.viewer.address}", settings.logins_per_address)
    await intake.attempt(ctx.limiter, bucket, settings.rate_window_seconds, _("login attempts from your address"))


async def authenticate(ctx: Context, login: str, password: str) -> models.User:
    """The account whose password this is: the first factor of a login, which
    ``second_factor.finish_login`` completes (a session, or a second factor to ask for).

    A deactivated account is told so, but only once the password proved who is asking:
    to anyone else it is the same "wrong login or password" as an unknown login."""
    name = normalize_login(login)[:100]
    await check_attempts(ctx)
    await _check_rate_limit(ctx, name)
    user = await models.User.get_or_none(login=name)
    if not await passwords.verified(user.password_hash if user else None, password) or user is None:
        await models.LoginAttempt.create(login=name, address=ctx.viewer.address[:64])
        raise InvalidCredentials(_("Wrong login or password."), ErrorCode.INVALID_CREDENTIALS)
    if not user.is_active:
        raise InvalidCredentials(_("This account is deactivated. Ask your school."), ErrorCode.ACCOUNT_DEACTIVATED)
    # Only this address's failures are forgiven: a stranger's guesses from elsewhere still count
    # against them (and towards the limit from everywhere) when the owner logs in meanwhile.
    await models.LoginAttempt.filter(login=name, address=ctx.viewer.address[:64]).delete()
    return user


async def start_session(ctx: Context, user: models.User, via: str | None = None) -> sessions.TokenPair:
    """Every factor proved: a new session and its audit entry (``via`` names the second
    factor used, if any). Call it inside the transaction that consumed the proof."""
    pair = await sessions.start_session(ctx.settings, user, user_agent(ctx), ctx.viewer.address)
    details: dict[str, object] = {}
    if user.must_change_password:
        details["mustChangePassword"] = True
    if via is not None:
        details["via"] = via
    await audit.record(
        Viewer(user.id, ctx.viewer.address),
        "session.login",
        "User",
        user.id,
        details or None,
        school_id=await home_school_id(user.id),
    )
    return pair


def user_agent(ctx: Context) -> str:
    """The client's User-Agent (HTTP header or the socket's handshake), for ``viewer.sessions``."""
    headers = getattr(ctx.request, "headers", None)
    return str(headers.get("user-agent", "")) if headers is not None else ""


async def refresh(ctx: Context, refresh_token: str) -> sessions.TokenPair:
    rotation = await sessions.rotate_refresh_token(ctx.settings, refresh_token)
    await sessions.announce(ctx.broker, rotation.ended)
    pair = rotation.pair
    if pair is None:
        raise InvalidCredentials(
            _("The refresh token is invalid, expired or revoked. Log in again."), ErrorCode.INVALID_REFRESH_TOKEN
        )
    return pair


async def revoke_session(ctx: Context, session_id: str) -> None:
    """End one of the viewer's own live sessions (``sessionRevoke``: "log out that phone"),
    the current one too (a logout). Another user's session, an ended or expired one and
    anything that is not a session id are the same NOT_FOUND, and change nothing."""
    pk = pk_of(session_id, "Session")
    viewer = ctx.viewer
    async with in_transaction():
        ended: list[int] = []
        if pk is not None and await policy.own_sessions(viewer).filter(id=pk).exists():
            ended = await sessions.end(sessions.EndReason.REVOKED, session_ids=[pk])
        if not ended:  # not theirs, not live, or ended by a concurrent write
            raise NotFound(_("No such session."), ErrorCode.SESSION_NOT_FOUND)
        await audit.record(
            viewer,
            "session.revoke",
            "Session",
            ended[0],
            {"current": ended[0] == viewer.session_id},
            school_id=await home_school_id(viewer.id),
        )
    await sessions.announce(ctx.broker, ended)


async def logout(ctx: Context, refresh_token: str) -> None:
    user_id = ctx.viewer.id
    session_id = await sessions.session_of_refresh_token(refresh_token, user_id)
    if session_id is None:
        raise NotFound(_("No such session."), ErrorCode.SESSION_NOT_FOUND)
    async with in_transaction():
        ended = await sessions.end(sessions.EndReason.LOGOUT, session_ids=[session_id])
        await audit.record(ctx.viewer, "session.logout", "User", user_id, school_id=await home_school_id(user_id))
    await sessions.announce(ctx.broker, ended)


def password_problems(
    user: models.User, current: str | None, new: str, field: str = "newPassword"
) -> list[FieldProblem]:
    """The strength rules of a chosen password (the current one already verified; ``None`` for
    an account that has none yet), reported on the input's ``field``."""
    problems: list[FieldProblem] = []
    if len(new) < MIN_PASSWORD_LENGTH:
        problems.append(
            FieldProblem(
                field,
                ngettext("Use at least {n} character.", "Use at least {n} characters.", MIN_PASSWORD_LENGTH),
                ErrorCode.PASSWORD_TOO_SHORT,
            )
        )
    elif len(new) > MAX_PASSWORD_LENGTH:
        problems.append(
            FieldProblem(
                field,
                ngettext("Use at most {n} character.", "Use at most {n} characters.", MAX_PASSWORD_LENGTH),
                ErrorCode.PASSWORD_TOO_LONG,
            )
        )
    lowered = new.strip().lower()
    if lowered == user.login.lower() or (len(user.login) >= 4 and user.login.lower() in lowered):
        problems.append(FieldProblem(field, _("Do not use your login in your password."), ErrorCode.PASSWORD_IS_LOGIN))
    if current is not None and new == current:
        code = ErrorCode.PASSWORD_IS_ONE_TIME if user.must_change_password else ErrorCode.PASSWORD_UNCHANGED
        problems.append(FieldProblem(field, _("Choose a password different from the current one."), code))
    return problems


async def change_password(ctx: Context, current: str, new: str) -> sessions.TokenPair:
    """Change the viewer's own password (the way out of a one-time password). Every other
    session of the user ends; the caller's goes on with a fresh token pair (its earlier
    refresh tokens are used up). A wrong current password counts as a failed login (the same
    limits apply)."""
    user = await models.User.get_or_none(id=ctx.viewer.id, is_active=True)
    if user is None:
        raise Unauthenticated(_("This account is deactivated. Ask your school."))
    await _check_rate_limit(ctx, user.login)
    if not await passwords.verified(user.password_hash, current):
        await models.LoginAttempt.create(login=user.login, address=ctx.viewer.address[:64])
        raise refuse([("currentPassword", ErrorCode.WRONG_PASSWORD, _("The current password is wrong."))])
    problems = password_problems(user, current, new)
    if problems:
        raise refuse(problems)
    was_one_time = user.must_change_password
    new_hash = await passwords.hashed(new)
    async with in_transaction():
        session = (
            await models.Session.filter(id=ctx.viewer.session_id, user_id=user.id, ended_at__isnull=True)
            .select_for_update()
            .first()
        )
        if session is None:  # ended meanwhile (logged out in another tab): nothing changes
            raise Unauthenticated(_("Your session has ended: log in again."), reason="SESSION_ENDED")
        user.password_hash = new_hash
        user.must_change_password = False
        user.password_changed_at = now_utc()
        await user.save(update_fields=["password_hash", "must_change_password", "password_changed_at"])
        ended = await sessions.end(sessions.EndReason.PASSWORD_CHANGED, user_id=user.id, keep=session.id)
        await audit.record(
            ctx.viewer,
            "password.change",
            "User",
            user.id,
            {"oneTimePasswordReplaced": was_one_time, "sessionsEnded": len(ended)},
            school_id=await home_school_id(user.id),
        )
        pair = await sessions.renew_session(ctx.settings, user, session)
    await sessions.announce(ctx.broker, ended)
    return pair
