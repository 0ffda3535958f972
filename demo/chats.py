"""Demo chats, so that every demo login has something to open: the demo teacher's chat with
the parents of 5A, and the administration's chat with School No. 1's teachers. Written as
rows (like the rest of the demo data), without audit entries or events: nobody is listening
while the district is seeded."""

from __future__ import annotations

from datetime import datetime, timedelta

import models
from resolvers.core import now_utc

PARENTS_CHAT = [
    ("teacher", "Good evening! The maths test is on Thursday: chapters 3 and 4, see https://example.org/5a-maths."),
    ("parent2", "Thank you! Can they bring a calculator?"),
    ("teacher", "No calculators this time, only a ruler and a pencil."),
    ("parent", "Understood, thanks."),
    ("teacher", "Reminder: the school trip form is due on Monday."),
]
STAFF_CHAT = [
    ("admin", "Colleagues, the teachers' meeting moves to 15:00 on Wednesday, room 101."),
    ("teacher", "Noted, I will bring the 5A and 6B results."),
]


async def seed_chats(school: models.School) -> None:
    now = now_utc()
    users = {u.login: u for u in await models.User.filter(login__in=["teacher", "admin", "parent", "parent2"])}
    five_a = await models.SchoolClass.get(school=school, grade_level=5, letter="A")
    parents = await models.User.filter(
        guardianships__student__enrollments__school_class_id=five_a.id, guardianships__revoked_at__isnull=True
    ).distinct()
    staff = await models.User.filter(role_grants__school_id=school.id, role_grants__role=models.Role.TEACHER).distinct()
    teacher, admin = users["teacher"], users["admin"]
    await _chat(school, "5A mathematics: parents", teacher, parents, PARENTS_CHAT, users, now - timedelta(hours=5))
    await _chat(school, "School No. 1 staff room", admin, staff, STAFF_CHAT, users, now - timedelta(hours=2))


async def _chat(
    school: models.School,
    title: str,
    creator: models.User,
    people: list[models.User],
    lines: list[tuple[str, str]],
    users: dict[str, models.User],
    start: datetime,
) -> None:
    times = [start + timedelta(minutes=17 * i) for i in range(len(lines))]
    chat = await models.Chat.create(school=school, title=title, created_by=creator, last_activity_at=times[-1])
    members = {creator.id: True, **{p.id: False for p in people if p.id != creator.id}}
    messages = [
        await models.Message.create(chat=chat, author=users[login], text=text, created_at=at)
        for (login, text), at in zip(lines, times, strict=True)
    ]
    # Everyone has read all but the last message, so each member has one unread (if not theirs).
    read_up_to = messages[-2].id if len(messages) > 1 else None
    await models.ChatMember.bulk_create(
        [
            models.ChatMember(chat=chat, user_id=uid, is_admin=admin, joined_at=start, last_read_message_id=read_up_to)
            for uid, admin in members.items()
        ]
    )
