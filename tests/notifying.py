"""Shared look-ups for the announcement, meeting and notification tests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from resolvers import notifier
from tests.client import Client

INBOX = """
query I($first: Int, $after: String, $unreadOnly: Boolean = false) { viewer {
  unreadNotificationCount
  notifications(first: $first, after: $after, unreadOnly: $unreadOnly) {
    edges { cursor node { id kind category readAt student { fullName } grade { value subject { name } }
      announcement { title } meeting { title } remark { text } homework { text } lesson { date } } }
    pageInfo { hasNextPage endCursor } } } }
"""


async def inbox(client: Client, **variables: Any) -> list[dict[str, Any]]:
    data = await client.data(INBOX, **variables)
    return [e["node"] for e in data["viewer"]["notifications"]["edges"]]


async def run_notifier(app: Any) -> int:
    """One notifier round as the server's background task runs it, without waiting to settle."""
    return await notifier.notify_pending(app.state.broker, settle=timedelta(0))
