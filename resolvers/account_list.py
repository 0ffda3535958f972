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

DEFAULT_PAGE = 50


def encode_cursor(position: int) -> str:
    return pages.encode("accounts", position)


def decode_cursor(cursor: str, argument: str = "after") -> int:
    pk = pages.decode("accounts", cursor)
    if pk is None:
        raise BadUserInput("Unknown cursor: pass an `endCursor` of this connection.", argument=argument)
    return pk


@dataclass(frozen=True)
class AccountFilter:
    """``size`` accounts after position ``offset`` and before position ``before`` (1-based
    positions in name order): the first of them, or the last when ``backward``."""

    size: int
    backward: bool
    offset: int
    before: int | None
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
    has_previous_page: bool


def page_filter(
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    role: models.Role | None,
    active: bool | None,
    search: str | None,
) -> AccountFilter:
    first, last = pages.page_sizes(first, last)
    text = " ".join((search or "").split()).lower()
    return AccountFilter(
        (last if last is not None else DEFAULT_PAGE if first is None else first),
        last is not None,
        decode_cursor(after) if after is not None else 0,
        decode_cursor(before, "before") if before is not None else None,
        role,
        active,
        text or None,
    )


def _window(f: AccountFilter) -> str:
    """The positions a page reads, plus one beyond its far end: after ``offset`` and before
    ``before``, the first ``size + 1`` of them, or for ``backward`` the last."""
    bounds = ["t.rn > ?"] + (["t.rn < ?"] if f.before is not None else [])
    if not f.backward:
        bounds.append("t.rn <= ?")
    elif f.before is not None:
        bounds.append("t.rn >= ?")
    else:
        bounds.append("t.back_rn <= ?")
    return " AND ".join(bounds)


def _window_params(f: AccountFilter) -> list[int]:
    params = [f.offset] + ([f.before] if f.before is not None else [])
    if not f.backward:
        params.append(f.offset + f.size + 1)
    elif f.before is not None:
        params.append(f.before - f.size - 1)
    else:
        params.append(f.size + 1)
    return params


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
            "ROW_NUMBER() OVER (PARTITION BY g.school_id ORDER BY u.full_name, u.id) AS rn, "
            "ROW_NUMBER() OVER (PARTITION BY g.school_id ORDER BY u.full_name DESC, u.id DESC) AS back_rn "
            f"FROM user_account u JOIN ({grants}) g ON g.user_id = u.id WHERE {' AND '.join(where)}) t "
            f"WHERE {_window(f)} ORDER BY t.g_school_id, t.rn"
        )
        rows = await sql.fetch(statement, [*params, *_window_params(f)])
        grouped: dict[int, list[tuple[int, models.User]]] = defaultdict(list)
        for row in rows:
            grouped[int(row["g_school_id"])].append((int(row["rn"]), sql.hydrate(models.User, row)))
        for school_id in school_ids:
            found = grouped.get(school_id, [])
            more = len(found) > f.size
            if f.backward:  # the page's end is fixed; one row more at its start tells of more before
                page = AccountPage(found[max(0, len(found) - f.size) :] if f.size else [], f.before is not None, more)
            else:  # cursors are positions from 1: a page after one has accounts before it
                page = AccountPage(found[: f.size], more, f.offset > 0)
            pages[AccountKey(school_id, f)] = page
    return [pages[key] for key in keys]
