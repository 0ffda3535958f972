"""Shared look-ups for the announcement, meeting and notification tests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

import models
from resolvers import notifier
from tests.conftest import Client, login_as
from tests.helpers import school_class

INBOX = """
query I($first: Int, $after: String, $unreadOnly: Boolean = false) { viewer {
  unreadNotificationCount
  notifications(first: $first, after: $after, unreadOnly: $unreadOnly) {
    edges { cursor node { id kind category readAt student { fullName } grade { value subject { name } }
      announcement { title } meeting { title } remark { text } homework { text } lesson { date } } }
    pageInfo { hasNextPage endCursor } } } }
"""


async def homeroom(http: httpx.AsyncClient, class_name: str, school: str = "School No. 1") -> Client:
    klass = await school_class(school, class_name)
    assert klass.homeroom_teacher_id is not None
    user = await models.User.get(id=klass.homeroom_teacher_id)
    return await login_as(http, user.login)


async def parent_only_of(http: httpx.AsyncClient, class_name: str) -> Client:
    """A demo parent whose children are all in ``class_name`` (not the demo `parent`)."""
    klass = await school_class("School No. 1", class_name)
    links = await models.Guardianship.filter(
        student__enrollments__school_class_id=klass.id, revoked_at__isnull=True
    ).select_related("guardian")
    for link in links:
        if link.guardian.login in ("parent", "parent2"):
            continue
        others = await models.Guardianship.filter(guardian_id=link.guardian_id).exclude(
            student__enrollments__school_class_id=klass.id
        )
        if not others:
            return await login_as(http, link.guardian.login)
    raise AssertionError(f"no parent with children only in {class_name}")


async def inbox(client: Client, **variables: Any) -> list[dict[str, Any]]:
    data = await client.data(INBOX, **variables)
    return [e["node"] for e in data["viewer"]["notifications"]["edges"]]


async def run_notifier(app: Any) -> int:
    """One notifier round as the server's background task runs it, without waiting to settle."""
    return await notifier.notify_pending(app.state.broker, settle=timedelta(0))


async def user_id(login: str) -> int:
    return (await models.User.get(login=login)).id
