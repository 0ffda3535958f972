"""Who is asking and the session they ask from: the request's viewer and context, sessions
(one per login on one device, followed by everything the login opened) and their tokens.

Every resolver receives the request's typed context (``Context``), whose ``viewer``
(``Viewer``) says who is asking: a user id, or ``None`` for an anonymous request, and the
session its access token belongs to.

A session (``models.Session``) is created by a login (``start_session``) and named by the
``sid`` claim of every access token issued to it. Access tokens are short-lived signed JWTs
carrying only the user id and the session's id: every visibility decision is taken from the
database at request time, so a revoked guardianship or role takes effect on the next request,
and so does an ended session, a deactivated account or a pending password change
(``User.must_change_password``, checked by the permission classes). Refresh tokens are random
strings stored as SHA-256 hashes, rotated on every use (``models.RefreshToken``); they carry the
session's ``key`` as their family.

A session ends (``ended_at``) on logout, when its owner revokes it (``sessionRevoke``), when the
password is changed (the owner's other sessions) or reset by an admin, when the account is
deactivated, and when a used refresh token of it is presented again (stolen). From that moment:

- HTTP: every request reads the session with the account and its roles, in one statement
  (``admit``): an ended session's access tokens answer UNAUTHENTICATED at once, not when they
  expire.
- Sockets and their streams: the ending is announced on the broker after the commit
  (``announce``), and every process closes the session's sockets with 4401; a process that
  missed the message (the broker was down) finds the ending in the table (``ended_since``).

Ending is written inside the caller's transaction (``end``); the announcement follows its commit."""

from __future__ import annotations

import functools
import hashlib
import logging
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import jwt
from tortoise.transactions import in_transaction

import models
from edge.settings import Settings
from pubsub.broker import Broker, BrokerUnavailable, sessions_ended_topic
from resolvers import core
from resolvers.core import now_utc

if TYPE_CHECKING:
    from edge.intake import Limiter
    from resolvers.loaders import Loaders


# The viewer and the request's context.


@dataclass
class Viewer:
    """Who is asking. ``user_id`` is ``None`` for an anonymous request.

    Roles and the account's standing are read from the database once per request: with the
    session (``admit``), or on first use."""

    user_id: int | None
    address: str = ""
    # The session the access token belongs to (sessions: below).
    session_id: int | None = None
    # Why an anonymous viewer's token no longer works, when its session ended (``admit``):
    # ``extensions.reason`` of the UNAUTHENTICATED answer, so that the app can say why it signed out.
    ended: str | None = None
    _grants: list[models.RoleGrant] | None = field(default=None, repr=False)
    _account: models.User | None = field(default=None, repr=False)
    # The viewer's own children as read with the session (``admit``), until this request's
    # loaders take them (``take_children``).
    _children: list[models.Student] | None = field(default=None, repr=False)

    @property
    def authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def id(self) -> int:
        """The logged-in user's id, for code behind a field gated by ``IsAuthenticated`` (or a
        ``RoleGate``, ``schema/gates.py``): the one login check, made before the resolver
        runs. Asked of an anonymous viewer it is a bug (an ungated field), not a refusal."""
        if self.user_id is None:
            raise RuntimeError("An anonymous viewer reached code behind IsAuthenticated.")
        return self.user_id

    async def grants(self) -> list[models.RoleGrant]:
        if self._grants is None:
            if self.user_id is None:
                self._grants = []
            else:
                self._grants = await models.RoleGrant.filter(user_id=self.user_id).order_by("id")
        return self._grants

    async def account(self, refresh: bool = False) -> models.User | None:
        """The viewer's own user row (deactivated or not), ``None`` when anonymous or deleted.

        ``refresh`` reads it again: a socket's viewer lives as long as the connection."""
        if self.user_id is None:
            return None
        if self._account is None or refresh:
            self._account = await models.User.get_or_none(id=self.user_id)
        return self._account

    def remember_account(
        self, account: models.User, grants: list[models.RoleGrant], children: list[models.Student] | None = None
    ) -> None:
        """The account and its roles as read with the session (``admit``, at the start
        of this request or socket operation): not read again in it; and the children when
        they were read with it (``take_children``)."""
        self._account = account
        self._grants = grants
        self._children = children

    def known_account(self) -> models.User | None:
        """The account if it was read already (no statement)."""
        return self._account

    def take_children(self) -> list[models.Student] | None:
        """The viewer's own children if they were read with the session at the start of this
        request (``admit``), handed over once, to the request's loaders: the viewer keeps
        nothing of them, so a later operation (a socket's viewer lives for hours) reads them
        again."""
        children, self._children = self._children, None
        return children

    def forget(self) -> None:
        """Drop what was read (roles, the account, the children): a socket's viewer lives for
        hours, and an idle subscription keeps no cache until its next event reads them again."""
        self._grants = self._account = self._children = None

    async def roles(self) -> list[models.Role]:
        seen: list[models.Role] = []
        for grant in await self.grants():
            if grant.role not in seen:
                seen.append(grant.role)
        return sorted(seen, key=list(models.Role).index)


@dataclass
class Context:
    """The typed per-request context that every resolver receives."""

    request: Any
    viewer: Viewer
    loaders: Loaders
    broker: Broker
    settings: Settings
    response: Any = None
    # The graphql-transport-ws / graphql-ws ``connection_init`` payload, on sockets only.
    connection_params: dict[str, Any] | None = None
    # The shared rate limiter (edge/intake.py); None where nothing is limited.
    limiter: Limiter | None = None
    # On an authenticated socket: its binding to the session (``schema/websocket.py``).
    binding: Any = None
    # The language messages are written in (``resolvers/core.py``): chosen at the process edge
    # from Accept-Language, a socket's connection_init ``locale`` or EDIARY_DEFAULT_LOCALE.
    locale: str = core.FALLBACK


# Sessions.

log = logging.getLogger(__name__)

# How stale ``last_seen_at`` may be: it is written at most once this often per session, so a
# busy client costs one write a minute, not one per request.
SEEN_EVERY = timedelta(minutes=1)


class EndReason(StrEnum):
    LOGOUT = "LOGOUT"
    REVOKED = "REVOKED"
    PASSWORD_CHANGED = "PASSWORD_CHANGED"  # noqa: S105 - a reason, not a password
    PASSWORD_RESET = "PASSWORD_RESET"  # noqa: S105 - a reason, not a password
    DEACTIVATED = "DEACTIVATED"
    REFRESH_REUSED = "REFRESH_REUSED"
    SECOND_FACTOR_RESET = "SECOND_FACTOR_RESET"


async def open_session(user_id: int, user_agent: str = "", address: str = "") -> models.Session:
    """A new live session of the user (a login)."""
    now = now_utc()
    return await models.Session.create(
        user_id=user_id,
        key=secrets.token_hex(16),
        user_agent=user_agent[:300],
        address=address[:64],
        created_at=now,  # the same instant as last seen: never seen before it was created
        last_seen_at=now,
    )


async def end(
    reason: EndReason,
    *,
    session_ids: Iterable[int] | None = None,
    user_id: int | None = None,
    keep: int | None = None,
) -> list[int]:
    """End the live sessions named (``session_ids``), or every live session of ``user_id``
    but ``keep``; their refresh tokens are revoked and their push devices removed with them. Call it inside the write's
    transaction and ``announce`` what it returns after the commit. Returns the ended ids."""
    live = models.Session.filter(ended_at__isnull=True)
    if session_ids is not None:
        live = live.filter(id__in=list(session_ids))
    if user_id is not None:
        live = live.filter(user_id=user_id)
    if keep is not None:
        live = live.exclude(id=keep)
    # Whole rows: Tortoise drops FOR UPDATE from a values_list() query.
    rows = await live.select_for_update().only("id", "key")
    if not rows:
        return []
    now = now_utc()
    ids = sorted(int(row.id) for row in rows)
    await models.Session.filter(id__in=ids, ended_at__isnull=True).update(ended_at=now, end_reason=reason.value)
    await models.RefreshToken.filter(family__in=[row.key for row in rows], revoked_at__isnull=True).update(
        revoked_at=now
    )
    # Its push devices go with it (a push also asks whether the session is live when sent).
    await models.PushDevice.filter(session_id__in=ids).delete()
    return ids


async def announce(broker: Broker, session_ids: Iterable[int]) -> None:
    """After the commit: tell every process to close the ended sessions' sockets. A broker
    that cannot be reached loses nothing: each process also reads recent endings from the
    table (``ended_since``)."""
    ids = sorted(set(session_ids))
    if not ids:
        return
    try:
        await broker.publish(sessions_ended_topic(), ",".join(map(str, ids)))
    except BrokerUnavailable:
        log.warning("broker unavailable: %d ended session(s) left to the sockets' own check", len(ids))


def parse_announcement(message: str) -> list[int]:
    """The session ids of an ``announce`` message (nothing for a malformed one)."""
    try:
        return [int(part) for part in message.split(",") if part]
    except ValueError:
        return []


async def ended_since(since: datetime) -> list[tuple[int, datetime]]:
    """Sessions ended at or after ``since`` (index on ``ended_at``): ids and when."""
    rows = await models.Session.filter(ended_at__gte=since).values_list("id", "ended_at")
    return [(int(i), at) for i, at in rows]


# A rule of ``resolvers.policy`` giving the viewer's own children's ids as SQL and its values
# (``policy.children_ids``), for ``admit`` to read the children with the session.
ChildrenRule = Callable[[Viewer], tuple[str, list[Any]]]


async def admit(viewer: Viewer, children: ChildrenRule | None = None) -> Viewer:
    """The viewer if their session is live, else an anonymous one that says why (``ended``).
    Reads the session, the account and its roles in one statement and keeps the account and
    roles on the viewer (the request's permission checks use them): a request's whole
    authentication is one round trip, made afresh on every request, so a logout, a password
    change or a role taken away is seen by the next one. Touches ``last_seen_at`` at most once
    per ``SEEN_EVERY``.

    With ``children`` (the policy's rule), the same statement also reads the viewer's own
    children while the session is live, kept for this request's loaders (``take_children``):
    a family's first field (``Viewer.children``) then asks no statement of its own, and a
    guardianship revoked before the request is not among them."""
    if viewer.user_id is None or viewer.session_id is None:
        return Viewer(None, viewer.address)
    keys = [viewer.session_id, viewer.user_id]
    if children is None:
        rows = await core.fetch(_admit_statement(), keys)
    else:
        ids, values = children(viewer)
        rows = await core.fetch(_admit_statement(ids), [*keys, *values, *keys])
    if not rows or rows[0]["s_ended_at"] is not None:
        ended = ended_reason(rows[0]["s_end_reason"]) if rows else None
        return Viewer(None, viewer.address, ended=ended)
    first = rows[0]
    grants = [core.hydrate(models.RoleGrant, row, "g_") for row in rows if row["g_id"] is not None]
    family = None
    if children is not None:
        family = [core.hydrate(models.Student, row, "st_") for row in rows if row["st_id"] is not None]
    viewer.remember_account(core.hydrate(models.User, first, "u_"), grants, family)
    now = now_utc()
    if _instant(first["s_last_seen_at"]) < now - SEEN_EVERY:
        await models.Session.filter(id=viewer.session_id).update(last_seen_at=now)
    return viewer


@functools.cache
def _admit_statement(children: str | None = None) -> str:
    """The session with its account and the account's roles (one row per role; one with no
    role for an account that has none). With ``children`` (the policy's SQL of the viewer's
    own children's ids), also a row per child while the session is live: ``k`` is 0 for the
    session's rows and 1 for the children's, which follow by name and id."""
    session = f"{models.Session._meta.db_table} s"
    select = (
        "s.ended_at AS s_ended_at, s.end_reason AS s_end_reason, s.last_seen_at AS s_last_seen_at,"
        f" {core.columns(models.User, 'u')}, {core.columns(models.RoleGrant, 'g')}"
    )
    read = (
        f' FROM {session} JOIN "{models.User._meta.db_table}" u ON u.id = s.user_id'
        f" LEFT JOIN {models.RoleGrant._meta.db_table} g ON g.user_id = u.id AND s.ended_at IS NULL"
        " WHERE s.id = ? AND s.user_id = ?"
    )
    if children is None:
        return f"SELECT {select}{read} ORDER BY g.id"
    blank = ", ".join(f'NULL AS "st_{c}"' for c in models.Student._meta.fields_db_projection.values())
    return (
        f"SELECT 0 AS k, {select}, {blank}{read}"
        f" UNION ALL SELECT 1, {', '.join(['NULL'] * select.count(' AS '))}, {core.columns(models.Student, 'st')}"
        f" FROM {session} JOIN {models.Student._meta.db_table} st ON s.ended_at IS NULL AND st.id IN ({children})"
        ' WHERE s.id = ? AND s.user_id = ? ORDER BY k, "g_id", "st_full_name", "st_id"'
    )


def _instant(value: datetime | str) -> datetime:
    """A stored instant as the ORM reads it (SQLite answers text)."""
    instant: datetime = models.Session._meta.fields_map["last_seen_at"].to_python_value(value)
    return instant


def ended_reason(end_reason: str | None) -> str:
    """What an ended session's token answers (``extensions.reason``): ACCOUNT_DEACTIVATED when
    the account was deactivated, SESSION_ENDED for any other ending."""
    return "ACCOUNT_DEACTIVATED" if end_reason == EndReason.DEACTIVATED else "SESSION_ENDED"


async def is_live(session_id: int) -> bool:
    return await models.Session.filter(id=session_id, ended_at__isnull=True).exists()


# Tokens.

JWT_ALGORITHM = "HS256"
JWT_AUDIENCE = "ediary"


def issue_access_token(settings: Settings, user_id: int, session_id: int, now: datetime | None = None) -> str:
    """A short-lived token of one session (``sid``): it stops working when the session ends,
    whatever its ``exp`` says (``admit``)."""
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
    session is still live is the database's to say (``admit``)."""
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
    session = await open_session(user.id, user_agent, address)
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
            ended = [] if session is None else await end(EndReason.REFRESH_REUSED, session_ids=[session.id])
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
