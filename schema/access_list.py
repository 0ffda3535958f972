"""The admins' list of a school's access requests: a Relay connection, oldest due first."""

from __future__ import annotations

import strawberry

import models
from resolvers import access_list, pages, policy
from schema import types
from schema.access import AccessRequest, AccessRequestStatus
from schema.pages import PageInfo, keyset_page_info

Info = types.Info


@strawberry.type(description="One access request of a list, with its cursor.")
class AccessRequestEdge:
    cursor: str = strawberry.field(description="Pass as `after` (or `before`) to continue from here.")
    node: AccessRequest = strawberry.field(description="The request.")


@strawberry.type(description="A page of access requests, oldest due first.")
class AccessRequestConnection:
    edges: list[AccessRequestEdge] = strawberry.field(description="The requests of this page.")
    page_info: PageInfo = strawberry.field(description="Whether there are more pages, and their cursors.")
    total_count: int = strawberry.field(description="How many requests match, over all pages.")


async def school_access_requests(
    info: Info,
    school: models.School,
    status: AccessRequestStatus | None,
    overdue: bool | None,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> AccessRequestConnection:
    """``School.accessRequests``: through the reviewers' scope, so anyone but the school's admins
    gets an empty list."""
    rows = access_list.school_requests(
        policy.reviewable_access_requests(info.context.viewer),
        school.id,
        models.AccessRequestStatus(status.name) if status is not None else None,
        overdue,
    )
    found = await access_list.paginate(rows, first, after, last, before)
    edges = [
        AccessRequestEdge(cursor=pages.encode(access_list.CURSOR, r.id), node=AccessRequest(model=r))
        for r in found.page.rows
    ]
    return AccessRequestConnection(
        edges=edges, page_info=keyset_page_info(found.page, access_list.CURSOR), total_count=found.total
    )
