"""Two-factor login (TOTP, RFC 6238): enrol, confirm, turn off, recovery codes, proving a code
(the login's second step is ``resolvers/login_steps.py``), and an admin's reset.

The TOTP secret is stored sealed (Fernet) with a key derived from SECRET_KEY by HKDF: a
database dump alone does not give it away; changing SECRET_KEY makes every enrolment unusable
(admins reset them, users enrol again). Recovery codes are stored as argon2 hashes (random
codes: the cheap parameters of one-time passwords, ``passwords.hash_one_time_password``). A TOTP
code is accepted within one 30-second step either side of the project's clock, and once per
user: the last accepted step is stored, and a code of that step or an earlier one is refused
(the update is conditional, so two processes cannot both accept it). Wrong codes are counted
per user and per address in the database (``SecondFactorAttempt``), apart from wrong
passwords, so that a right password does not forgive them."""

from __future__ import annotations

import base64
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

import pyotp
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

import models
from edge.settings import Settings
from resolvers import account_admin, accounts, audit, passwords, sessions
from resolvers.codes import ErrorCode
from resolvers.core import _, ngettext, now_utc
from resolvers.errors import refuse
from resolvers.sessions import Context, Viewer

ISSUER = "ediary"
STEP_SECONDS = 30
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no 0/o, 1/l: read aloud, typed by hand
_RECOVERY_LENGTH = 10  # 50 bits; shown as xxxxx-xxxxx


class Via(StrEnum):
    """How a second factor was proved (the audit's ``via``)."""

    TOTP = "TOTP"
    RECOVERY_CODE = "RECOVERY_CODE"


@dataclass(frozen=True)
class Enrolment:
    """A new, not yet confirmed authenticator: shown once, to the user who asked."""

    secret: str
    uri: str


def _fernet(settings: Settings) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"ediary second factor").derive(
        settings.secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def _unseal(settings: Settings, factor: models.SecondFactor) -> str | None:
    try:
        return _fernet(settings).decrypt(factor.secret_sealed.encode()).decode()
    except InvalidToken:  # sealed under another SECRET_KEY: no code can match
        return None


def _clean(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()[:32]


def _step_of(secret: str | None, code: str, after: int | None) -> int | None:
    """The time step (now, or one either side) whose code this is and is later than ``after``."""
    if secret is None or len(code) != 6 or not code.isdigit():
        return None
    totp, now = pyotp.TOTP(secret), int(now_utc().timestamp()) // STEP_SECONDS
    for step in (now - 1, now, now + 1):
        if (after is None or step > after) and hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def _new_recovery_codes() -> list[str]:
    return ["".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH)) for _ in range(RECOVERY_CODES)]


async def _store_recovery_codes(user_id: int) -> list[str]:
    """Ten fresh codes replacing every earlier one; returned once, as ``xxxxx-xxxxx``."""
    codes = _new_recovery_codes()
    await models.RecoveryCode.filter(user_id=user_id).delete()
    await models.RecoveryCode.bulk_create(
        [models.RecoveryCode(user_id=user_id, code_hash=passwords.hash_one_time_password(c)) for c in codes]
    )
    return [f"{c[:5]}-{c[5:]}" for c in codes]


async def recovery_codes_left(user_id: int) -> int:
    return await models.RecoveryCode.filter(user_id=user_id, used_at__isnull=True).count()


async def active_factor(user_id: int) -> models.SecondFactor | None:
    return await models.SecondFactor.get_or_none(user_id=user_id, confirmed_at__isnull=False)


async def check_limit(ctx: Context, user_id: int) -> None:
    """Refuse while this user (from everywhere) or this address has too many recent wrong codes."""
    settings = ctx.settings
    since = now_utc() - timedelta(seconds=settings.login_window_seconds)
    address = ctx.viewer.address[:64]
    limits = [({"user_id": user_id, "address": address}, settings.login_failures_per_login)]
    limits.append(({"user_id": user_id}, settings.second_factor_failures_per_user))
    limits.append(({"address": address}, settings.login_failures_per_address))
    await accounts.refuse_recent(
        [(models.SecondFactorAttempt.filter(**where, at__gte=since), limit) for where, limit in limits if limit],
        since,
        settings.login_window_seconds,
        lambda retry: ngettext(
            "Too many wrong codes. Try again in {n} second.", "Too many wrong codes. Try again in {n} seconds.", retry
        ),
    )


async def prove(ctx: Context, user_id: int, factor: models.SecondFactor, code: str) -> Via | None:
    """Consume ``code`` as the user's proof: a TOTP code of a step not used before, or an unused
    recovery code (used up, audited). Call inside the write's transaction; ``None``: wrong."""
    text = _clean(code)
    step = _step_of(_unseal(ctx.settings, factor), text, factor.last_step)
    if step is not None:
        fresh = Q(last_step__isnull=True) | Q(last_step__lt=step)
        return Via.TOTP if await models.SecondFactor.filter(fresh, id=factor.id).update(last_step=step) else None
    if len(text) != _RECOVERY_LENGTH:
        return None
    for row in await models.RecoveryCode.filter(user_id=user_id, used_at__isnull=True).order_by("id"):
        if passwords.verify_random_code(row.code_hash, text):
            if not await models.RecoveryCode.filter(id=row.id, used_at__isnull=True).update(used_at=now_utc()):
                return None  # used meanwhile by a concurrent login
            left = await recovery_codes_left(user_id)
            school_id = await accounts.home_school_id(user_id)
            viewer = Viewer(user_id, ctx.viewer.address)
            details = {"recoveryCodesLeft": left}
            await audit.record(viewer, "second_factor.recovery_code_use", "User", user_id, details, school_id=school_id)
            return Via.RECOVERY_CODE
    return None


async def count_wrong(ctx: Context, user_id: int) -> None:
    await models.SecondFactorAttempt.create(user_id=user_id, address=ctx.viewer.address[:64])


def wrong_code() -> Exception:
    return refuse([("code", ErrorCode.SECOND_FACTOR_CODE_WRONG, _("Wrong or used code."))])


async def _account(ctx: Context) -> models.User:
    """The viewer's account (its standing was checked by ``IsAuthenticated``)."""
    return await models.User.get(id=ctx.viewer.id)


async def enroll(ctx: Context) -> Enrolment:
    """A new secret for the viewer, not active until ``confirm``; replaces an unconfirmed one."""
    user = await _account(ctx)
    if await active_factor(user.id) is not None:
        raise refuse([("code", ErrorCode.SECOND_FACTOR_ALREADY_ON, _("Two-factor login is already on."))])
    secret = pyotp.random_base32()
    sealed = _fernet(ctx.settings).encrypt(secret.encode()).decode()
    async with in_transaction():
        await models.SecondFactor.filter(user_id=user.id).delete()
        await models.SecondFactor.create(user_id=user.id, secret_sealed=sealed)
    return Enrolment(secret, pyotp.TOTP(secret).provisioning_uri(name=user.login, issuer_name=ISSUER))


async def confirm(ctx: Context, code: str) -> list[str]:
    """A first valid code turns two-factor login on; the ten recovery codes are returned once."""
    user = await _account(ctx)
    pending = await models.SecondFactor.get_or_none(user_id=user.id)
    if pending is None or pending.confirmed_at is not None:
        problem = ErrorCode.SECOND_FACTOR_NOT_ENROLLED if pending is None else ErrorCode.SECOND_FACTOR_ALREADY_ON
        raise refuse([("code", problem, _("Start with `secondFactorEnroll`, then confirm its first code."))])
    await check_limit(ctx, user.id)
    step = _step_of(_unseal(ctx.settings, pending), _clean(code), None)
    if step is None:
        await count_wrong(ctx, user.id)
        raise wrong_code()
    async with in_transaction():
        if not await models.SecondFactor.filter(id=pending.id, confirmed_at__isnull=True).update(
            confirmed_at=now_utc(), last_step=step
        ):
            raise refuse([("code", ErrorCode.SECOND_FACTOR_ALREADY_ON, _("Two-factor login is already on."))])
        codes = await _store_recovery_codes(user.id)
        details = {"recoveryCodesLeft": len(codes)}
        school_id = await accounts.home_school_id(user.id)
        await audit.record(ctx.viewer, "second_factor.enable", "User", user.id, details, school_id=school_id)
    return codes


async def _with_proof(ctx: Context, code: str) -> tuple[models.User, models.SecondFactor]:
    user = await _account(ctx)
    factor = await active_factor(user.id)
    if factor is None:
        raise refuse([("code", ErrorCode.SECOND_FACTOR_NOT_ON, _("Two-factor login is not on."))])
    await check_limit(ctx, user.id)
    return user, factor


async def disable(ctx: Context, code: str) -> None:
    """Turn it off with a current authenticator code or a recovery code (not the password: a
    session and its password are what a second factor guards against)."""
    user, factor = await _with_proof(ctx, code)
    async with in_transaction():
        via = await prove(ctx, user.id, factor, code)
        if via is not None:
            await models.SecondFactor.filter(user_id=user.id).delete()
            await models.RecoveryCode.filter(user_id=user.id).delete()
            await models.LoginChallenge.filter(user_id=user.id).delete()
            school_id = await accounts.home_school_id(user.id)
            await audit.record(
                ctx.viewer, "second_factor.disable", "User", user.id, {"via": via.value}, school_id=school_id
            )
            return
    await count_wrong(ctx, user.id)
    raise wrong_code()


async def regenerate(ctx: Context, code: str) -> list[str]:
    """Ten new recovery codes (every earlier one stops working), with a current code."""
    user, factor = await _with_proof(ctx, code)
    async with in_transaction():
        via = await prove(ctx, user.id, factor, code)
        if via is not None:
            codes = await _store_recovery_codes(user.id)
            details = {"via": via.value, "recoveryCodesLeft": len(codes)}
            school_id = await accounts.home_school_id(user.id)
            await audit.record(
                ctx.viewer, "second_factor.recovery_codes_regenerate", "User", user.id, details, school_id=school_id
            )
            return codes
    await count_wrong(ctx, user.id)
    raise wrong_code()


async def reset(ctx: Context, user_id: str) -> models.User:
    """An admin turns a user's second factor off (a lost phone and no recovery code left):
    every session of the user ends; they enrol again if their role requires it."""
    user = await account_admin.managed_user(ctx, user_id)
    if user.id == ctx.viewer.id:
        raise refuse([("userId", ErrorCode.CANNOT_RESET_SELF, _("Turn your own second factor off yourself."))])
    if not await models.SecondFactor.exists(user_id=user.id):
        raise refuse([("userId", ErrorCode.SECOND_FACTOR_NOT_ON, _("Two-factor login is not on."))])
    async with in_transaction():
        await models.SecondFactor.filter(user_id=user.id).delete()
        await models.RecoveryCode.filter(user_id=user.id).delete()
        await models.LoginChallenge.filter(user_id=user.id).delete()
        ended = await sessions.end(sessions.EndReason.SECOND_FACTOR_RESET, user_id=user.id)
        await audit.record(
            ctx.viewer,
            "second_factor.reset",
            "User",
            user.id,
            {"sessionsEnded": len(ended)},
            school_id=await account_admin.audit_school(ctx, user.id),
        )
    await sessions.announce(ctx.broker, ended)
    return user
