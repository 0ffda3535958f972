"""No input makes the server fail (issue 17, item 1): hostile bodies, frames, dates, zones,
cursors and text get a typed answer over HTTP and WebSocket, never a 500 or a dropped socket."""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest

import models
from resolvers import chat_events, outbox, pages
from resolvers.chat_events import CHAT_EVENTS
from resolvers.outbox import OUTBOX
from tests.client import Client
from tests.conftest import client_for
from tests.factories import Factory, SchoolKit
from tests.helpers import gid, open_socket

DEEP = "[" * 1000 + "]" * 1000
ECHO = "query Q($x: String) { __typename }"
MEETINGS = "query M($from: DateTime, $to: DateTime) { viewer { meetings(from: $from, to: $to) { id } } }"
DIARY = "query D($id: ID!, $from: Date!, $to: Date!) { student(id: $id) { diary(from: $from, to: $to) { date } } }"
CHART = """query C($id: ID!, $subject: ID!, $from: Date!, $to: Date!) {
  student(id: $id) { progressChart(subjectId: $subject, from: $from, to: $to) { __typename } } }"""
AUDIT = """query A($id: ID!, $from: DateTime, $to: DateTime, $after: String) {
  node(id: $id) { ... on School { auditLog(from: $from, to: $to, after: $after) { edges { cursor } } } } }"""
MESSAGES = """query M($id: ID!, $before: String) {
  chat(id: $id) { messages(last: 5, before: $before) { edges { cursor } } } }"""
MESSAGE_SEND = """mutation S($input: MessageSendInput!) {
  messageSend(input: $input) { __typename ... on Error { code } ... on ValidationError { fields { field code } } } }"""
CHAT_CREATE = """mutation C($input: ChatCreateInput!) {
  chatCreate(input: $input) { __typename ... on Error { code } } }"""
ACCOUNT_CREATE = """mutation A($input: AccountCreateInput!) {
  accountCreate(input: $input) {
    __typename ... on Error { code } ... on ValidationError { fields { field code } } } }"""
SCHOOL_UPDATE = """mutation U($input: SchoolUpdateInput!) {
  schoolUpdate(input: $input) { __typename ... on Error { code message } } }"""
PREFERENCES = """mutation P($input: NotificationPreferencesSetInput!) {
  notificationPreferencesSet(input: $input) { __typename ... on Error { code message } } }"""
DIARY_EVENTS = "subscription E($after: String) { diaryEvents(after: $after) { cursor } }"


def _codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


async def _refused(client: Client, query: str, **variables: Any) -> dict[str, Any]:
    """The request's errors: every one coded BAD_USER_INPUT, no data."""
    r = await client.http.post("/graphql", json={"query": query, "variables": variables}, headers=client.headers())
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    assert body.get("errors"), body
    assert set(_codes(body)) == {"BAD_USER_INPUT"}, body
    return body


# --- JSON: depth and lone surrogates -------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        '{"query": "{ __typename }", "variables": {"x": ' + DEEP + "}}",
        '{"query": "{ __typename }", "extensions": ' + "[" * 33 + "]" * 33 + "}",
        '{"query": "{ __typename }", "variables": {"x": "\\ud800"}}',
        '{"query": "{ __typename \\udfff }"}',
        '{"query": "{ __typename }", "variables": {"\\ud83d": 1}}',
    ],
    ids=["deep-1000", "deep-33", "surrogate-value", "surrogate-query", "surrogate-key"],
)
async def test_hostile_json_bodies_are_400(http: httpx.AsyncClient, body: str) -> None:
    r = await http.post("/graphql", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    assert _codes(r.json()) == ["BAD_REQUEST"]


async def test_json_within_the_limits_is_read(http: httpx.AsyncClient) -> None:
    nested = "[" * 30 + "]" * 30  # with the variables object and the body: 32 levels
    body = '{"query": "{ __typename }", "variables": {"y": ' + nested + ', "x": "\\ud83d\\ude00"}}'
    r = await http.post("/graphql", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    assert r.json()["data"] == {"__typename": "Query"}


async def test_hostile_get_variables_are_400(http: httpx.AsyncClient) -> None:
    for variables in ('{"x": ' + DEEP + "}", '{"x": "\\udc00"}'):
        r = await http.get("/graphql", params={"query": ECHO, "variables": variables})
        assert r.status_code == 400, r.text
        assert _codes(r.json()) == ["BAD_REQUEST"]


async def test_unknown_operation_name_is_400(http: httpx.AsyncClient) -> None:
    for query in ("query A { __typename }", "query A { __typename } query B { __typename }", "{ __typename }"):
        r = await http.post("/graphql", json={"query": query, "operationName": "Nope"})
        assert r.status_code == 400, r.text
        (error,) = r.json()["errors"]
        assert error["extensions"]["code"] == "BAD_REQUEST"
        assert "Nope" in error["message"]


# --- Date and DateTime ----------------------------------------------------------------------


@pytest.fixture
async def family(factory: Factory) -> tuple[SchoolKit, models.Student, Client, Client]:
    """A school, a child, the child's parent and the school's admin."""
    kit = await factory.school(classes=("5A",))
    parent = await factory.parent("mother")
    child = await factory.student(kit, "5A", "anna", guardians=[parent])
    return kit, child, factory.client(parent), factory.client(kit.admin)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2026-12-01T00:00:00", "2026-12-31T00:00:00Z"),  # naive and aware
        ("2026-12-01T00:00:00Z", "2026-12-31T00:00:00"),
        ("9999-12-31T00:00:00Z", None),  # the default end would be past year 9999
        ("2026-12-01T00:00:00Z", "9999-12-31T23:59:59+00:00"),
        ("0001-01-01T00:00:00-05:00", None),
        ("2026-12-01", None),  # a date is not an instant
        ("2026-W48-1T00:00:00Z", None),
    ],
)
async def test_bad_datetimes_are_bad_user_input(
    family: tuple[SchoolKit, models.Student, Client, Client], start: str, end: str | None
) -> None:
    _, _, parent, _ = family
    body = await _refused(parent, MEETINGS, **{"from": start, "to": end})
    assert "DateTime" in body["errors"][0]["message"]


async def test_datetime_literals_are_checked_too(family: tuple[SchoolKit, models.Student, Client, Client]) -> None:
    _, _, parent, _ = family
    for literal in ('"2026-12-01T00:00:00"', '"9999-12-31T00:00:00Z"'):
        await _refused(parent, f"{{ viewer {{ meetings(from: {literal}) {{ id }} }} }}")


async def test_datetimes_at_the_bounds_run(family: tuple[SchoolKit, models.Student, Client, Client]) -> None:
    kit, _, parent, admin = family
    data = await parent.data(MEETINGS, **{"from": "2999-12-31T23:59:59+14:00"})  # the default end: year 3000
    assert data["viewer"]["meetings"] == []
    data = await parent.data(MEETINGS, **{"from": "1900-01-01T00:00:00-12:00", "to": "1900-02-01T00:00:00Z"})
    assert data["viewer"]["meetings"] == []
    data = await admin.data(AUDIT, id=gid(kit.school, "School"), **{"from": "2999-12-31T00:00:00Z"})
    assert data["node"]["auditLog"]["edges"] == []


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("9999-12-30", "9999-12-31"),
        ("2026-12-01", "10000-01-01"),
        ("0001-01-01", "0001-01-02"),
        ("20261201", "20261202"),
    ],
)
async def test_bad_dates_are_bad_user_input(
    family: tuple[SchoolKit, models.Student, Client, Client], start: str, end: str
) -> None:
    kit, child, parent, _ = family
    await _refused(parent, DIARY, id=gid(child, "Student"), **{"from": start, "to": end})
    subject = gid(kit.subjects["Mathematics"], "Subject")
    await _refused(parent, CHART, id=gid(child, "Student"), subject=subject, **{"from": start, "to": end})


async def test_dates_at_the_bounds_run(family: tuple[SchoolKit, models.Student, Client, Client]) -> None:
    kit, child, parent, _ = family
    data = await parent.data(DIARY, id=gid(child, "Student"), **{"from": "2999-12-25", "to": "2999-12-31"})
    assert [d["date"] for d in data["student"]["diary"]][-1:] in ([], ["2999-12-31"])
    subject = gid(kit.subjects["Mathematics"], "Subject")
    data = await parent.data(
        CHART, id=gid(child, "Student"), subject=subject, **{"from": "2999-01-01", "to": "2999-12-31"}
    )
    assert data["student"]["progressChart"] is not None


async def test_audit_log_far_dates(family: tuple[SchoolKit, models.Student, Client, Client]) -> None:
    kit, _, _, admin = family
    await _refused(admin, AUDIT, id=gid(kit.school, "School"), **{"from": "9999-12-31T23:59:59Z"})
    await _refused(admin, AUDIT, id=gid(kit.school, "School"), to="2026-12-31T00:00:00")


# --- Time zones -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "zone", ["A" * 5000, "../../../../etc/passwd", "/usr/share/zoneinfo/UTC", "Europe", "Europe/Nowhere", "UTC\x00", ""]
)
async def test_bad_time_zones_are_refused_plainly(factory: Factory, zone: str) -> None:
    kit = await factory.school()
    district = factory.client(await factory.district_admin())
    data = await district.data(SCHOOL_UPDATE, input={"schoolId": gid(kit.school, "School"), "timezone": zone})
    refusal = data["schoolUpdate"]
    assert (refusal["__typename"], refusal["code"]) == ("ValidationError", "INVALID_TIMEZONE")
    assert "zoneinfo" not in refusal["message"]
    assert "/" not in refusal["message"].replace("Europe/Moscow", "")
    parent = factory.client(await factory.parent())
    data = await parent.data(PREFERENCES, input={"timezone": zone})
    assert data["notificationPreferencesSet"]["code"] == "UNKNOWN_TIMEZONE"


async def test_a_real_time_zone_is_taken(factory: Factory) -> None:
    parent = factory.client(await factory.parent())
    data = await parent.data(PREFERENCES, input={"timezone": "America/Argentina/Buenos_Aires"})
    assert data["notificationPreferencesSet"]["__typename"] == "NotificationPreferencesSetSuccess"


# --- Cursors --------------------------------------------------------------------------------

HUGE = (2**31, 2**40, 2**63 - 1, 2**64 - 1)


@pytest.mark.parametrize("number", HUGE)
async def test_cursors_out_of_range_are_unknown_cursors(
    factory: Factory, family: tuple[SchoolKit, models.Student, Client, Client], number: int
) -> None:
    kit, _, _, admin = family
    body = await _refused(admin, AUDIT, id=gid(kit.school, "School"), after=pages.encode("audit", number))
    assert "cursor" in body["errors"][0]["message"]
    assert kit.admin is not None
    chat = await factory.chat(kit, kit.admin, [])
    await _refused(admin, MESSAGES, id=gid(chat, "Chat"), before=pages.encode("message", number))


def test_64_bit_cursors_in_range_are_cursors() -> None:
    """Outbox and chat-event ids are bigint: their cursors go up to 2**63 - 1, others' to 2**31 - 1."""
    assert outbox.decode_cursor(pages.encode(OUTBOX.cursor, 2**63 - 1)) == 2**63 - 1
    assert chat_events.decode_cursor(pages.encode(CHAT_EVENTS.cursor, 2**62)) == 2**62
    assert outbox.decode_cursor(pages.encode(OUTBOX.cursor, 2**63)) is None
    assert pages.decode("audit", pages.encode("audit", 2**31 - 1)) == 2**31 - 1
    assert pages.decode("audit", pages.encode("audit", 2**31)) is None


@pytest.mark.parametrize("number", [2**63, 2**64 - 1])
async def test_stream_cursors_out_of_range_over_websocket(factory: Factory, server_url: str, number: int) -> None:
    kit = await factory.school()
    parent = await factory.parent()
    await factory.student(kit, "5A", "anna", guardians=[parent])
    socket = await open_socket(server_url, factory.client(parent).token)
    try:
        await socket.start(DIARY_EVENTS, after=pages.encode(OUTBOX.cursor, number))
        message = await socket.next()
        assert message["type"] in ("error", "next"), message
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert [e["extensions"]["code"] for e in errors] == ["BAD_USER_INPUT"]
    finally:
        await socket.ws.close()


# --- Text -----------------------------------------------------------------------------------

BAD_TEXT = ["\x00", "Hello\x00", "\u202egnp.exe", "Hi\u200bthere", "\ufeffHi", "a\x1bb", "\x85"]


@pytest.fixture
async def chat_room(factory: Factory) -> tuple[models.Chat, Client]:
    kit = await factory.school()
    teacher = await factory.teacher(kit, [("5A", "Mathematics")])
    chat = await factory.chat(kit, teacher, [await factory.parent()])
    return chat, factory.client(teacher)


@pytest.mark.parametrize("text", BAD_TEXT)
async def test_messages_with_bad_characters_are_refused(chat_room: tuple[models.Chat, Client], text: str) -> None:
    chat, teacher = chat_room
    before = await models.Message.filter(chat=chat).count()
    data = await teacher.data(MESSAGE_SEND, input={"chatId": gid(chat, "Chat"), "text": text})
    result = data["messageSend"]
    assert (result["__typename"], result["code"]) == ("ValidationError", "INVALID_CHARACTERS")
    assert result["fields"] == [{"field": "text", "code": "INVALID_CHARACTERS"}]
    assert await models.Message.filter(chat=chat).count() == before


async def test_blank_messages_are_empty_and_joiners_are_kept(chat_room: tuple[models.Chat, Client]) -> None:
    chat, teacher = chat_room
    for blank in (" ", "\n\t \r\n"):
        data = await teacher.data(MESSAGE_SEND, input={"chatId": gid(chat, "Chat"), "text": blank})
        assert data["messageSend"]["code"] == "TEXT_EMPTY"
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467 line one\nline two"
    data = await teacher.data(MESSAGE_SEND, input={"chatId": gid(chat, "Chat"), "text": family})
    assert data["messageSend"]["__typename"] == "MessageSendSuccess"


@pytest.mark.parametrize("title", ["\x00", "Chat\u202e", "\u2066Chat", "Ch\u200dat", "Chat\nnight\x07"])
async def test_chat_titles_with_bad_characters_are_refused(factory: Factory, title: str) -> None:
    kit = await factory.school()
    teacher = await factory.teacher(kit, [("5A", "Mathematics")])
    parent = await factory.parent()
    await factory.student(kit, "5A", "anna", guardians=[parent])
    data = await factory.client(teacher).data(CHAT_CREATE, input={"title": title, "memberIds": [gid(parent, "User")]})
    assert data["chatCreate"]["code"] == "INVALID_CHARACTERS"
    # Looked up by a prefix: PostgreSQL text cannot hold NUL, not even in a WHERE clause.
    assert not await models.Chat.filter(created_by=teacher, title__startswith="Ch").exists()


@pytest.mark.parametrize("name", ["Anna\x00Smith", "\u202eAnna", "Anna\u200b", " \u3000 "])
async def test_names_with_bad_characters_are_refused(factory: Factory, name: str) -> None:
    kit = await factory.school()
    admin = factory.client(kit.admin)
    before = await models.User.all().count()
    data = await admin.data(
        ACCOUNT_CREATE, input={"fullName": name, "role": "TEACHER", "schoolId": gid(kit.school, "School")}
    )
    result = data["accountCreate"]
    expected = "FULL_NAME_EMPTY" if not name.strip() else "INVALID_CHARACTERS"
    assert result["fields"][0] == {"field": "fullName", "code": expected}
    assert await models.User.all().count() == before


# --- WebSocket ------------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_hostile_frames_have_an_error_and_the_socket_stays(
    factory: Factory, server_url: str, protocol: str
) -> None:
    parent = factory.client(await factory.parent())
    socket = await open_socket(server_url, parent.token, protocol)
    kind = "subscribe" if protocol == "graphql-transport-ws" else "start"
    try:
        frames = [
            json.dumps({"id": "d", "type": kind, "payload": {"query": "{ __typename }", "variables": {}}}).replace(
                '"variables": {}', '"variables": {"x": ' + DEEP + "}"
            ),
            json.dumps({"id": "s", "type": kind, "payload": {"query": "{ __typename }", "variables": {"x": "\ud800"}}}),
        ]
        for frame, op_id in zip(frames, ("d", "s"), strict=True):
            await socket.ws.send(frame)
            message = await socket.next()
            assert (message["type"], message["id"]) == ("error", op_id), message
            errors = message["payload"] if isinstance(message["payload"], list) else [message["payload"]]
            assert [e["extensions"]["code"] for e in errors] == ["BAD_REQUEST"]
        if protocol == "graphql-transport-ws":  # the legacy protocol runs subscriptions only
            await socket.start(MEETINGS, op_id="m", **{"from": "2026-12-01T00:00:00"})
            message = await socket.next()
            assert [e["extensions"]["code"] for e in message["payload"]["errors"]] == ["BAD_USER_INPUT"], message
            assert await socket.next() == {"id": "m", "type": "complete"}
        unknown = {"query": "subscription A { diaryEvents { cursor } }", "operationName": "Nope"}
        await socket.ws.send(json.dumps({"id": "n", "type": kind, "payload": unknown}))
        message = await socket.next()
        assert (message["type"], message["id"]) == ("error", "n"), message
        errors = message["payload"] if isinstance(message["payload"], list) else [message["payload"]]
        assert [e["extensions"]["code"] for e in errors] == ["BAD_USER_INPUT"]
        await socket.start(DIARY_EVENTS, op_id="ok")  # the socket still answers: this parent has no child
        message = await socket.next()
        assert message["id"] == "ok", message
        assert "no children" in message["payload"]["errors"][0]["message"], message
    finally:
        await socket.ws.close()


# --- Field suggestions ----------------------------------------------------------------------


async def test_no_suggestions_without_introspection(settings: Any, database: None) -> None:
    async with client_for(settings, introspection=False) as http:
        r = await http.post("/graphql", json={"query": "{ nod(id: 1) { id } }"})
        (error,) = r.json()["errors"]
        assert "Did you mean" not in error["message"]
        assert "node" not in error["message"]
    async with client_for(settings) as http:
        r = await http.post("/graphql", json={"query": "{ nod(id: 1) { id } }"})
        assert "Did you mean" in r.json()["errors"][0]["message"]


# --- NUL in any other string ------------------------------------------------------------------

NUL_ANYWHERE = [
    'mutation { login(input: {login: "a\\u0000b", password: "x"}) { __typename } }',
    'query A($id: ID!) { node(id: $id) { ... on School { accounts(search: "a\\u0000b") { __typename } } } }',
    'query A($id: ID!) { node(id: $id) { ... on School { auditLog(action: "x\\u0000") { __typename } } } }',
    '{ peopleSearch(query: "a\\u0000") { __typename } }',
]


@pytest.mark.parametrize("query", NUL_ANYWHERE)
async def test_nul_in_other_strings_is_never_a_failure(
    factory: Factory, query: str, caplog: pytest.LogCaptureFixture
) -> None:
    """PostgreSQL refuses NUL even in a WHERE clause: such a string is BAD_USER_INPUT there
    (schema/stored_text.py), an ordinary answer on SQLite; never INTERNAL_SERVER_ERROR, and
    not logged as an unexpected error either (it is the client's mistake)."""
    caplog.set_level(logging.ERROR, logger="ediary.errors")
    kit = await factory.school()
    assert kit.admin is not None
    admin = factory.client(kit.admin)
    variables = {"id": gid(kit.school, "School")} if "$id" in query else {}
    r = await admin.http.post("/graphql", json={"query": query, "variables": variables}, headers=admin.headers())
    assert r.status_code == 200, r.text
    assert set(_codes(r.json())) <= {"BAD_USER_INPUT"}, r.text
    assert [r.getMessage() for r in caplog.records if "unexpected" in r.getMessage()] == []
