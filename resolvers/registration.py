"""Self-registration of a family's account: a parent creates a login, then asks a school for
access to their child (``resolvers.access``). The account holds no role and sees nothing until
a school approves a request. New accounts are limited per client address, counted in the
database (the audit trail) so that every server process shares the count."""

from __future__ import annotations

import re
from datetime import timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

import models
from edge import intake
from resolvers import audit, passwords, sessions
from resolvers.accounts import normalize_login, user_agent
from resolvers.codes import ErrorCode
from resolvers.core import _, ngettext, now_utc
from resolvers.errors import Problem, RateLimited, refuse
from resolvers.schools import name_of
from resolvers.sessions import Context, Viewer

LOGIN_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{2,99}")
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MIN_PASSWORD, MAX_PASSWORD, MAX_EMAIL, MAX_NAME = 10, 200, 254, 200
ACTION = "account.register"


# A taken login is refused exactly like a malformed one (same code, same message): the answer
# does not tell anyone which logins exist (issue 17).
LOGIN_REFUSED: Problem = (
    "login",
    ErrorCode.INVALID_LOGIN,
    _(
        "This login cannot be used: pick another, of 3-100 letters a-z, digits, dots, dashes or underscores, "
        "starting with a letter or a digit."
    ),
)


async def _check_attempts(ctx: Context) -> None:
    """Every attempt counts against the client address, whether or not it creates anything: a
    probe for taken logins costs one attempt each (counted by the shared limiter, so across
    processes when Redis is set)."""
    settings = ctx.settings
    bucket = (f"register:address:{ctx.viewer.address}", settings.registration_attempts_per_address)
    await intake.attempt(
        ctx.limiter, bucket, settings.registration_window_seconds, _("registration attempts from your address")
    )


async def _check_rate_limit(ctx: Context) -> None:
    settings = ctx.settings
    since = now_utc() - timedelta(seconds=settings.registration_window_seconds)
    recent = models.AuditEntry.filter(action=ACTION, address=ctx.viewer.address[:64], at__gte=since)
    if await recent.count() >= settings.registrations_per_address:
        oldest = await recent.order_by("at").first()
        retry = settings.registration_window_seconds
        if oldest is not None:
            retry = max(1, int((oldest.at - since).total_seconds()) + 1)
        raise RateLimited(
            ngettext(
                "Too many new accounts from your address. Try again in {n} second.",
                "Too many new accounts from your address. Try again in {n} seconds.",
                retry,
            ),
            ErrorCode.RATE_LIMITED,
            retry_after_seconds=retry,
        )


async def register(ctx: Context, login: str, password: str, full_name: str, email: str) -> sessions.TokenPair:
    await _check_attempts(ctx)
    await _check_rate_limit(ctx)
    problems: list[Problem] = []
    name = normalize_login(login)
    # The lookup runs for a malformed login too (as ""; it may hold what PostgreSQL's text
    # cannot), so that both refusals take the same statements.
    well_formed = LOGIN_PATTERN.fullmatch(name) is not None
    if await models.User.exists(login=name if well_formed else "") or not well_formed:
        problems.append(LOGIN_REFUSED)
    if len(password) < MIN_PASSWORD:
        problems.append(
            (
                "password",
                ErrorCode.PASSWORD_TOO_SHORT,
                ngettext("At least {n} character.", "At least {n} characters.", MIN_PASSWORD),
            )
        )
    elif len(password) > MAX_PASSWORD:
        problems.append(
            (
                "password",
                ErrorCode.PASSWORD_TOO_LONG,
                ngettext("At most {n} character.", "At most {n} characters.", MAX_PASSWORD),
            )
        )
    elif password.strip().casefold() == name:
        problems.append(("password", ErrorCode.PASSWORD_IS_LOGIN, _("The password cannot be the login.")))
    person = name_of(full_name, "fullName", MAX_NAME, problems)
    address = email.strip()
    if len(address) > MAX_EMAIL or not EMAIL_PATTERN.fullmatch(address):
        problems.append(("email", ErrorCode.INVALID_EMAIL, _("Give an e-mail address, e.g. name@example.org.")))
    if problems:
        raise refuse(problems)
    password_hash = await passwords.hashed(password)
    try:
        async with in_transaction():
            user = await models.User.create(login=name, password_hash=password_hash, full_name=person, email=address)
            await audit.record(Viewer(user.id, ctx.viewer.address), ACTION, "User", user.id, {"login": name})
    except IntegrityError:  # registered by someone else between the check and the insert
        raise refuse([LOGIN_REFUSED]) from None
    return await sessions.start_session(ctx.settings, user, user_agent(ctx), ctx.viewer.address)
