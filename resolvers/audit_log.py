"""Reading a school's audit log: newest first, filtered, one page per school, and one
statement for the pages of any number of schools (a district admin listing every school's
log pays what a school admin pays for one)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import models
from resolvers import pages, sql
from resolvers.errors import BadUserInput

DEFAULT_PAGE = 20


def encode_cursor(entry_id: int) -> str:
    return pages.encode("audit", entry_id)


def decode_cursor(cursor: str, argument: str = "after") -> int:
    pk = pages.decode("audit", cursor)
    if pk is None:
        raise BadUserInput("Unknown cursor: pass an `endCursor` of this connection.", argument=argument)
    return pk


@dataclass(frozen=True)
class AuditFilter:
    """One page request: ``size`` entries older than ``after`` and newer than ``before`` (entry
    ids), matching the rest; from the oldest end (``last``) when ``backward``."""

    size: int
    backward: bool
    after: int | None
    before: int | None
    action: str | None
    actor_id: int | None
    since: datetime | None
    until: datetime | None


@dataclass(frozen=True)
class AuditKey:
    school_id: int
    filter: AuditFilter


@dataclass
class AuditPage:
    entries: list[models.AuditEntry]  # newest first
    has_next_page: bool
    has_previous_page: bool


def page_filter(
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    action: str | None,
    actor_id: int | None,
    since: datetime | None,
    until: datetime | None,
) -> AuditFilter:
    first, last = pages.page_sizes(first, last)
    if since is not None and until is not None and since > until:
        raise BadUserInput("`from` is after `to`.", argument="from")
    return AuditFilter(
        (last if last is not None else DEFAULT_PAGE if first is None else first),
        last is not None,
        decode_cursor(after) if after is not None else None,
        decode_cursor(before, "before") if before is not None else None,
        action,
        actor_id,
        since,
        until,
    )


def _instant(value: datetime) -> Any:
    """A bound for the ``at`` column: PostgreSQL compares instants; SQLite compares the text
    the driver stored (``YYYY-MM-DD HH:MM:SS.ffffff+00:00``), so the bound is written alike."""
    value = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if sql.dialect() == "postgres":
        return value
    return value.isoformat(" ", timespec="microseconds")


async def pages_by_school(keys: Sequence[AuditKey]) -> list[AuditPage]:
    """One statement per distinct filter (normally one): each school's newest ``size + 1``
    matching entries (its oldest, for ``last``), by a window over the school's rows."""
    by_filter: dict[AuditFilter, set[int]] = defaultdict(set)
    for key in keys:
        by_filter[key.filter].add(key.school_id)
    by_key: dict[AuditKey, AuditPage] = {}
    for f, school_ids in by_filter.items():
        where = ["a.school_id IN (" + sql.placeholders(len(school_ids)) + ")"]
        params: list[Any] = sorted(school_ids)
        for clause, value in (
            ("a.id < ?", f.after),
            ("a.id > ?", f.before),
            ("a.action = ?", f.action),
            ("a.actor_id = ?", f.actor_id),
            ("a.at >= ?", _instant(f.since) if f.since else None),
            ("a.at <= ?", _instant(f.until) if f.until else None),
        ):
            if value is not None:
                where.append(clause)
                params.append(value)
        order = "ASC" if f.backward else "DESC"
        statement = (
            "SELECT * FROM (SELECT a.*, ROW_NUMBER() OVER (PARTITION BY a.school_id ORDER BY a.id "
            f"{order}) AS rn FROM audit_entry a WHERE {' AND '.join(where)}) t WHERE t.rn <= ? "
            f"ORDER BY t.school_id, t.id {order}"
        )
        rows = await sql.fetch(statement, [*params, f.size + 1])
        grouped: dict[int, list[models.AuditEntry]] = defaultdict(list)
        for row in rows:
            grouped[int(row["school_id"])].append(sql.hydrate(models.AuditEntry, row))
        for school_id in school_ids:
            found = grouped.get(school_id, [])
            more = len(found) > f.size
            if f.backward:  # the oldest entries, read oldest first: the page before `before`
                entries = found[: f.size][::-1]
                page = AuditPage(entries, has_next_page=f.before is not None, has_previous_page=more)
            else:  # entries are never deleted: a page after a cursor has that entry before it
                page = AuditPage(found[: f.size], has_next_page=more, has_previous_page=f.after is not None)
            by_key[AuditKey(school_id, f)] = page
    return [by_key[key] for key in keys]
