"""A login after its first factor (a password; an external identity): a session at once, or
a challenge the second factor completes (``resolvers/second_factor.py``). Challenges live in
the database (``LoginChallenge``, only their SHA-256): short-lived, single-use, bound to their
user, valid on every server process."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

import models
from resolvers import accounts, second_factor, sessions
from resolvers.codes import ErrorCode
from resolvers.core import _, now_utc
from resolvers.errors import InvalidCredentials
from resolvers.sessions import Context

CHALLENGE_TTL = timedelta(minutes=5)


@dataclass(frozen=True)
class Challenge:
    """A login waiting for its second factor: the token for ``loginSecondFactor``."""

    token: str
    expires_at: datetime


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def finish_login(ctx: Context, user: models.User) -> sessions.TokenPair | Challenge:
    """After the first factor (a password; an external identity): a session when the user has
    no second factor, else a challenge for ``loginSecondFactor`` and no session yet."""
    if await second_factor.active_factor(user.id) is None:
        async with in_transaction():
            return await accounts.start_session(ctx, user)
    token = secrets.token_urlsafe(32)
    expires = now_utc() + CHALLENGE_TTL
    await models.LoginChallenge.create(
        user_id=user.id, token_hash=_digest(token), address=ctx.viewer.address[:64], expires_at=expires
    )
    return Challenge(token, expires)


async def complete_login(ctx: Context, challenge: str, code: str) -> sessions.TokenPair:
    """The second step: a live challenge and a right code open the session (the challenge is
    used up); an unknown, expired or used challenge, or one whose user can no longer log in,
    is LOGIN_CHALLENGE_INVALID."""
    await accounts.check_attempts(ctx)
    invalid = InvalidCredentials(
        _("This login has expired or was completed: log in with your password again."),
        ErrorCode.LOGIN_CHALLENGE_INVALID,
    )
    row = await models.LoginChallenge.get_or_none(
        token_hash=_digest(challenge[:100]), used_at__isnull=True, expires_at__gt=now_utc()
    )
    user = await models.User.get_or_none(id=row.user_id, is_active=True) if row else None
    factor = await second_factor.active_factor(user.id) if user else None
    if row is None or user is None or factor is None:
        raise invalid
    await second_factor.check_limit(ctx, user.id)
    via: second_factor.Via | None = None
    async with in_transaction():
        via = await second_factor.prove(ctx, user.id, factor, code)
        if via is not None:
            if not await models.LoginChallenge.filter(id=row.id, used_at__isnull=True).update(used_at=now_utc()):
                raise invalid  # completed meanwhile: the code's use is rolled back
            return await accounts.start_session(ctx, user, via.value)
    await second_factor.count_wrong(ctx, user.id)
    raise InvalidCredentials(_("Wrong or used code."), ErrorCode.SECOND_FACTOR_CODE_WRONG)
