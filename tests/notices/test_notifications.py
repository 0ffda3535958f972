"""Notifications: fed by diary events (the notifier), announcements and meetings; read through
the policy; preferences and quiet hours; e-mail against a real SMTP server and SMS through the
recording gateway, with retries; live over `notificationEvents`. Each test builds its own school
from factories, dated from the clock's today."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

import models
from edge.channels import RecordingSmsGateway, SmtpConfig, SmtpMailer
from pubsub.broker import EventKind
from resolvers import delivery, notifications
from resolvers.core import from_global_id, now_utc, to_global_id, today_utc
from tests.api.test_statements import _count, _explain
from tests.client import Client
from tests.conftest import StatementCounter
from tests.factories import Factory, SchoolKit, school_days_before
from tests.helpers import free_port, gid, open_socket
from tests.notifying import INBOX, inbox, run_notifier

GRADE = """
mutation G($input: GradeCreateInput!) { gradeCreate(input: $input) { __typename ... on Error { code } } }
"""
ANNOUNCE = """
mutation A($input: AnnouncementCreateInput!) { announcementCreate(input: $input) {
  __typename ... on AnnouncementSuccess { announcement { id } } ... on Error { code } } }
"""
MEETING = """
mutation M($input: MeetingCreateInput!) { meetingCreate(input: $input) {
  __typename ... on MeetingSuccess { meeting { id } } ... on Error { code } } }
"""
MARK = """
mutation R($input: NotificationsMarkReadInput!) { notificationsMarkRead(input: $input) {
  __typename ... on NotificationsMarkReadSuccess { marked unreadCount } ... on Error { code } } }
"""
PREFS = """
mutation P($input: NotificationPreferencesSetInput!) { notificationPreferencesSet(input: $input) {
  __typename
  ... on NotificationPreferencesSetSuccess { preferences { channels { category inApp email sms }
    quietHoursStart quietHoursEnd timezone phone } }
  ... on ValidationError { code fields { field code } } } }
"""
DELIVERIES = """
query D($schoolId: ID!, $status: DeliveryStatus) { notificationDeliveries(schoolId: $schoolId, status: $status) {
  edges { node { id channel status attempts lastError } } pageInfo { hasNextPage } } }
"""
RETRY = """
mutation T($input: NotificationDeliveryRetryInput!) { notificationDeliveryRetry(input: $input) {
  __typename ... on NotificationDeliveryRetrySuccess { delivery { status attempts } } ... on Error { code } } }
"""
LIVE = """
subscription S($after: String) { notificationEvents(after: $after) {
  cursor notification { kind announcement { title } } } }
"""


@dataclass
class School:
    kit: SchoolKit
    admin: models.User
    teacher: models.User  # mathematics in 5A and 6B
    parent: models.User  # of child (5A) and sibling (6B)
    child: models.Student  # 5A, with a login of their own
    sibling: models.Student  # 6B
    other_parent: models.User  # of classmate, in 5A only
    classmate: models.Student  # 5A
    lessons: list[models.Lesson]  # 5A Mathematics on the last three school days, oldest first


async def _school(factory: Factory) -> School:
    """A school with 5A and 6B: a parent with a child in each, another family in 5A, and the
    Mathematics teacher's lessons of 5A on the three school days before today."""
    kit = await factory.school(classes=("5A", "6B"))
    assert kit.admin is not None
    teacher = await factory.teacher(kit, [("5A", "Mathematics"), ("6B", "Mathematics")], name="maths")
    parent = await factory.parent()
    child = await factory.student(kit, "5A", "anna", guardians=[parent])
    sibling = await factory.student(kit, "6B", "boris", guardians=[parent], login=False)
    other_parent = await factory.parent("other")
    classmate = await factory.student(kit, "5A", "vera", guardians=[other_parent], login=False)
    lessons = await factory.lessons(kit, "5A", "Mathematics", teacher, school_days_before(today_utc(), 3))
    return School(kit, kit.admin, teacher, parent, child, sibling, other_parent, classmate, lessons)


async def _own_user(child: models.Student) -> models.User:
    return await models.User.get(id=child.user_id)


async def _drain(app: Any) -> None:
    """Every diary event written before now is notified (rounds of at most a batch each)."""
    while await run_notifier(app):
        pass


async def _grade(teacher: Client, lesson: models.Lesson, child: models.Student, comment: str) -> None:
    result = await teacher.data(
        GRADE,
        input={"studentId": gid(child, "Student"), "lessonId": gid(lesson, "Lesson"), "value": "4", "comment": comment},
    )
    assert result["gradeCreate"]["__typename"] == "GradeCreateSuccess", result


async def _announce(
    client: Client, kit: SchoolKit, title: str, audience: str = "EVERYONE", class_name: str | None = None
) -> str:
    fields = {"schoolId": gid(kit.school, "School"), "title": title, "body": f"{title}: details", "audience": audience}
    if class_name:
        fields["classId"] = gid(kit.classes[class_name], "SchoolClass")
    result = (await client.data(ANNOUNCE, input=fields))["announcementCreate"]
    assert result["__typename"] == "AnnouncementSuccess", result
    return str(result["announcement"]["id"])


async def _unread(client: Client) -> int:
    return int((await client.data(INBOX, first=0))["viewer"]["unreadNotificationCount"])


async def _drop_pending(user: models.User) -> None:
    """The user's e-mail / SMS still waiting to be sent: gone, so no later round sends them."""
    await models.NotificationDelivery.filter(
        notification__user_id=user.id, status=models.DeliveryStatus.PENDING
    ).delete()


async def test_a_grade_notifies_the_family_exactly_once(app: Any, factory: Factory) -> None:
    world = await _school(factory)
    teacher, parent, other_parent = (
        factory.client(world.teacher),
        factory.client(world.parent),
        factory.client(world.other_parent),
    )
    student = factory.client(await _own_user(world.child))
    await _drain(app)  # everything before this test is notified
    child = world.child
    before = await models.Notification.all().count()
    theirs = await inbox(other_parent, first=1)
    await _grade(teacher, world.lessons[-1], child, "Notified once")
    assert await run_notifier(app) >= 1
    for client in (parent, student):
        latest = (await inbox(client, first=1))[0]
        assert (latest["kind"], latest["category"], latest["student"]["fullName"]) == (
            "GRADE_ADDED",
            "GRADES",
            child.full_name,
        )
        assert latest["grade"] == {"value": "4", "subject": {"name": "Mathematics"}}
    assert await inbox(other_parent, first=1) == theirs
    # The e-mail / SMS text is rendered as the recipient sees it, from the source.
    row = await models.Notification.filter(user_id=world.parent.id, kind="GRADE_ADDED").order_by("-id").first()
    assert row is not None
    assert await delivery.render(row) == delivery.Message(f"New grade ({child.full_name})", "4 in Mathematics")
    after = await models.Notification.all().count()
    assert after - before == len(await notifications_for(child.id))
    assert await run_notifier(app) == 0  # the cursor moved with the notifications
    assert await models.Notification.all().count() == after
    cursor = await models.NotifierCursor.get(id=1)
    assert cursor.last_event_id == (await models.OutboxEvent.all().order_by("-id").first()).id  # type: ignore[union-attr]


async def notifications_for(student_id: int) -> list[int]:
    """The followers of a student: its active guardians and its own login."""
    links = await models.Guardianship.filter(student_id=student_id, revoked_at__isnull=True).values("guardian_id")
    own = await models.Student.filter(id=student_id, user_id__isnull=False).values("user_id")
    return [r["guardian_id"] for r in links] + [r["user_id"] for r in own]


async def test_absence_is_news_presence_is_not(app: Any, factory: Factory) -> None:
    world = await _school(factory)
    parent, other_parent = factory.client(world.parent), factory.client(world.other_parent)
    await _drain(app)
    lesson = world.lessons[-3]
    absent, present = world.child, world.classmate
    for child, status in (
        (absent, models.AttendanceStatus.ABSENT_UNEXCUSED),
        (present, models.AttendanceStatus.PRESENT),
    ):
        await models.Attendance.create(
            student=child, lesson=lesson, date=lesson.date, status=status, marked_by=world.teacher
        )
        await models.OutboxEvent.create(
            kind=EventKind.ATTENDANCE_MARKED, student=child, lesson=lesson, school_class_id=lesson.school_class_id
        )
    mine_before, theirs_before = await _unread(parent), await _unread(other_parent)
    await run_notifier(app)
    latest = (await inbox(parent, first=1))[0]
    assert (latest["kind"], latest["category"], latest["lesson"]) == (
        "ATTENDANCE_MARKED",
        "ABSENCES",
        {"date": lesson.date.isoformat()},
    )
    assert await _unread(parent) == mine_before + 1
    assert await _unread(other_parent) == theirs_before


async def test_a_revoked_guardian_no_longer_sees_the_childs_notifications(app: Any, factory: Factory) -> None:
    world = await _school(factory)
    teacher, other_parent = factory.client(world.teacher), factory.client(world.other_parent)
    await _drain(app)
    child = world.child
    link = await models.Guardianship.create(guardian=world.other_parent, student=child)
    await _grade(teacher, world.lessons[-1], child, "Seen while a guardian")
    await run_notifier(app)
    latest = (await inbox(other_parent, first=1))[0]
    assert latest["student"]["fullName"] == child.full_name
    unread = await _unread(other_parent)
    link.revoked_at = now_utc()
    await link.save()
    assert latest["id"] not in [n["id"] for n in await inbox(other_parent, first=50)]
    assert await _unread(other_parent) == unread - 1
    node = await other_parent.data("query N($id: ID!) { node(id: $id) { id } }", id=latest["id"])
    assert node["node"] is None


async def test_mark_read(factory: Factory) -> None:
    world = await _school(factory)
    admin, parent, other_parent = (
        factory.client(world.admin),
        factory.client(world.parent),
        factory.client(world.other_parent),
    )
    await _announce(admin, world.kit, "Read me 1")
    await _announce(admin, world.kit, "Read me 2")
    mine = await inbox(parent, first=2)
    theirs = (await inbox(other_parent, first=1))[0]
    unread = await _unread(parent)
    refused = (await parent.data(MARK, input={"ids": [mine[0]["id"], theirs["id"]]}))["notificationsMarkRead"]
    assert refused == {"__typename": "NotFoundError", "code": "NOTIFICATION_NOT_FOUND"}
    assert await _unread(parent) == unread
    both = (await parent.data(MARK, input={"ids": [mine[0]["id"]], "all": True}))["notificationsMarkRead"]
    assert both == {"__typename": "ValidationError", "code": "IDS_OR_ALL"}
    one = (await parent.data(MARK, input={"ids": [mine[0]["id"]]}))["notificationsMarkRead"]
    assert one == {"__typename": "NotificationsMarkReadSuccess", "marked": 1, "unreadCount": unread - 1}
    again = (await parent.data(MARK, input={"ids": [mine[0]["id"]]}))["notificationsMarkRead"]
    assert again["marked"] == 0
    assert (await inbox(parent, first=1))[0]["readAt"] is not None
    assert mine[1]["id"] in [n["id"] for n in await inbox(parent, first=50, unreadOnly=True)]
    everything = (await parent.data(MARK, input={"all": True}))["notificationsMarkRead"]
    assert everything == {"__typename": "NotificationsMarkReadSuccess", "marked": unread - 1, "unreadCount": 0}
    assert await inbox(parent, first=5, unreadOnly=True) == []
    assert (await inbox(other_parent, first=1))[0]["readAt"] is None


async def test_preferences(factory: Factory) -> None:
    world = await _school(factory)
    admin = factory.client(world.admin)
    me = await _own_user(world.child)
    student = factory.client(me)
    refused = (
        await student.data(
            PREFS,
            input={
                "channels": [{"category": "GRADES", "sms": True}, {"category": "GRADES"}],
                "quietHoursStart": "22:00:00",
                "timezone": "Mars/Olympus",
            },
        )
    )["notificationPreferencesSet"]
    assert sorted(f["code"] for f in refused["fields"]) == [
        "DUPLICATE_CATEGORY",
        "PHONE_REQUIRED",
        "QUIET_HOURS_INCOMPLETE",
        "UNKNOWN_TIMEZONE",
    ]
    assert not await models.NotificationSettings.filter(user_id=me.id).exists()
    saved = (
        await student.data(
            PREFS,
            input={
                "channels": [{"category": "ANNOUNCEMENTS", "inApp": False, "email": True}],
                "quietHoursStart": "22:00:00",
                "quietHoursEnd": "07:30:00",
                "timezone": "Europe/Moscow",
                "phone": "+7 916 123 45 67",
            },
        )
    )["notificationPreferencesSet"]["preferences"]
    assert {"category": "ANNOUNCEMENTS", "inApp": False, "email": True, "sms": False} in saved["channels"]
    assert {"category": "GRADES", "inApp": True, "email": False, "sms": False} in saved["channels"]
    assert (saved["quietHoursStart"], saved["quietHoursEnd"], saved["timezone"], saved["phone"]) == (
        "22:00:00",
        "07:30:00",
        "Europe/Moscow",
        "+79161234567",
    )
    await _set_email(me, f"{factory.tag}-student@example.org")
    try:
        announcement = await _announce(admin, world.kit, "E-mail only", audience="STUDENTS")
        pk = from_global_id(announcement)
        assert pk is not None
        row = await models.Notification.get(announcement_id=pk[1], user_id=me.id)
        assert row.in_app is False  # by e-mail only: not in the inbox
        titles = [(n["announcement"] or {}).get("title") for n in await inbox(student, first=5)]
        assert announcement not in titles
        assert "E-mail only" not in titles
        sent = await models.NotificationDelivery.get(notification_id=row.id)
        assert sent.channel == models.Channel.EMAIL
        local = sent.next_attempt_at.astimezone(ZoneInfo("Europe/Moscow"))
        quiet = local.time() >= time(22) or local.time() < time(7, 30)
        assert not quiet
    finally:
        await _drop_pending(me)


def test_quiet_hours_delay_not_drop() -> None:
    tz = ZoneInfo("Europe/Moscow")
    night = datetime(2026, 11, 29, 23, 15, tzinfo=tz).astimezone(UTC)
    assert notifications.outside_quiet_hours(night, 22 * 60, 7 * 60 + 30, tz) == datetime(
        2026, 11, 30, 7, 30, tzinfo=tz
    )
    early = datetime(2026, 11, 30, 6, 0, tzinfo=tz)
    assert notifications.outside_quiet_hours(early, 22 * 60, 7 * 60 + 30, tz) == datetime(
        2026, 11, 30, 7, 30, tzinfo=tz
    )
    day = datetime(2026, 11, 30, 12, 0, tzinfo=tz)
    assert notifications.outside_quiet_hours(day, 22 * 60, 7 * 60 + 30, tz) == day
    lunch = datetime(2026, 11, 30, 13, 10, tzinfo=tz)
    assert notifications.outside_quiet_hours(lunch, 13 * 60, 14 * 60, tz) == datetime(2026, 11, 30, 14, 0, tzinfo=tz)


def test_smtp_url() -> None:
    c = SmtpConfig.parse("smtps://mailer%40school:p%3Ass@mail.example.org")
    assert (c.host, c.port, c.implicit_tls, c.username, c.password) == (
        "mail.example.org",
        465,
        True,
        "mailer@school",
        "p:ss",
    )
    assert SmtpConfig.parse("smtp://localhost:2525").port == 2525
    with pytest.raises(ValueError, match="SMTP_URL"):
        SmtpConfig.parse("http://localhost")


class Inbox:
    """An aiosmtpd handler keeping what it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), envelope.content.decode("utf-8", "replace")))
        return "250 OK"


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"ediary", b"s3cret")
    return AuthResult(success=ok)


async def _set_email(user: models.User, address: str | None) -> models.User:
    user.email = address
    await user.save(update_fields=["email"])
    return user


PHONE = "+79160000001"


async def _want(client: Client, category: str, **channels: bool) -> None:
    result = await client.data(PREFS, input={"channels": [{"category": category, **channels}], "phone": PHONE})
    assert result["notificationPreferencesSet"]["__typename"] == "NotificationPreferencesSetSuccess"


async def test_email_through_a_real_smtp_server(factory: Factory) -> None:
    world = await _school(factory)
    admin, parent = factory.client(world.admin), factory.client(world.parent)
    address = f"{factory.tag}-parent@example.org"
    handler = Inbox()
    port = free_port()
    server = Controller(handler, hostname="127.0.0.1", port=port, authenticator=_authenticator, auth_require_tls=False)
    server.start()
    me = await _set_email(world.parent, address)
    try:
        await _want(parent, "ANNOUNCEMENTS", email=True)
        await _announce(admin, world.kit, "Sent by e-mail")
        mailer = SmtpMailer(
            SmtpConfig.parse(f"smtp://ediary:s3cret@127.0.0.1:{port}"), "ediary <noreply@school.example>"
        )
        assert await delivery.deliver_due(mailer, RecordingSmsGateway()) >= 1
        mine = [m for m in handler.messages if m[0] == [address]]
        assert len(mine) == 1
        assert "Subject: Announcement: Sent by e-mail" in mine[0][1]
        assert "Sent by e-mail: details" in mine[0][1]
        row = await models.NotificationDelivery.filter(notification__user_id=me.id).order_by("-id").first()
        assert row is not None
        assert (row.status, row.attempts, row.sent_at is not None) == (models.DeliveryStatus.SENT, 1, True)
        assert await delivery.deliver_due(mailer, RecordingSmsGateway()) == 0  # sent once
        # Wrong credentials: the server refuses, the delivery waits for a retry.
        await _announce(admin, world.kit, "Refused login")
        wrong = SmtpMailer(SmtpConfig.parse(f"smtp://ediary:wrong@127.0.0.1:{port}"), "noreply@school.example")
        await delivery.deliver_due(wrong, RecordingSmsGateway())
        retry = await models.NotificationDelivery.filter(notification__user_id=me.id).order_by("-id").first()
        assert retry is not None
        assert (retry.status, retry.attempts) == (models.DeliveryStatus.PENDING, 1)
        assert "SMTP" in (retry.last_error or "")
        assert retry.next_attempt_at > now_utc() + timedelta(seconds=20)
    finally:
        server.stop()
        await _drop_pending(me)


async def test_failed_deliveries_are_retried_then_shown_to_the_admins(factory: Factory) -> None:
    world = await _school(factory)
    admin, parent = factory.client(world.admin), factory.client(world.parent)
    me = await _set_email(world.parent, f"{factory.tag}-parent@example.org")
    school = world.kit.school
    other_kit = await factory.school("Other school")
    assert other_kit.admin is not None
    try:
        await _want(parent, "ANNOUNCEMENTS", email=True)
        await _announce(admin, world.kit, "Nobody listens")
        down = SmtpMailer(SmtpConfig.parse(f"smtp://127.0.0.1:{free_port()}"), "noreply@school.example")
        row = await models.NotificationDelivery.filter(notification__user_id=me.id).order_by("-id").first()
        assert row is not None
        waits = []
        for _ in range(delivery.MAX_ATTEMPTS):
            await delivery.deliver_due(down, RecordingSmsGateway(), now=now_utc() + timedelta(days=1))
            await row.refresh_from_db()
            waits.append(row.next_attempt_at - now_utc())
        assert (row.status, row.attempts) == (models.DeliveryStatus.FAILED, delivery.MAX_ATTEMPTS)
        assert waits[1] > waits[0] * 1.5  # backoff grows
        assert row.last_error
        edges = (await admin.data(DELIVERIES, schoolId=gid(school, "School")))["notificationDeliveries"]["edges"]
        listed = [e["node"] for e in edges]
        delivery_id = to_global_id("NotificationDelivery", row.id)
        assert {
            "id": delivery_id,
            "channel": "EMAIL",
            "status": "FAILED",
            "attempts": 5,
            "lastError": row.last_error,
        } in listed
        other_admin = factory.client(other_kit.admin)  # the admin of another school
        for client in (other_admin, parent):
            assert (await client.data(DELIVERIES, schoolId=gid(school, "School")))["notificationDeliveries"][
                "edges"
            ] == []
            refused = (await client.data(RETRY, input={"deliveryId": delivery_id}))["notificationDeliveryRetry"]
            assert refused == {"__typename": "NotFoundError", "code": "DELIVERY_NOT_FOUND"}
        retried = (await admin.data(RETRY, input={"deliveryId": delivery_id}))["notificationDeliveryRetry"]
        assert retried["delivery"] == {"status": "PENDING", "attempts": 0}
        twice = (await admin.data(RETRY, input={"deliveryId": delivery_id}))["notificationDeliveryRetry"]
        assert twice == {"__typename": "ValidationError", "code": "ALREADY_PENDING"}
        assert await models.AuditEntry.filter(action="notification_delivery.retry", object_id=row.id).exists()
    finally:
        await _drop_pending(me)


async def test_sms_through_the_recording_gateway(factory: Factory) -> None:
    world = await _school(factory)
    parent = factory.client(world.parent)
    lead = factory.client(await factory.homeroom(world.kit, "5A"))
    me = world.parent
    title = f"SMS meeting {factory.tag}"
    try:
        await _want(parent, "MEETINGS", sms=True, inApp=True)
        start = now_utc().replace(microsecond=0) + timedelta(days=3)
        fields = {
            "title": title,
            "place": "Room 5",
            "startsAt": start.isoformat(),
            "endsAt": (start + timedelta(hours=1)).isoformat(),
            "classIds": [gid(world.kit.classes["5A"], "SchoolClass")],
        }
        assert (await lead.data(MEETING, input=fields))["meetingCreate"]["__typename"] == "MeetingSuccess"
        gateway = RecordingSmsGateway()
        await delivery.deliver_due(SmtpMailer(SmtpConfig.parse("smtp://127.0.0.1:1"), "x@y"), gateway)
        # Of this meeting's invitees (both 5A families), only the one who asked for SMS gets one.
        about = [s for s in gateway.sent if title in s.text]
        assert [(s.phone, s.text.split(":")[0]) for s in about] == [(PHONE, "Meeting scheduled")]
        assert "Room 5" in about[0].text
    finally:
        await _drop_pending(me)


async def test_live_notification_events(server_url: str, factory: Factory) -> None:
    world = await _school(factory)
    admin, parent, other_parent = (
        factory.client(world.admin),
        factory.client(world.parent),
        factory.client(world.other_parent),
    )
    mine = await open_socket(server_url, parent.token)
    theirs = await open_socket(server_url, other_parent.token)
    await mine.start(LIVE)
    await theirs.start(LIVE)
    await asyncio.sleep(0.2)
    await _announce(admin, world.kit, "Live for 6B parents", audience="PARENTS", class_name="6B")
    first = (await mine.next())["payload"]["data"]["notificationEvents"]
    assert first["notification"] == {"kind": "ANNOUNCEMENT_PUBLISHED", "announcement": {"title": "Live for 6B parents"}}
    await theirs.nothing()  # the other parent's child is in 5A
    await _announce(admin, world.kit, "Second for 6B parents", audience="PARENTS", class_name="6B")
    second = (await mine.next())["payload"]["data"]["notificationEvents"]
    assert second["notification"]["announcement"] == {"title": "Second for 6B parents"}
    for socket in (mine, theirs):
        await socket.ws.close()
    # Resuming after the first replays the second, then follows live.
    again = await open_socket(server_url, parent.token)
    await again.start(LIVE, after=first["cursor"])
    replayed = (await again.next())["payload"]["data"]["notificationEvents"]
    assert replayed == second
    await again.nothing()
    await again.ws.close()
    bad = await open_socket(server_url, parent.token)
    await bad.start(LIVE, after="bm90aWZpY2F0aW9uOjk5OTk5OTk5")
    refused = await bad.next()
    assert refused["payload"]["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", refused
    await bad.ws.close()


async def test_inbox_statements(factory: Factory, count_statements: StatementCounter) -> None:
    """An inbox with one notification of each kind costs what one with three of each costs."""
    world = await _school(factory)
    kit, child, lesson, author = world.kit, world.child, world.lessons[-1], world.admin
    klass, school = kit.classes["5A"], kit.school
    grade = await factory.grade(child, lesson, "5")
    remark = await factory.remark(child, world.teacher, "Talks in class", lesson=lesson)
    homework = await factory.homework(lesson, "Exercise 7")
    await factory.mark(child, lesson, models.AttendanceStatus.ABSENT_UNEXCUSED)
    sources: list[list[dict[str, Any]]] = []
    for i in range(3):
        announcement = await models.Announcement.create(
            school=school, audience=models.Audience.EVERYONE, title=f"Count {i}", body="b", author=author
        )
        meeting = await models.Meeting.create(
            school=school,
            title=f"Count {i}",
            starts_at=lesson.starts_at,
            ends_at=lesson.ends_at,
            place="x",
            organiser=author,
        )
        await models.MeetingClass.create(meeting=meeting, school_class=klass)
        sources.append(
            [
                {
                    "kind": "GRADE_ADDED",
                    "category": models.NotificationCategory.GRADES,
                    "event": {"grade_id": grade.id},
                },
                {
                    "kind": "REMARK_ADDED",
                    "category": models.NotificationCategory.REMARKS,
                    "event": {"remark_id": remark.id},
                },
                {
                    "kind": "HOMEWORK_ASSIGNED",
                    "category": models.NotificationCategory.HOMEWORK,
                    "event": {"homework_id": homework.id},
                },
                {
                    "kind": "ATTENDANCE_MARKED",
                    "category": models.NotificationCategory.ABSENCES,
                    "event": {"lesson_id": lesson.id},
                },
                {
                    "kind": "ANNOUNCEMENT_PUBLISHED",
                    "category": models.NotificationCategory.ANNOUNCEMENTS,
                    "announcement_id": announcement.id,
                },
                {"kind": "MEETING_INVITED", "category": models.NotificationCategory.MEETINGS, "meeting_id": meeting.id},
            ]
        )
    clients = []
    for name, rounds in (("count-one", 1), ("count-three", 3)):
        user = await factory.parent(name)
        await factory.guardianship(kit, user, child)
        for batch in sources[:rounds]:
            for source in batch:
                event = None
                if "event" in source:
                    event = await models.OutboxEvent.create(
                        kind=source["kind"], student=child, school_class=klass, **source["event"]
                    )
                await models.Notification.create(
                    user=user,
                    kind=source["kind"],
                    category=source["category"],
                    school=school,
                    student=child if event else None,
                    outbox_event=event,
                    announcement_id=source.get("announcement_id"),
                    meeting_id=source.get("meeting_id"),
                )
        clients.append(factory.client(user))
    small, one = await _count(clients[0], count_statements, INBOX, first=50)
    large, three = await _count(clients[1], count_statements, INBOX, first=50)
    assert len(one["viewer"]["notifications"]["edges"]) == 6
    assert len(three["viewer"]["notifications"]["edges"]) == 18
    nodes = [e["node"] for e in three["viewer"]["notifications"]["edges"]]
    assert all(
        n["grade"] or n["remark"] or n["homework"] or n["lesson"] or n["announcement"] or n["meeting"] for n in nodes
    )
    assert len(large) == len(small), _explain(small, large)


async def test_concurrent_notifier_rounds_notify_each_event_once(app: Any, factory: Factory) -> None:
    """Two processes' notifiers run at once: the cursor row is locked, so the second waits and
    finds nothing left (and the unique (user, event) pair would refuse a duplicate anyway)."""
    world = await _school(factory)
    teacher, child = factory.client(world.teacher), world.child
    await _drain(app)
    for i in range(3):
        await _grade(teacher, world.lessons[-1], child, f"Concurrent {i}")
    counts = await asyncio.gather(run_notifier(app), run_notifier(app))
    assert sorted(counts)[0] == 0
    assert sorted(counts)[1] >= 3
    followers = await notifications_for(child.id)
    grades = await models.Grade.filter(student_id=child.id, comment__startswith="Concurrent ").values("id")
    events_ = await models.OutboxEvent.filter(grade_id__in=[g["id"] for g in grades]).values("id")
    rows = await models.Notification.filter(outbox_event_id__in=[e["id"] for e in events_]).count()
    assert rows == 3 * len(followers)


async def test_an_event_notifies_a_user_once_even_if_written_twice(app: Any, factory: Factory) -> None:
    world = await _school(factory)
    child = world.child
    event = await models.OutboxEvent.create(kind=EventKind.TERM_GRADE_SET, student=child)
    uid = world.parent.id
    draft = notifications.Draft(
        user_id=uid,
        kind=EventKind.TERM_GRADE_SET,
        category=models.NotificationCategory.GRADES,
        school_id=child.school_id,
        student_id=child.id,
        outbox_event_id=event.id,
    )
    assert await notifications.notify(app.state.broker, [draft]) == {uid}
    assert await notifications.notify(app.state.broker, [draft]) == set()
    assert await models.Notification.filter(outbox_event_id=event.id, user_id=uid).count() == 1


async def test_nothing_is_sent_in_quiet_hours_it_waits(factory: Factory) -> None:
    """Also a delivery already due (a retry, an admin's retry) waits when the quiet hours begin."""
    world = await _school(factory)
    admin, parent = factory.client(world.admin), factory.client(world.parent)
    me = await _set_email(world.parent, f"{factory.tag}-parent@example.org")
    now = now_utc()
    start = (now - timedelta(hours=1)).replace(second=0, microsecond=0)
    end = (now + timedelta(hours=1)).replace(second=0, microsecond=0)
    try:
        result = await parent.data(
            PREFS,
            input={
                "channels": [{"category": "ANNOUNCEMENTS", "email": True}],
                "quietHoursStart": start.time().isoformat(),
                "quietHoursEnd": end.time().isoformat(),
                "timezone": "UTC",
            },
        )
        assert result["notificationPreferencesSet"]["__typename"] == "NotificationPreferencesSetSuccess"
        await _announce(admin, world.kit, "Wait for the morning")
        row = await models.NotificationDelivery.filter(notification__user_id=me.id).order_by("-id").first()
        assert row is not None
        assert row.next_attempt_at == end  # delayed, not dropped
        await models.NotificationDelivery.filter(id=row.id).update(next_attempt_at=now)  # as if retried now
        down = SmtpMailer(SmtpConfig.parse(f"smtp://127.0.0.1:{free_port()}"), "noreply@school.example")
        await delivery.deliver_due(down, RecordingSmsGateway())
        await row.refresh_from_db()
        assert (row.status, row.attempts, row.next_attempt_at) == (models.DeliveryStatus.PENDING, 0, end)
    finally:
        await _drop_pending(me)


LIVE_STUDENT = "subscription { notificationEvents { notification { kind student { fullName } } } }"


async def test_a_revoked_guardian_stops_receiving_at_once(app: Any, server_url: str, factory: Factory) -> None:
    """Each notification is re-read through the policy when delivered: once the guardianship is
    revoked, what is still written for the guardian is not sent."""
    world = await _school(factory)
    child, guardian = world.child, world.other_parent
    link = await models.Guardianship.create(guardian=guardian, student=child)
    socket = await open_socket(server_url, factory.client(guardian).token)
    try:
        await socket.start(LIVE_STUDENT)
        await asyncio.sleep(0.2)

        async def note() -> None:
            event = await models.OutboxEvent.create(kind=EventKind.TERM_GRADE_SET, student=child)
            draft = notifications.Draft(
                user_id=guardian.id,
                kind=EventKind.TERM_GRADE_SET,
                category=models.NotificationCategory.GRADES,
                school_id=child.school_id,
                student_id=child.id,
                outbox_event_id=event.id,
            )
            await notifications.notify(app.state.broker, [draft])

        await note()
        got = (await socket.next())["payload"]["data"]["notificationEvents"]["notification"]
        assert got == {"kind": "TERM_GRADE_SET", "student": {"fullName": child.full_name}}
        link.revoked_at = now_utc()
        await link.save()
        await note()
        await socket.nothing()
    finally:
        await socket.ws.close()


@pytest.mark.parametrize(
    ("locale", "subject", "text"),
    [("ru", "Новая оценка", "4 по предмету «Mathematics»"), ("en", "New grade", "4 in Mathematics")],
)
async def test_a_notification_is_written_in_the_deployments_language(
    app: Any, factory: Factory, locale: str, subject: str, text: str
) -> None:
    """An SMS (and an e-mail) is written in the deployment's language (EDIARY_DEFAULT_LOCALE,
    which the server hands to ``deliver_due``): nobody chooses their own yet."""
    world = await _school(factory)
    parent, teacher = factory.client(world.parent), factory.client(world.teacher)
    try:
        await _want(parent, "GRADES", sms=True, inApp=True)
        await _drain(app)
        await _grade(teacher, world.lessons[-1], world.child, f"In {locale}")
        await _drain(app)
        gateway = RecordingSmsGateway()
        await delivery.deliver_due(SmtpMailer(SmtpConfig.parse("smtp://127.0.0.1:1"), "x@y"), gateway, locale=locale)
        assert [s.text for s in gateway.sent if s.phone == PHONE and world.child.full_name in s.text] == [
            f"{subject} ({world.child.full_name}): {text}"
        ]
    finally:
        await _drop_pending(world.parent)
