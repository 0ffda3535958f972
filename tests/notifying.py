"""Shared look-ups for the announcement, meeting and notification tests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import models
from resolvers import notifications, notifier
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


async def raced(app: Any, user: models.User, school: models.School, **source: Any) -> models.Notification:
    """A notification in ``user``'s inbox and its wake-up, written as the notifier (or a write)
    writes one after checking its recipients: a moment before an ending committed, it is still
    written, and only the stream's own check can hold it back. ``source``: ``kind``,
    ``category`` and the reference (``announcement``, ``student``, ``chat_message_id``...)."""
    row = await models.Notification.create(user=user, school=school, **source)
    await notifications.publish(app.state.broker, [user.id])
    return row


async def announced(app: Any, user: models.User, school: models.School, author: models.User) -> None:
    """A school-wide announcement, notified to ``user`` alone (``raced``)."""
    news = await models.Announcement.create(
        school=school, audience=models.Audience.EVERYONE, title="News", body="b", author=author
    )
    await raced(
        app,
        user,
        school,
        kind="ANNOUNCEMENT_PUBLISHED",
        category=models.NotificationCategory.ANNOUNCEMENTS,
        announcement=news,
    )
