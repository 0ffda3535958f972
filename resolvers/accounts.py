"""Logging in and out, with limits on password guessing."""

from __future__ import annotations

from datetime import timedelta

import models
from resolvers import auth, ratelimit
from resolvers.clock import now_utc
from resolvers.context import Context
from resolvers.errors import InvalidCredentials, NotFound, RateLimited, Unauthenticated


def normalize_login(login: str) -> str:
    return login.strip().lower()


async def _check_rate_limit(ctx: Context, login: str) -> None:
    """Refuse while the login, or the client address, has too many recent failures.

    Counted in the database so that every server process shares the same counts."""
    settings = ctx.settings
    since = now_utc() - timedelta(seconds=settings.login_window_seconds)
    for field, value, limit in (
        ("login", login, settings.login_failures_per_login),
        ("address", ctx.viewer.address, settings.login_failures_per_address),
    ):
        recent = models.LoginAttempt.filter(**{field: value}, at__gte=since)
        if await recent.count() >= limit:
            oldest = await recent.order_by("at").first()
            retry = settings.login_window_seconds
            if oldest is not None:
                retry = max(1, int((oldest.at - since).total_seconds()) + 1)
            raise RateLimited(
                f"Too many failed logins. Try again in {retry} seconds.", "RATE_LIMITED", retry_after_seconds=retry
            )


async def _check_attempts(ctx: Context) -> None:
    """Refuse while the client address has made too many attempts, failed or not, in the
    current window: counted by the shared limiter, so across processes when Redis is set."""
    if ctx.limiter is None:
        return
    settings = ctx.settings
    bucket = (f"login:address:{ctx.viewer.address}", settings.logins_per_address)
    refused = await ratelimit.check(ctx.limiter, [bucket], settings.rate_window_seconds)
    if refused is not None:
        raise RateLimited(
            f"Too many login attempts from your address. Try again in {refused.retry_after} seconds.",
            "RATE_LIMITED",
            retry_after_seconds=refused.retry_after,
        )


async def login(ctx: Context, login: str, password: str) -> auth.TokenPair:
    name = normalize_login(login)[:100]
    await _check_attempts(ctx)
    await _check_rate_limit(ctx, name)
    user = await models.User.get_or_none(login=name, is_active=True)
    if not auth.verify_password(user.password_hash if user else None, password) or user is None:
        await models.LoginAttempt.create(login=name, address=ctx.viewer.address[:64])
        raise InvalidCredentials("Wrong login or password.", "INVALID_CREDENTIALS")
    await models.LoginAttempt.filter(login=name).delete()
    pair = await auth.issue_token_pair(ctx.settings, user)
    await models.AuditEntry.create(
        actor_id=user.id, action="session.login", object_type="User", object_id=user.id, address=ctx.viewer.address
    )
    return pair


async def refresh(ctx: Context, refresh_token: str) -> auth.TokenPair:
    pair = await auth.rotate_refresh_token(ctx.settings, refresh_token)
    if pair is None:
        raise InvalidCredentials(
            "The refresh token is invalid, expired or revoked. Log in again.", "INVALID_REFRESH_TOKEN"
        )
    return pair


async def logout(ctx: Context, refresh_token: str) -> None:
    if ctx.viewer.user_id is None:
        raise Unauthenticated("Log in first.")
    if not await auth.revoke_refresh_token(refresh_token, ctx.viewer.user_id):
        raise NotFound("No such session.", "SESSION_NOT_FOUND")
    await models.AuditEntry.create(
        actor_id=ctx.viewer.user_id,
        action="session.logout",
        object_type="User",
        object_id=ctx.viewer.user_id,
        address=ctx.viewer.address,
    )
