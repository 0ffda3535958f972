"""Sessions: one per login on one device, followed by everything the login opened.

A session (``models.Session``) is created by a login and named by the ``sid`` claim of every
access token issued to it; its refresh tokens carry its ``key`` as their family. It ends
(``ended_at``) on logout, when its owner revokes it (``sessionRevoke``), when the password is
changed (the owner's other sessions) or reset by an admin, when the account is deactivated,
and when a used refresh token of it is presented again (stolen). From that moment:

- HTTP: every request reads the session with the account, in one statement (``admit``): an
  ended session's access tokens answer UNAUTHENTICATED at once, not when they expire.
- Sockets and their streams: the ending is announced on the broker after the commit
  (``announce``), and every process closes the session's sockets with 4401; a process that
  missed the message (the broker was down) finds the ending in the table (``ended_since``).

Ending is written inside the caller's transaction (``end``); the announcement follows its commit."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum

import models
from pubsub.broker import Broker, BrokerUnavailable
from pubsub.topics import sessions_ended_topic
from resolvers.clock import now_utc
from resolvers.context import Viewer

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
    but ``keep``; their refresh tokens are revoked with them. Call it inside the write's
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


async def admit(viewer: Viewer) -> Viewer:
    """The viewer if their session is live, else an anonymous one that says why (``ended``).
    Reads the account with the session in one statement and keeps it on the viewer (the
    request's permission check uses it). Touches ``last_seen_at`` at most once per ``SEEN_EVERY``."""
    if viewer.user_id is None or viewer.session_id is None:
        return Viewer(None, viewer.address)
    row = await models.Session.filter(id=viewer.session_id, user_id=viewer.user_id).select_related("user").first()
    if row is None or row.ended_at is not None:
        ended = None if row is None else ended_reason(row.end_reason)
        return Viewer(None, viewer.address, ended=ended)
    viewer.remember_account(row.user)
    now = now_utc()
    if row.last_seen_at < now - SEEN_EVERY:
        await models.Session.filter(id=row.id).update(last_seen_at=now)
    return viewer


def ended_reason(end_reason: str | None) -> str:
    """What an ended session's token answers (``extensions.reason``): ACCOUNT_DEACTIVATED when
    the account was deactivated, SESSION_ENDED for any other ending."""
    return "ACCOUNT_DEACTIVATED" if end_reason == EndReason.DEACTIVATED else "SESSION_ENDED"


async def is_live(session_id: int) -> bool:
    return await models.Session.filter(id=session_id, ended_at__isnull=True).exists()
