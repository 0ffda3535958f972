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

MAX_PAGE = 100


def encode_cursor(entry_id: int) -> str:
    return pages.encode("audit", entry_id)


def decode_cursor(cursor: str) -> int:
    pk = pages.decode("audit", cursor)
    if pk is None:
        raise BadUserInput("Unknown cursor: pass an `endCursor` of this connection.", argument="after")
    return pk


@dataclass(frozen=True)
class AuditFilter:
    """One page request: ``first`` entries older than ``after`` (an entry id), matching the rest."""

    first: int
    after: int | None
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
    entries: list[models.AuditEntry]
    has_next_page: bool


def page_filter(
    first: int,
    after: str | None,
    action: str | None,
    actor_id: int | None,
    since: datetime | None,
    until: datetime | None,
) -> AuditFilter:
    if not 0 <= first <= MAX_PAGE:
        raise BadUserInput(f"`first` is 0 to {MAX_PAGE}.", argument="first")
    if since is not None and until is not None and since > until:
        raise BadUserInput("`from` is after `to`.", argument="from")
    return AuditFilter(first, decode_cursor(after) if after else None, action, actor_id, since, until)


def _instant(value: datetime) -> Any:
    """A bound for the ``at`` column: PostgreSQL compares instants; SQLite compares the text
    the driver stored (``YYYY-MM-DD HH:MM:SS.ffffff+00:00``), so the bound is written alike."""
    value = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if sql.dialect() == "postgres":
        return value
    return value.isoformat(" ", timespec="microseconds")


async def pages_by_school(keys: Sequence[AuditKey]) -> list[AuditPage]:
    """One statement per distinct filter (normally one): each school's newest ``first + 1``
    matching entries, by a window over the school's rows."""
    by_filter: dict[AuditFilter, set[int]] = defaultdict(set)
    for key in keys:
        by_filter[key.filter].add(key.school_id)
    pages: dict[AuditKey, AuditPage] = {}
    for f, school_ids in by_filter.items():
        where = ["a.school_id IN (" + sql.placeholders(len(school_ids)) + ")"]
        params: list[Any] = sorted(school_ids)
        for clause, value in (
            ("a.id < ?", f.after),
            ("a.action = ?", f.action),
            ("a.actor_id = ?", f.actor_id),
            ("a.at >= ?", _instant(f.since) if f.since else None),
            ("a.at <= ?", _instant(f.until) if f.until else None),
        ):
            if value is not None:
                where.append(clause)
                params.append(value)
        statement = (
            "SELECT * FROM (SELECT a.*, ROW_NUMBER() OVER (PARTITION BY a.school_id ORDER BY a.id DESC) AS rn "
            f"FROM audit_entry a WHERE {' AND '.join(where)}) t WHERE t.rn <= ? ORDER BY t.school_id, t.id DESC"
        )
        rows = await sql.fetch(statement, [*params, f.first + 1])
        grouped: dict[int, list[models.AuditEntry]] = defaultdict(list)
        for row in rows:
            grouped[int(row["school_id"])].append(sql.hydrate(models.AuditEntry, row))
        for school_id in school_ids:
            found = grouped.get(school_id, [])
            pages[AuditKey(school_id, f)] = AuditPage(found[: f.first], len(found) > f.first)
    return [pages[key] for key in keys]
