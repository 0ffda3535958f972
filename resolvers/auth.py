"""Passwords, access tokens and refresh tokens.

Access tokens are short-lived signed JWTs carrying only the user id: every visibility
decision is taken from the database at request time, so a revoked guardianship or role
takes effect on the next request, and so does a deactivated account or a pending
password change (``User.must_change_password``, checked by the permission classes).
Refresh tokens are random strings stored as SHA-256 hashes and rotated on every use (see
``models.RefreshToken``)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from tortoise.transactions import in_transaction

import models
from resolvers.clock import now_utc
from resolvers.settings import Settings

_hasher = PasswordHasher()  # argon2id, the library's current recommended parameters
# One-time passwords are random (~80 bits), not chosen by people: guessing them from the hash
# is hopeless whatever its cost, so they are hashed cheaply. That keeps a roster import of a
# thousand accounts at a few seconds instead of a minute; ``verify_password`` reads the
# parameters from the hash itself.
_one_time_hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
# Verified against when the login is unknown, so that an unknown login costs the same time
# as a wrong password and the response time does not reveal which logins exist.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))

JWT_ALGORITHM = "HS256"
JWT_AUDIENCE = "ediary"


# Readable one-time passwords: no 0/O, 1/l/I. 14 characters of 55 is ~80 bits.
_OTP_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
OTP_LENGTH = 14


def one_time_password() -> str:
    """A fresh random password for an admin to hand over; shown once, stored only hashed."""
    return "".join(secrets.choice(_OTP_ALPHABET) for _ in range(OTP_LENGTH))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def hash_one_time_password(password: str) -> str:
    return _one_time_hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant work whether or not the user exists: always one argon2 verification."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def issue_access_token(settings: Settings, user_id: int, now: datetime | None = None) -> str:
    now = now or now_utc()
    claims = {
        "sub": str(user_id),
        "aud": JWT_AUDIENCE,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=settings.access_token_ttl)).timestamp()),
        "typ": "access",
    }
    return jwt.encode(claims, settings.secret_key, algorithm=JWT_ALGORITHM)


class InvalidToken(Exception):
    """The bearer token is malformed, forged or expired."""


def user_id_from_access_token(settings: Settings, token: str) -> int:
    try:
        claims = jwt.decode(
            token,
            settings.secret_key,
            algorithms=[JWT_ALGORITHM],
            audience=JWT_AUDIENCE,
            # Expiry is checked below against the project's clock, not the library's.
            options={"require": ["exp", "sub", "aud"], "verify_exp": False, "verify_iat": False},
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from None
    expires = claims.get("exp")
    if not isinstance(expires, int) or expires <= now_utc().timestamp():
        raise InvalidToken("Signature has expired")
    if claims.get("typ") != "access":
        raise InvalidToken("not an access token")
    try:
        return int(claims["sub"])
    except (TypeError, ValueError):
        raise InvalidToken("bad subject") from None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    user: models.User


async def issue_token_pair(settings: Settings, user: models.User, family: str | None = None) -> TokenPair:
    refresh = secrets.token_urlsafe(32)
    await models.RefreshToken.create(
        user=user,
        token_hash=_digest(refresh),
        family=family or secrets.token_hex(16),
        expires_at=now_utc() + timedelta(seconds=settings.refresh_token_ttl),
    )
    return TokenPair(issue_access_token(settings, user.id), refresh, user)


async def rotate_refresh_token(settings: Settings, token: str) -> TokenPair | None:
    """Exchange a refresh token for a new pair. ``None`` for an unknown, expired or revoked
    token; presenting a revoked token revokes its whole family (token theft)."""
    now = now_utc()
    async with in_transaction():
        row = await models.RefreshToken.filter(token_hash=_digest(token)).select_for_update().first()
        if row is None:
            return None
        if row.revoked_at is not None:
            await models.RefreshToken.filter(family=row.family, revoked_at__isnull=True).update(revoked_at=now)
            return None
        if row.expires_at <= now:
            return None
        user = await models.User.get_or_none(id=row.user_id, is_active=True)
        if user is None:
            return None
        row.revoked_at = now
        await row.save(update_fields=["revoked_at"])
        return await issue_token_pair(settings, user, family=row.family)


async def revoke_refresh_token(token: str, user_id: int) -> bool:
    """Log out: revoke the token's whole family (this device's session). True if it was live."""
    row = await models.RefreshToken.get_or_none(token_hash=_digest(token), user_id=user_id)
    if row is None:
        return False
    updated = await models.RefreshToken.filter(family=row.family, revoked_at__isnull=True).update(revoked_at=now_utc())
    return updated > 0


async def revoke_all_refresh_tokens(user_id: int, keep_family: str | None = None) -> int:
    """End every session of the user (all devices), except ``keep_family`` if given."""
    live = models.RefreshToken.filter(user_id=user_id, revoked_at__isnull=True)
    if keep_family is not None:
        live = live.exclude(family=keep_family)
    return await live.update(revoked_at=now_utc())


async def refresh_token_family(token: str, user_id: int) -> str | None:
    """The session (family) a live refresh token of the user belongs to."""
    row = await models.RefreshToken.get_or_none(token_hash=_digest(token), user_id=user_id, revoked_at__isnull=True)
    return row.family if row else None
