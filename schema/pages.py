"""The schema side of every paged list: one Relay ``PageInfo`` (strawberry's), built here for
every connection, so each has all four fields, computed the same way in both directions.
The paging itself is ``resolvers.pages`` (keyset pages, cursors, the page-size limit)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import strawberry
from strawberry.relay import PageInfo

from resolvers import pages

__all__ = ["PageInfo", "first_argument", "keyset_page_info", "last_argument", "page_info"]


def page_info(cursors: Sequence[str], has_next_page: bool, has_previous_page: bool) -> PageInfo:
    """The page info of a page whose edges carry ``cursors``, in the order of its ``edges``:
    ``startCursor`` is the first edge's (pass it as ``before`` for the page before this one),
    ``endCursor`` the last edge's (pass it as ``after`` for the page after)."""
    return PageInfo(
        has_next_page=has_next_page,
        has_previous_page=has_previous_page,
        start_cursor=cursors[0] if cursors else None,
        end_cursor=cursors[-1] if cursors else None,
    )


def keyset_page_info(page: pages.Page[Any], kind: str) -> PageInfo:
    """The page info of a keyset page (``resolvers.pages``) of ``kind`` cursors."""
    return page_info([pages.encode(kind, row.id) for row in page.rows], page.has_next_page, page.has_previous_page)


def first_argument(default: int | None) -> Any:
    """The ``first`` argument of a connection, described alike everywhere."""
    return strawberry.argument(
        description=f"How many from the start of the list (or just after `after`): 0-{pages.MAX_PAGE}; more is "
        f"served as {pages.MAX_PAGE}, with `hasNextPage`." + (f" Default {default}." if default else "")
    )


def last_argument(default: int | None = None) -> Any:
    """The ``last`` argument of a connection, described alike everywhere."""
    return strawberry.argument(
        description=f"How many from the end of the list (or just before `before`): 0-{pages.MAX_PAGE}; more is "
        f"served as {pages.MAX_PAGE}, with `hasPreviousPage`." + (f" Default {default}." if default else "")
    )
