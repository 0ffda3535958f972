"""Push with the app closed: devices registered by a session over the API, and notifications
pushed to them through local services that speak the providers' protocols
(``tests/push_services.py``): Web Push (the VAPID JWT checked and every message decrypted with
the subscription's private key, RFC 8291), FCM HTTP v1 (OAuth2 bearer from the service account's
JWT) and APNs over HTTP/2 (ES256 provider token, ``apns-topic``, ``apns-push-type``). No socket is
open in any of these tests: the app is closed. The worker round (``push.deliver_due``) is run by
hand, as the server's notifier runs it every second."""

from __future__ import annotations

import dataclasses
import json
import logging
import secrets
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import models
from edge.push import load_vapid_key, make_senders, public_key_b64
from edge.settings import Settings
from pubsub.broker import EventKind
from resolvers import housekeeping, push, reminders, sessions
from resolvers.core import freeze, now_utc, to_global_id, today_utc, travel
from tests.api.test_statements import _count, _explain
from tests.chat_helpers import new_chat, send
from tests.client import Client
from tests.conftest import StatementCounter, client_for
from tests.factories import Factory, school_days_from
from tests.helpers import gid, pk
from tests.notices.test_notifications import PREFS, _drain, _grade, _school
from tests.notifying import run_notifier
from tests.push_services import apns_service, fcm_service, web_push_service

REGISTER = """
mutation R($input: PushDeviceRegisterInput!) { pushDeviceRegister(input: $input) { __typename
  ... on PushDeviceRegisterSuccess { device { id kind current lastSentAt } }
  ... on ValidationError { code fields { field code } } } }
"""
UNREGISTER = """
mutation U($id: ID!) { pushDeviceUnregister(input: {deviceId: $id}) { __typename
  ... on PushDeviceUnregisterSuccess { deviceId } ... on Error { code } } }
"""
DEVICES = "{ viewer { pushDevices { id kind current createdAt lastSentAt } } }"
KEY = "{ vapidPublicKey }"
REVOKE = "mutation V($id: ID!) { sessionRevoke(input: {sessionId: $id}) { __typename } }"
PLAN = (
    "mutation P($input: AssessmentPlanInput!) { assessmentPlan(input: $input) { __typename "
    "... on AssessmentSuccess { assessment { id } } ... on Error { code message } } }"
)
PAYLOAD_KEYS = {"title", "body", "notification", "kind", "category"}


async def _login(factory: Factory, user: models.User, agent: str = "Phone") -> tuple[Client, sessions.TokenPair]:
    """A login of ``user`` on a device: a session with its refresh token, as `login` makes."""
    pair = await sessions.start_session(factory.settings, user, agent, "10.0.0.9")
    return Client(factory.http, pair.access_token, str(user.id)), pair


async def _register(client: Client, device: dict[str, str]) -> str:
    result = (await client.data(REGISTER, input=device))["pushDeviceRegister"]
    assert result["__typename"] == "PushDeviceRegisterSuccess", result
    return str(result["device"]["id"])


def _server_key(settings: Settings) -> str:
    assert settings.vapid_private_key is not None
    return public_key_b64(load_vapid_key(settings.vapid_private_key))


def _given(student: models.Student) -> str:
    return student.full_name.split()[0]


async def _forget(*users: models.User) -> None:
    """The users' devices (and pending pushes) gone: no later round of another test sends them."""
    await models.PushDevice.filter(user_id__in=[u.id for u in users]).delete()


async def test_a_grade_an_absence_a_planned_test_and_a_message_reach_a_closed_app(
    app: Any, factory: Factory, settings: Settings
) -> None:
    world = await _school(factory)
    teacher = factory.client(world.teacher)
    async with web_push_service(_server_key(settings)) as service:
        parent, _pair = await _login(factory, world.parent)
        other, _other_pair = await _login(factory, world.other_parent)
        mine, theirs = service.subscribe(), service.subscribe()
        await _register(parent, mine)
        await _register(other, theirs)
        senders = make_senders(settings)
        await _drain(app)
        try:
            # A grade: the title and the child's given name; not the value, not the comment.
            await _grade(teacher, world.lessons[-1], world.child, "Pushed comment")
            await run_notifier(app)
            assert await push.deliver_due(senders) >= 1
            [grade] = service.to(mine["endpoint"])
            assert set(grade) == PAYLOAD_KEYS | {"student"}
            assert (grade["title"], grade["body"], grade["kind"], grade["category"]) == (
                "New grade",
                _given(world.child),
                "GRADE_ADDED",
                "GRADES",
            )
            assert grade["student"] == gid(world.child, "Student")
            row = await models.Notification.filter(user_id=world.parent.id, kind="GRADE_ADDED").order_by("-id").first()
            assert row is not None
            assert grade["notification"] == to_global_id("Notification", row.id)
            assert "Pushed comment" not in json.dumps(grade)
            assert "Mathematics" not in json.dumps(grade)

            # An absence.
            lesson = world.lessons[-2]
            await models.Attendance.create(
                student=world.child,
                lesson=lesson,
                date=lesson.date,
                status=models.AttendanceStatus.ABSENT_UNEXCUSED,
                marked_by=world.teacher,
            )
            await models.OutboxEvent.create(
                kind=EventKind.ATTENDANCE_MARKED,
                student=world.child,
                lesson=lesson,
                school_class_id=lesson.school_class_id,
            )
            await run_notifier(app)
            await push.deliver_due(senders)
            absence = service.to(mine["endpoint"])[-1]
            assert (absence["title"], absence["body"], absence["kind"]) == (
                "Attendance",
                _given(world.child),
                "ATTENDANCE_MARKED",
            )

            # A planned test, reminded the evening before (the sibling's 6B: this family only).
            day = school_days_from(today_utc() + timedelta(days=4), 1)[0]
            planned = await factory.lesson(world.kit, "6B", "Mathematics", world.teacher, day, period=1)
            result = await teacher.data(
                PLAN, input={"lessonId": gid(planned, "Lesson"), "kind": "TEST", "description": "Fractions"}
            )
            assert result["assessmentPlan"]["__typename"] == "AssessmentSuccess", result
            eve = datetime.combine(day - timedelta(days=1), time(18, 5), tzinfo=ZoneInfo(world.kit.school.timezone))
            with freeze(eve):
                await reminders.remind_assessments(app.state.broker)
                await push.deliver_due(senders)
            reminder = service.to(mine["endpoint"])[-1]
            assert (reminder["title"], reminder["body"], reminder["kind"]) == (
                "An assessment tomorrow",
                _given(world.sibling),
                "ASSESSMENT_REMINDER",
            )
            assert "Fractions" not in json.dumps(reminder)

            # A chat message: its title only, never its text.
            chat = await new_chat(teacher, "Push chat", world.parent)
            sent = await send(teacher, chat, "Secret words")
            assert sent["__typename"] == "MessageSendSuccess", sent
            await push.deliver_due(senders)
            message = service.to(mine["endpoint"])[-1]
            assert set(message) == PAYLOAD_KEYS
            assert (message["title"], message["body"], message["kind"]) == (
                "A new chat message",
                "Open ediary to see it.",
                "CHAT_MESSAGE",
            )
            assert "Secret words" not in json.dumps(message)

            assert len(service.to(mine["endpoint"])) == 4
            assert service.to(theirs["endpoint"]) == []  # another family's device: nothing of it
            assert service.refused == []
            # At most once per device and notification: another round sends nothing again.
            await push.deliver_due(senders)
            assert len(service.to(mine["endpoint"])) == 4
            devices = (await parent.data(DEVICES))["viewer"]["pushDevices"]
            assert [(d["kind"], d["current"]) for d in devices] == [("WEB_PUSH", True)]
            assert devices[0]["lastSentAt"] is not None
        finally:
            await _forget(world.parent, world.other_parent)


async def test_preferences_and_quiet_hours_are_respected(app: Any, factory: Factory, settings: Settings) -> None:
    world = await _school(factory)
    teacher = factory.client(world.teacher)
    async with web_push_service(_server_key(settings)) as service:
        parent, _pair = await _login(factory, world.parent)
        mine = service.subscribe()
        device = await _register(parent, mine)
        senders = make_senders(settings)
        await _drain(app)
        try:
            # Grades not pushed: nothing queued for the device, the inbox still has it.
            chosen = await parent.data(PREFS, input={"channels": [{"category": "GRADES", "push": False}]})
            assert chosen["notificationPreferencesSet"]["__typename"] == "NotificationPreferencesSetSuccess"
            await _grade(teacher, world.lessons[-1], world.child, "Not pushed")
            await run_notifier(app)
            assert await models.PushDelivery.filter(device__user_id=world.parent.id).count() == 0
            await push.deliver_due(senders)
            assert service.to(mine["endpoint"]) == []

            # Pushed again, but inside the quiet hours: held until they end, then sent.
            now = now_utc()
            start = (now - timedelta(hours=1)).replace(second=0, microsecond=0)
            end = (now + timedelta(hours=1)).replace(second=0, microsecond=0)
            quiet = {
                "channels": [{"category": "GRADES", "push": True}],
                "quietHoursStart": start.time().isoformat(),
                "quietHoursEnd": end.time().isoformat(),
                "timezone": "UTC",
            }
            assert (await parent.data(PREFS, input=quiet))["notificationPreferencesSet"]["__typename"] == (
                "NotificationPreferencesSetSuccess"
            )
            await _grade(teacher, world.lessons[-2], world.child, "Held back")
            await run_notifier(app)
            row = await models.PushDelivery.get(device_id=pk(device))
            assert row.next_attempt_at == end
            await models.PushDelivery.filter(id=row.id).update(next_attempt_at=now)  # as if due now (a retry)
            await push.deliver_due(senders)
            await row.refresh_from_db()
            assert (row.status, row.next_attempt_at) == (models.DeliveryStatus.PENDING, end)  # still held
            assert service.to(mine["endpoint"]) == []
            with freeze(end + timedelta(seconds=1)):
                await push.deliver_due(senders)
            assert [p["title"] for p in service.to(mine["endpoint"])] == ["New grade"]
        finally:
            await _forget(world.parent)


async def test_nothing_arrives_after_logout_expiry_or_a_revoked_guardianship(
    app: Any, factory: Factory, settings: Settings
) -> None:
    """Each is checked when sending, not only when it happens."""
    world = await _school(factory)
    teacher = factory.client(world.teacher)
    async with web_push_service(_server_key(settings)) as service:
        phone, phone_pair = await _login(factory, world.parent, "Phone")
        laptop, laptop_pair = await _login(factory, world.parent, "Laptop")
        tablet, _tablet_pair = await _login(factory, world.parent, "Tablet")
        on_phone, on_laptop, on_tablet = service.subscribe(), service.subscribe(), service.subscribe()
        await _register(phone, on_phone)
        await _register(laptop, on_laptop)
        await _register(tablet, on_tablet)
        link = await models.Guardianship.create(guardian=world.other_parent, student=world.child)
        other, _other_pair = await _login(factory, world.other_parent)
        on_other = service.subscribe()
        await _register(other, on_other)
        senders = make_senders(settings)
        await _drain(app)
        try:
            await _grade(teacher, world.lessons[-1], world.child, "After the endings")
            await run_notifier(app)
            assert (
                await models.PushDelivery.filter(device__user_id__in=[world.parent.id, world.other_parent.id]).count()
                == 4
            )
            # The phone logs out ("log out that phone" from the tablet): its device goes at once.
            revoked = await tablet.data(REVOKE, id=to_global_id("Session", phone_pair.session_id))
            assert revoked["sessionRevoke"]["__typename"] == "SessionRevokeSuccess"
            # The laptop's session expires (its refresh token runs out): nothing ended it.
            session = await models.Session.get(id=laptop_pair.session_id)
            await models.RefreshToken.filter(family=session.key).update(expires_at=now_utc() - timedelta(seconds=1))
            # The other parent's guardianship is revoked after the notification was queued.
            link.revoked_at = now_utc()
            await link.save()
            await push.deliver_due(senders)
            assert service.to(on_phone["endpoint"]) == []
            assert service.to(on_laptop["endpoint"]) == []
            assert service.to(on_other["endpoint"]) == []
            assert [p["title"] for p in service.to(on_tablet["endpoint"])] == ["New grade"]  # the live one
            assert await models.PushDevice.filter(session_id=phone_pair.session_id).count() == 0
            assert await models.PushDevice.filter(session_id=laptop_pair.session_id).count() == 0
            skipped = await models.PushDelivery.get(device__user_id=world.other_parent.id)
            assert skipped.status == models.DeliveryStatus.SKIPPED
            assert [d["kind"] for d in (await laptop.data(DEVICES))["viewer"]["pushDevices"]] == ["WEB_PUSH"]
        finally:
            await _forget(world.parent, world.other_parent)


async def test_a_device_the_push_service_forgot_is_removed_and_a_failure_retried(
    app: Any, factory: Factory, settings: Settings
) -> None:
    world = await _school(factory)
    teacher = factory.client(world.teacher)
    async with web_push_service(_server_key(settings)) as service:
        parent, _pair = await _login(factory, world.parent)
        first, second = service.subscribe(), service.subscribe()
        await _register(parent, first)
        await _register(parent, second)
        senders = make_senders(settings)
        await _drain(app)
        try:
            service.status = 503  # the push service is down for a while
            await _grade(teacher, world.lessons[-1], world.child, "Retried")
            await run_notifier(app)
            await push.deliver_due(senders)
            rows = await models.PushDelivery.filter(device__user_id=world.parent.id).order_by("id")
            assert [(r.status, r.attempts) for r in rows] == [(models.DeliveryStatus.PENDING, 1)] * 2
            assert all(r.next_attempt_at > now_utc() + timedelta(seconds=25) for r in rows)  # backoff
            service.status = None
            service.gone.add(first["endpoint"].rsplit("/", 1)[-1])  # the first browser unsubscribed
            with freeze(now_utc() + timedelta(minutes=1)):
                await push.deliver_due(senders)
            assert service.to(first["endpoint"]) == []
            assert [p["title"] for p in service.to(second["endpoint"])] == ["New grade"]
            kinds = [d["kind"] for d in (await parent.data(DEVICES))["viewer"]["pushDevices"]]
            assert kinds == ["WEB_PUSH"]  # 410: the first device is gone
        finally:
            await _forget(world.parent)


async def test_fcm_and_apns_devices_through_their_providers_apis(
    app: Any, factory: Factory, settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Also: no token reaches the logs (httpx would log each request's URL, an APNs token in it)."""
    caplog.set_level(logging.INFO)
    world = await _school(factory)
    teacher = factory.client(world.teacher)
    async with fcm_service() as fcm, apns_service() as apns:
        account = tmp_path / "service-account.json"
        account.write_text(json.dumps(fcm.account()))
        key = tmp_path / "AuthKey.p8"
        key.write_bytes(apns.key_pem())
        configured = dataclasses.replace(
            settings,
            fcm_service_account_file=str(account),
            fcm_base_url=fcm.base,
            apns_key_file=str(key),
            apns_key_id=apns.key_id,
            apns_team_id=apns.team_id,
            apns_topic=apns.topic,
            apns_base_url=apns.base,
        )
        senders = make_senders(configured)
        android, _a = await _login(factory, world.parent, "Android")
        iphone, _i = await _login(factory, world.parent, "iPhone")
        fcm_token = "fcm-" + "x" * 40 + ":APA91b" + "y" * 60
        apns_token = "ab" * 32
        gone_fcm = "fcm-gone-" + "z" * 40
        await _register(android, {"kind": "FCM", "token": fcm_token})
        await _register(iphone, {"kind": "APNS", "token": apns_token})
        await _register(android, {"kind": "FCM", "token": gone_fcm})
        fcm.gone.add(gone_fcm)
        await _drain(app)
        try:
            await _grade(teacher, world.lessons[-1], world.child, "Native")
            await run_notifier(app)
            await push.deliver_due(senders)
            [(to_fcm, on_android)] = [(a.to, a.payload) for a in fcm.arrived]
            [(to_apns, on_iphone)] = [(a.to, a.payload) for a in apns.arrived]
            assert (to_fcm, to_apns) == (fcm_token, apns_token)
            for payload in (on_android, on_iphone):
                assert (payload["title"], payload["body"], payload["kind"]) == (
                    "New grade",
                    _given(world.child),
                    "GRADE_ADDED",
                )
            headers = apns.arrived[0].headers
            assert (headers["apns-topic"], headers["apns-push-type"]) == (apns.topic, "alert")
            assert fcm.refused == apns.refused == []
            # FCM's UNREGISTERED removed its device; the two others remain.
            kinds = sorted(d["kind"] for d in (await android.data(DEVICES))["viewer"]["pushDevices"])
            assert kinds == ["APNS", "FCM"]
            apns.gone.add(apns_token)
            await _grade(teacher, world.lessons[-2], world.child, "Native again")
            await run_notifier(app)
            await push.deliver_due(senders)
            assert len(fcm.arrived) == 2
            assert len(apns.arrived) == 1
            kinds = [d["kind"] for d in (await android.data(DEVICES))["viewer"]["pushDevices"]]
            assert kinds == ["FCM"]  # APNs' 410 Unregistered removed the iPhone
            assert caplog.records  # the worker's own lines were captured...
            for secret in (fcm_token, apns_token, gone_fcm):
                assert secret not in caplog.text  # ...and no token among them
        finally:
            await _forget(world.parent)


async def test_registering_is_validated_audited_and_only_yours(factory: Factory, settings: Settings) -> None:
    world = await _school(factory)
    parent, pair = await _login(factory, world.parent)
    other, _other_pair = await _login(factory, world.other_parent)
    good = {
        "kind": "WEB_PUSH",
        "endpoint": "https://fcm.googleapis.com/fcm/send/abc",
        "p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM",
        "auth": "tBHItJI5svbpez7KI4CCXg",
    }
    try:
        before = await models.PushDevice.all().count()
        cases: list[tuple[dict[str, Any], str, str]] = [
            ({**good, "endpoint": "http://push.example.net/x"}, "endpoint", "PUSH_ENDPOINT_INVALID"),
            ({**good, "endpoint": "http://127.0.0.2:8000/x"}, "endpoint", "PUSH_ENDPOINT_INVALID"),
            ({**good, "endpoint": "https://user:pw@push.example.net/x"}, "endpoint", "PUSH_ENDPOINT_INVALID"),
            ({**good, "endpoint": "ftp://push.example.net/x"}, "endpoint", "PUSH_ENDPOINT_INVALID"),
            # Only the push services of the settings: the server posts to no address a user makes up.
            ({**good, "endpoint": "https://push.example.net/x"}, "endpoint", "PUSH_ENDPOINT_INVALID"),
            ({**good, "endpoint": "https://fcm.googleapis.com.example.net/x"}, "endpoint", "PUSH_ENDPOINT_INVALID"),
            ({**good, "endpoint": "https://evilnotify.windows.com/x"}, "endpoint", "PUSH_ENDPOINT_INVALID"),
            ({**good, "endpoint": "https://169.254.169.254/latest"}, "endpoint", "PUSH_ENDPOINT_INVALID"),
            ({**good, "p256dh": good["p256dh"][:-4]}, "p256dh", "PUSH_KEY_INVALID"),
            ({**good, "p256dh": "B" + "A" * 86}, "p256dh", "PUSH_KEY_INVALID"),  # not a point of the curve
            ({**good, "auth": "not base64!"}, "auth", "PUSH_KEY_INVALID"),
            ({**good, "auth": "tBHItJI5svbpez7KI4CC"}, "auth", "PUSH_KEY_INVALID"),
            ({"kind": "FCM"}, "token", "PUSH_TOKEN_INVALID"),
            ({"kind": "FCM", "token": "short"}, "token", "PUSH_TOKEN_INVALID"),
            ({"kind": "APNS", "token": "zz" * 32}, "token", "PUSH_TOKEN_INVALID"),
            ({"kind": "APNS", "token": "ab" * 32, "endpoint": good["endpoint"]}, "endpoint", "PUSH_ENDPOINT_INVALID"),
        ]
        for device, field, code in cases:
            result = (await parent.data(REGISTER, input=device))["pushDeviceRegister"]
            assert result["__typename"] == "ValidationError", (device, result)
            assert {"field": field, "code": code} in result["fields"], (device, result)
        everything_wrong = (await parent.data(REGISTER, input={**good, "endpoint": "x", "auth": "x"}))[
            "pushDeviceRegister"
        ]
        assert {f["field"] for f in everything_wrong["fields"]} == {"endpoint", "auth"}  # every problem at once
        assert await models.PushDevice.all().count() == before  # nothing written

        mine = await _register(parent, good)
        audit = await models.AuditEntry.filter(action="push_device.register", object_id=pk(mine)).first()
        assert audit is not None
        assert audit.details == {"kind": "WEB_PUSH", "session": pair.session_id, "replaced": False}
        assert good["endpoint"] not in json.dumps(audit.details)
        assert good["auth"] not in json.dumps(audit.details)
        # The same subscription registered again (here by another login) replaces the earlier one.
        theirs = await _register(other, good)
        assert (await parent.data(DEVICES))["viewer"]["pushDevices"] == []
        assert [d["id"] for d in (await other.data(DEVICES))["viewer"]["pushDevices"]] == [theirs]
        # Not yours looks like not there: unregister and node() alike.
        refused = (await parent.data(UNREGISTER, id=theirs))["pushDeviceUnregister"]
        assert refused == {"__typename": "NotFoundError", "code": "PUSH_DEVICE_NOT_FOUND"}
        assert (await parent.data("query N($id: ID!) { node(id: $id) { id } }", id=theirs)) == {"node": None}
        assert (await other.data("query N($id: ID!) { node(id: $id) { id } }", id=theirs)) == {"node": {"id": theirs}}
        done = (await other.data(UNREGISTER, id=theirs))["pushDeviceUnregister"]
        assert done == {"__typename": "PushDeviceUnregisterSuccess", "deviceId": theirs}
        assert (await other.data(DEVICES))["viewer"]["pushDevices"] == []
        again = (await other.data(UNREGISTER, id=theirs))["pushDeviceUnregister"]
        assert again["code"] == "PUSH_DEVICE_NOT_FOUND"
        assert await models.AuditEntry.filter(action="push_device.unregister", object_id=pk(theirs)).count() == 1
        anonymous = await factory.client(None).post(REGISTER, input=good)
        assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    finally:
        await _forget(world.parent, world.other_parent)


async def test_the_vapid_public_key_and_a_server_without_web_push(factory: Factory, settings: Settings) -> None:
    user = await factory.parent("nokey")
    assert (await factory.client(user).data(KEY)) == {"vapidPublicKey": _server_key(settings)}
    anonymous = await factory.client(None).post(KEY)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    pair = await sessions.start_session(settings, user, "Browser")
    async with client_for(settings, vapid_private_key=None) as http:
        client = Client(http, pair.access_token)
        assert await client.data(KEY) == {"vapidPublicKey": None}
        result = (
            await client.data(
                REGISTER,
                input={
                    "kind": "WEB_PUSH",
                    "endpoint": "https://fcm.googleapis.com/fcm/send/abc",
                    "p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM",
                    "auth": "tBHItJI5svbpez7KI4CCXg",
                },
            )
        )["pushDeviceRegister"]
        assert result["code"] == "PUSH_UNAVAILABLE"
        assert (await client.data(REGISTER, input={"kind": "FCM", "token": "t" * 40}))["pushDeviceRegister"][
            "__typename"
        ] == "PushDeviceRegisterSuccess"  # native tokens are kept whatever this server sends
    await _forget(user)


async def test_one_device_too_many_replaces_the_least_recently_used(factory: Factory) -> None:
    """At most ``push.MAX_DEVICES`` (10) a user: the eleventh removes the device whose session was
    seen longest ago (audited as such, by ids), the others stay; registering one of the ten
    again makes no room; another user's devices are not counted."""
    user = await factory.user("many")
    other = await factory.user("neighbour")
    try:
        theirs, _theirs_pair = await _login(factory, other, "Their phone")
        await _register(theirs, {"kind": "APNS", "token": "ff" * 32})
        clients, devices, pairs = [], [], []
        for n in range(push.MAX_DEVICES):
            client, pair = await _login(factory, user, f"Device {n}")
            devices.append(await _register(client, {"kind": "APNS", "token": f"{n:02d}" * 32}))
            clients.append(client)
            pairs.append(pair)
        # Device 3's session was seen longest ago; the others more recently, in order.
        now = now_utc()
        for n, pair in enumerate(pairs):
            seen = now - timedelta(days=30) if n == 3 else now - timedelta(minutes=50 - n)
            await models.Session.filter(id=pair.session_id).update(last_seen_at=seen)
        again = await _register(clients[5], {"kind": "APNS", "token": "05" * 32})  # the same phone again
        listed = (await clients[0].data(DEVICES))["viewer"]["pushDevices"]
        assert len(listed) == push.MAX_DEVICES
        assert await models.AuditEntry.filter(action="push_device.evict", actor_id=user.id).count() == 0

        newest, newest_pair = await _login(factory, user, "Device 10")
        added = await _register(newest, {"kind": "APNS", "token": "aa" * 32})
        listed = (await newest.data(DEVICES))["viewer"]["pushDevices"]
        kept = {d["id"] for d in listed}
        assert len(kept) == push.MAX_DEVICES
        assert devices[3] not in kept
        assert kept == ({*devices} - {devices[3], devices[5]}) | {again, added}
        [evicted] = await models.AuditEntry.filter(action="push_device.evict", object_id=pk(devices[3]))
        assert evicted.actor_id == user.id
        assert evicted.details == {"kind": "APNS", "session": pairs[3].session_id}
        assert "03" * 32 not in json.dumps(evicted.details)
        # The session itself goes on: only its device was removed.
        assert (await clients[3].data("{ viewer { user { id } } }"))["viewer"]["user"]["id"] == gid(user, "User")
        assert len((await theirs.data(DEVICES))["viewer"]["pushDevices"]) == 1  # the neighbour's: untouched

        # A device of a session that ended is used least of all, before any live one.
        await models.Session.filter(id=newest_pair.session_id).update(ended_at=now_utc())
        latest, _latest_pair = await _login(factory, user, "Device 11")
        await _register(latest, {"kind": "APNS", "token": "bb" * 32})
        assert not await models.PushDevice.filter(id=pk(added)).exists()
        assert await models.PushDevice.filter(user_id=user.id).count() == push.MAX_DEVICES
    finally:
        await _forget(user, other)


async def test_finished_pushes_are_pruned_after_thirty_days(app: Any, factory: Factory, settings: Settings) -> None:
    """The housekeeping sweep removes a push sent, failed or skipped once ``PUSHES_KEPT`` (30 days)
    has passed since its last attempt, never a pending one (still to be sent), nor the device."""
    world = await _school(factory)
    teacher = factory.client(world.teacher)
    async with web_push_service(_server_key(settings)) as service:
        parent, _pair = await _login(factory, world.parent)
        mine = service.subscribe()
        device = await _register(parent, mine)
        senders = make_senders(settings)
        await _drain(app)
        try:
            await _grade(teacher, world.lessons[-1], world.child, "Sent and kept a while")
            await run_notifier(app)
            await push.deliver_due(senders)
            [sent] = await models.PushDelivery.filter(device_id=pk(device))
            assert sent.status == models.DeliveryStatus.SENT
            service.status = 503  # the next one waits for a retry
            await _grade(teacher, world.lessons[-2], world.child, "Still pending")
            await run_notifier(app)
            await push.deliver_due(senders)
            pending = await models.PushDelivery.get(device_id=pk(device), status=models.DeliveryStatus.PENDING)
            assert pending.next_attempt_at < now_utc() + timedelta(minutes=5)  # due as old as the sent one

            with travel(now_utc() + housekeeping.PUSHES_KEPT - timedelta(hours=1)):
                await housekeeping.sweep(settings)
            assert await models.PushDelivery.filter(id=sent.id).exists()  # not yet 30 days
            with travel(now_utc() + housekeeping.PUSHES_KEPT + timedelta(hours=1)):
                removed = await housekeeping.sweep(settings)
            assert removed["push_delivery"] >= 1
            assert not await models.PushDelivery.filter(id=sent.id).exists()
            assert await models.PushDelivery.filter(id=pending.id).exists()  # not finished: kept
            assert await models.PushDevice.filter(id=pk(device)).exists()
            assert await models.Notification.filter(id=sent.notification_id).exists()  # the inbox keeps it
        finally:
            await _forget(world.parent)


async def test_push_devices_statements(factory: Factory, count_statements: StatementCounter) -> None:
    """Six devices cost what one costs: the session with its account, and one list."""
    clients = []
    users = []
    for name, devices in (("one", 1), ("six", 6)):
        user = await factory.user(name)
        users.append(user)
        for n in range(devices):
            client, _pair = await _login(factory, user, f"Device {n}")
            await _register(client, {"kind": "APNS", "token": f"{devices:02d}{n:02d}" * 16})
        clients.append(client)
    try:
        small, one = await _count(clients[0], count_statements, DEVICES)
        large, six = await _count(clients[1], count_statements, DEVICES)
        assert (len(one["viewer"]["pushDevices"]), len(six["viewer"]["pushDevices"])) == (1, 6)
        assert len(large) == len(small), _explain(small, large)
    finally:
        await _forget(*users)


def test_the_vapid_key_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Development makes one under the data folder once and keeps it; production without one sends
    no Web Push; a key that is not a P-256 key, or a subject that is no contact, stops the start."""
    from edge import settings as configuration
    from edge.settings import ConfigurationError

    monkeypatch.setattr(configuration, "DATA_DIR", tmp_path)
    secret = {"SECRET_KEY": secrets.token_urlsafe(48)}  # production refuses one written in a file
    made = Settings.from_env(secret).vapid_private_key
    assert made is not None
    assert (tmp_path / "vapid_private_key.pem").read_text() == made
    assert oct((tmp_path / "vapid_private_key.pem").stat().st_mode & 0o777) == "0o600"
    assert Settings.from_env(secret).vapid_private_key == made  # kept across starts
    assert Settings.from_env({**secret, "EDIARY_ENV": "production"}).vapid_private_key is None
    raw = "IQlmdXwB5tkFz6-K1xq3iZ6CQk4MHxBXOsVLcl1VU1A"  # the raw 32 bytes, as web-push tools print them
    assert Settings.from_env({**secret, "VAPID_PRIVATE_KEY": raw}).vapid_private_key == raw
    for variable, value in (("VAPID_PRIVATE_KEY", "nonsense"), ("VAPID_SUBJECT", "admin@school.example")):
        with pytest.raises(ConfigurationError, match=variable):
            Settings.from_env({**secret, variable: value})


def test_the_push_services_a_server_posts_to(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Chrome's, Firefox's, Safari's and Edge's services by default; EDIARY_PUSH_HOSTS names
    others (a host, or *.suffix for its subdomains: not the suffix itself, nor a look-alike)."""
    from edge import settings as configuration
    from edge.settings import ConfigurationError, push_host_allowed

    monkeypatch.setattr(configuration, "DATA_DIR", tmp_path)
    secret = {"SECRET_KEY": secrets.token_urlsafe(48)}
    default = Settings.from_env(secret).push_hosts
    for host in (
        "fcm.googleapis.com",
        "updates.push.services.mozilla.com",
        "web.push.apple.com",
        "wns2-par02p.notify.windows.com",
    ):
        assert push_host_allowed(host, default), host
    for host in ("push.apple.com", "example.net", "fcm.googleapis.com.example.net", "evilnotify.windows.com"):
        assert not push_host_allowed(host, default), host
    own = Settings.from_env({**secret, "EDIARY_PUSH_HOSTS": "push.school.example, *.gorush.example"}).push_hosts
    assert push_host_allowed("push.school.example", own)
    assert push_host_allowed("a.gorush.example", own)
    assert not push_host_allowed("fcm.googleapis.com", own)
    with pytest.raises(ConfigurationError, match="EDIARY_PUSH_HOSTS"):
        Settings.from_env({**secret, "EDIARY_PUSH_HOSTS": "https://push.school.example/"})
