"""Demo notice board: announcements and a parent-teacher meeting in School No. 1, with the
notifications their audiences got, so the demo accounts' inboxes show something real."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import models
from resolvers import notifications, policy

ANNOUNCEMENTS = [
    (
        None,
        models.Audience.EVERYONE,
        True,
        "Winter concert",
        "The winter concert is on the last Friday before the "
        "holidays at 17:00 in the assembly hall. Families are welcome.",
    ),
    (
        None,
        models.Audience.TEACHERS,
        False,
        "Staff meeting",
        "Staff meeting on Monday at 15:00 in room 101: second-quarter grades and the timetable for January.",
    ),
    (
        "5A",
        models.Audience.PARENTS,
        False,
        "5A: museum trip",
        "On Thursday 5A visits the natural history museum. Please sign the consent form in the diary by Tuesday.",
    ),
]


async def seed_notice_board(today: date) -> None:
    school = await models.School.get(name="School No. 1")
    admin = await models.User.get(login="admin")
    five_a = await models.SchoolClass.get(school_id=school.id, grade_level=5, letter="A")
    lead = five_a.homeroom_teacher_id or admin.id
    drafts: list[notifications.Draft] = []
    for class_name, audience, pinned, title, body in ANNOUNCEMENTS:
        row = await models.Announcement.create(
            school_id=school.id,
            school_class_id=five_a.id if class_name else None,
            audience=audience,
            pinned=pinned,
            title=title,
            body=body,
            author_id=lead if class_name else admin.id,
        )
        drafts += [
            notifications.Draft(
                user_id=uid,
                kind="ANNOUNCEMENT_PUBLISHED",
                category=models.NotificationCategory.ANNOUNCEMENTS,
                school_id=school.id,
                announcement_id=row.id,
            )
            for uid in sorted(await policy.announcement_recipients(row))
        ]
    starts = datetime.combine(today + timedelta(days=5), time(15, 0), tzinfo=UTC)
    meeting = await models.Meeting.create(
        school_id=school.id,
        title="5A parents' meeting: second quarter",
        starts_at=starts,
        ends_at=starts + timedelta(hours=1, minutes=30),
        place="Room 101",
        agenda="1. Second-quarter results\n2. The museum trip\n3. Winter holidays",
        organiser_id=lead,
    )
    await models.MeetingClass.create(meeting_id=meeting.id, school_class_id=five_a.id)
    drafts += [
        notifications.Draft(
            user_id=uid,
            kind="MEETING_INVITED",
            category=models.NotificationCategory.MEETINGS,
            school_id=school.id,
            meeting_id=meeting.id,
        )
        for uid in sorted(await policy.meeting_recipients(meeting))
    ]
    await notifications.write(drafts)
