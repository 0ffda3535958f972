"""A school's accounts for its admins: everyone holding a role there whom the viewer administers
(``policy.administered_users``), by name, filtered and paged; one statement for the pages of any
number of schools."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import models
from resolvers import pages, policy, sql
from resolvers.context import Viewer
from resolvers.errors import BadUserInput

MAX_PAGE = 100


def encode_cursor(position: int) -> str:
    return pages.encode("accounts", position)


def decode_cursor(cursor: str) -> int:
    pk = pages.decode("accounts", cursor)
    if pk is None:
        raise BadUserInput("Unknown cursor: pass an `endCursor` of this connection.", argument="after")
    return pk


@dataclass(frozen=True)
class AccountFilter:
    """``first`` accounts after position ``offset`` (1-based positions in name order)."""

    first: int
    offset: int
    role: models.Role | None
    active: bool | None
    search: str | None


@dataclass(frozen=True)
class AccountKey:
    school_id: int
    filter: AccountFilter


@dataclass
class AccountPage:
    accounts: list[tuple[int, models.User]]  # (position, user)
    has_next_page: bool


def page_filter(
    first: int, after: str | None, role: models.Role | None, active: bool | None, search: str | None
) -> AccountFilter:
    if not 0 <= first <= MAX_PAGE:
        raise BadUserInput(f"`first` is 0 to {MAX_PAGE}.", argument="first")
    text = " ".join((search or "").split()).lower()
    return AccountFilter(first, decode_cursor(after) if after else 0, role, active, text or None)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def pages_by_school(viewer: Viewer, keys: Sequence[AccountKey]) -> list[AccountPage]:
    """One statement per distinct filter: a window numbering each school's matching accounts
    by name, cut to the requested positions. Only accounts the viewer administers are there (a
    teacher who also works in another school is not listed by either school's admin)."""
    by_filter: dict[AccountFilter, set[int]] = defaultdict(set)
    for key in keys:
        by_filter[key.filter].add(key.school_id)
    pages: dict[AccountKey, AccountPage] = {}
    for f, school_ids in by_filter.items():
        grants = (
            "SELECT DISTINCT school_id, user_id FROM role_grant WHERE school_id IN ("
            + sql.placeholders(len(school_ids))
            + ")"
        )
        params: list[Any] = sorted(school_ids)
        if f.role is not None:
            grants += " AND role = ?"
            params.append(f.role.value)
        scope, scope_params = sql.embedded(policy.administered_users(viewer).values("id"))
        where = [f"u.id IN ({scope})"]
        params += scope_params
        if f.active is not None:
            where.append("u.is_active = ?")
            params.append(f.active)
        if f.search is not None:
            where.append("(LOWER(u.full_name) LIKE ? ESCAPE '\\' OR u.login LIKE ? ESCAPE '\\')")
            params += [_like(f.search), _like(f.search)]
        statement = (
            "SELECT * FROM (SELECT u.*, g.school_id AS g_school_id, "
            "ROW_NUMBER() OVER (PARTITION BY g.school_id ORDER BY u.full_name, u.id) AS rn "
            f"FROM user_account u JOIN ({grants}) g ON g.user_id = u.id WHERE {' AND '.join(where)}) t "
            "WHERE t.rn > ? AND t.rn <= ? ORDER BY t.g_school_id, t.rn"
        )
        rows = await sql.fetch(statement, [*params, f.offset, f.offset + f.first + 1])
        grouped: dict[int, list[tuple[int, models.User]]] = defaultdict(list)
        for row in rows:
            grouped[int(row["g_school_id"])].append((int(row["rn"]), sql.hydrate(models.User, row)))
        for school_id in school_ids:
            found = grouped.get(school_id, [])
            pages[AccountKey(school_id, f)] = AccountPage(found[: f.first], len(found) > f.first)
    return [pages[key] for key in keys]
