"""Is an exception the database being unreachable, rather than a bug?

A connection dropped mid-request (a database restart or failover, a killed backend, a network
cut), a database refusing connections while it starts or shuts down, too many connections,
or SQLite's write lock held past the busy timeout. The request's transaction did not commit,
so nothing of it was saved and sending it again is safe: the client is told so
(``reason: DATABASE_UNAVAILABLE``, ``retryable``) instead of a masked internal error."""

from __future__ import annotations

import sqlite3

import asyncpg.exceptions as pg  # type: ignore[import-untyped]
from tortoise.exceptions import DBConnectionError

_UNREACHABLE: tuple[type[BaseException], ...] = (
    pg.PostgresConnectionError,  # SQLSTATE class 08, and the socket closed under a statement
    pg.AdminShutdownError,  # pg_terminate_backend, a fast shutdown
    pg.CrashShutdownError,
    pg.CannotConnectNowError,  # starting up, in recovery
    pg.TooManyConnectionsError,
    DBConnectionError,  # Tortoise could not open its connection or pool
    ConnectionError,  # refused or reset before PostgreSQL said anything
)
_SQLITE_BUSY = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)  # primary codes; extended ones add high bits


def database_unreachable(exc: BaseException | None) -> bool:
    """True when ``exc``, or an exception it was raised from or while handling (a failed
    rollback on a dead connection is raised while handling the original loss), is one of the
    above."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, _UNREACHABLE):
            return True
        if isinstance(exc, sqlite3.OperationalError) and (getattr(exc, "sqlite_errorcode", 0) & 0xFF) in _SQLITE_BUSY:
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False
