"""Passwords, access tokens and refresh tokens.

Access tokens are short-lived signed JWTs carrying only the user id and the session's id
(``sid``): every visibility decision is taken from the database at request time, so a revoked
guardianship or role takes effect on the next request, and so does an ended session
(``resolvers/sessions.py``), a deactivated account or a pending password change
(``User.must_change_password``, checked by the permission classes).
Refresh tokens are random strings stored as SHA-256 hashes and rotated on every use (see
``models.RefreshToken``)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from argon2 import PasswordHasher, extract_parameters
from argon2.exceptions import InvalidHashError, VerificationError
from tortoise.transactions import in_transaction

import models
from edge.settings import Settings
from resolvers import sessions
from resolvers.clock import now_utc
from resolvers.sessions import EndReason

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


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def verify_random_code(code_hash: str, code: str) -> bool:
    """A random code (a recovery code) against its cheap hash, without ``verify_password``'s
    dummy full-cost work: which codes exist is not what the response time could tell."""
    return _verify(code_hash, code)


def _full_cost(password_hash: str) -> bool:
    """Whether verifying against this hash costs what a chosen password's does."""
    try:
        parameters = extract_parameters(password_hash)
    except InvalidHashError:
        return False
    return (parameters.time_cost, parameters.memory_cost) >= (_hasher.time_cost, _hasher.memory_cost)


def verify_password(password_hash: str | None, password: str) -> bool:
    """The same work whatever the account's state: exactly one full-cost argon2 verification,
    against the account's hash when it is a chosen password's, else against a dummy one (an
    unknown login, an account holding a cheap one-time password's hash or none) on top of the
    cheap check, so that the response time tells nothing about the login or its account."""
    if password_hash is not None and _full_cost(password_hash):
        return _verify(password_hash, password)
    _verify(_DUMMY_HASH, password)
    return password_hash is not None and _verify(password_hash, password)


def issue_access_token(settings: Settings, user_id: int, session_id: int, now: datetime | None = None) -> str:
    """A short-lived token of one session (``sid``): it stops working when the session ends,
    whatever its ``exp`` says (``resolvers/sessions.py``)."""
    now = now or now_utc()
    claims = {
        "sub": str(user_id),
        "sid": session_id,
        "aud": JWT_AUDIENCE,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=settings.access_token_ttl)).timestamp()),
        "typ": "access",
    }
    return jwt.encode(claims, settings.secret_key, algorithm=JWT_ALGORITHM)


class InvalidToken(Exception):
    """The bearer token is malformed, forged or expired."""


@dataclass(frozen=True, slots=True)
class AccessClaims:
    """What a valid access token says: whose, which session, and until when."""

    user_id: int
    session_id: int
    expires_at: datetime


def read_access_token(settings: Settings, token: str) -> AccessClaims:
    """The claims of a valid, unexpired access token, else ``InvalidToken``. Whether its
    session is still live is the database's to say (``sessions.admit``)."""
    try:
        claims = jwt.decode(
            token,
            settings.secret_key,
            algorithms=[JWT_ALGORITHM],
            audience=JWT_AUDIENCE,
            # Expiry is checked below against the project's clock, not the library's.
            options={"require": ["exp", "sub", "aud", "sid"], "verify_exp": False, "verify_iat": False},
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from None
    expires = claims.get("exp")
    if not isinstance(expires, int) or expires <= now_utc().timestamp():
        raise InvalidToken("Signature has expired")
    if claims.get("typ") != "access":
        raise InvalidToken("not an access token")
    session_id = claims.get("sid")
    if not isinstance(session_id, int) or isinstance(session_id, bool):
        raise InvalidToken("bad session")
    try:
        user_id = int(claims["sub"])
    except (TypeError, ValueError):
        raise InvalidToken("bad subject") from None
    return AccessClaims(user_id, session_id, datetime.fromtimestamp(expires, UTC))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    user: models.User
    session_id: int


async def issue_token_pair(settings: Settings, user: models.User, session: models.Session) -> TokenPair:
    """A fresh access token and refresh token of a live session."""
    refresh = secrets.token_urlsafe(32)
    await models.RefreshToken.create(
        user=user,
        token_hash=_digest(refresh),
        family=session.key,
        expires_at=now_utc() + timedelta(seconds=settings.refresh_token_ttl),
    )
    return TokenPair(issue_access_token(settings, user.id, session.id), refresh, user, session.id)


async def start_session(settings: Settings, user: models.User, user_agent: str = "", address: str = "") -> TokenPair:
    """A login: a new session and its first token pair."""
    session = await sessions.open_session(user.id, user_agent, address)
    return await issue_token_pair(settings, user, session)


async def renew_session(settings: Settings, user: models.User, session: models.Session) -> TokenPair:
    """A fresh pair for a live session that goes on (its owner just changed the password in
    it): its earlier refresh tokens are used up, so presenting one of them again ends the
    session like any replayed token. Call it inside the write's transaction."""
    await models.RefreshToken.filter(family=session.key, revoked_at__isnull=True).update(revoked_at=now_utc())
    return await issue_token_pair(settings, user, session)


@dataclass(frozen=True)
class Rotation:
    """A refresh: the new pair, or ``None`` with the sessions a replayed token ended."""

    pair: TokenPair | None
    ended: list[int]


async def rotate_refresh_token(settings: Settings, token: str) -> Rotation:
    """Exchange a refresh token for a new pair. No pair for an unknown, expired or revoked
    token or an ended session; presenting a revoked token of a live session ends that session
    (token theft: the thief and the owner are both signed out)."""
    now = now_utc()
    async with in_transaction():
        row = await models.RefreshToken.filter(token_hash=_digest(token)).select_for_update().first()
        if row is None:
            return Rotation(None, [])
        session = await models.Session.get_or_none(key=row.family, ended_at__isnull=True)
        if row.revoked_at is not None:
            ended = [] if session is None else await sessions.end(EndReason.REFRESH_REUSED, session_ids=[session.id])
            return Rotation(None, ended)
        if row.expires_at <= now or session is None:
            return Rotation(None, [])
        user = await models.User.get_or_none(id=row.user_id, is_active=True)
        if user is None:
            return Rotation(None, [])
        row.revoked_at = now
        await row.save(update_fields=["revoked_at"])
        return Rotation(await issue_token_pair(settings, user, session), [])


async def session_of_refresh_token(token: str, user_id: int) -> int | None:
    """The live session a live refresh token of the user belongs to."""
    row = await models.RefreshToken.get_or_none(token_hash=_digest(token), user_id=user_id, revoked_at__isnull=True)
    if row is None:
        return None
    session = await models.Session.get_or_none(key=row.family, user_id=user_id, ended_at__isnull=True)
    return session.id if session is not None else None
