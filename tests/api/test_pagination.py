"""One Relay pagination (issue 18 item 2): every connection of the schema a client sees has
the one shared ``PageInfo`` with its four fields, and no list has a page-info type of its own."""

from __future__ import annotations

import gc
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest

import models
from resolvers.core import now_utc, pk_of
from tests.admin.test_audit_log import _district, school
from tests.chat_helpers import new_chat, sent
from tests.chats.test_chats import _school
from tests.client import Client
from tests.factories import Factory, SchoolKit
from tests.helpers import gid
from tests.notices.test_meetings import RESPOND
from tests.notices.test_meetings import _meeting as new_meeting
from tests.notices.test_meetings import _school as meetings_school

TYPES = "{ __schema { types { name kind fields { name type { kind ofType { name } } } } } }"


async def test_every_connection_has_the_one_page_info(anonymous: Client) -> None:
    types = (await anonymous.data(TYPES))["__schema"]["types"]
    page_infos = sorted(t["name"] for t in types if t["name"].endswith("PageInfo"))
    assert page_infos == ["PageInfo"]
    page_info = next(t for t in types if t["name"] == "PageInfo")
    assert {f["name"] for f in page_info["fields"]} == {"hasNextPage", "hasPreviousPage", "startCursor", "endCursor"}
    connections = [t for t in types if t["name"].endswith("Connection") and t["kind"] == "OBJECT"]
    assert len(connections) >= 9
    wrong = {
        t["name"]: f["type"]
        for t in connections
        for f in t["fields"]
        if f["name"] == "pageInfo" and f["type"] != {"kind": "NON_NULL", "ofType": {"name": "PageInfo"}}
    }
    assert wrong == {}
    assert all(any(f["name"] == "pageInfo" for f in t["fields"]) for t in connections)


HISTORY = """query H($id: ID!, $first: Int, $after: String, $last: Int, $before: String) { chat(id: $id) {
  messages(first: $first, after: $after, last: $last, before: $before) {
    edges { cursor node { text } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }"""


Fetch = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


async def walk(fetch: Fetch, size: int, backward: bool, label: Callable[[dict[str, Any]], str]) -> list[list[str]]:
    """Every page of a connection, `size` at a time, in the list's order: back from its end
    with `last`/`before startCursor` (pages returned oldest first), or on from its start
    with `first`/`after endCursor`. Checks each page's `pageInfo` on the way."""
    walked: list[list[str]] = []
    cursor: str | None = None
    while True:
        page = await fetch({"last": size, "before": cursor} if backward else {"first": size, "after": cursor})
        labels = [label(e["node"]) for e in page["edges"]]
        info = page["pageInfo"]
        assert info["startCursor"] == (page["edges"][0]["cursor"] if labels else None)
        assert info["endCursor"] == (page["edges"][-1]["cursor"] if labels else None)
        walked.append(labels)
        ahead, behind = info["hasNextPage"], info["hasPreviousPage"]
        more, came_from = (behind, ahead) if backward else (ahead, behind)
        assert came_from is (cursor is not None)
        if not more:
            return walked[::-1] if backward else walked
        cursor = info["startCursor"] if backward else info["endCursor"]


async def assert_pages_both_ways(fetch: Fetch, everything: list[str], label: Callable[[dict[str, Any]], str]) -> None:
    """Walking `fetch`'s connection either way, at any page size, gives `everything` in
    order, each once, in non-empty pages of at most that size."""
    for size in (1, 2, 3, len(everything) - 1, len(everything), len(everything) + 1):
        for backward in (True, False):
            walked = await walk(fetch, size, backward, label)
            assert [t for page in walked for t in page] == everything, (size, backward)
            assert all(0 < len(page) <= size for page in walked), (size, backward)


async def test_history_pages_both_ways_without_overlap_or_gap(factory: Factory) -> None:
    s = await _school(factory)
    teacher, parent = factory.client(s.teacher), factory.client(s.parent)
    chat = await new_chat(teacher, "pages", s.parent)
    texts = [f"m{i}" for i in range(7)]
    for text in texts:
        await sent(teacher, chat, text)

    async def fetch(args: dict[str, Any]) -> dict[str, Any]:
        page: dict[str, Any] = (await parent.data(HISTORY, id=chat, **args))["chat"]["messages"]
        return page

    await assert_pages_both_ways(fetch, texts, lambda node: str(node["text"]))


AUDIT = """query A($id: ID!, $actorId: ID, $first: Int, $after: String, $last: Int, $before: String) {
  node(id: $id) { ... on School { auditLog(actorId: $actorId, first: $first, after: $after, last: $last,
    before: $before) { edges { cursor node { objectType } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } } }"""


async def test_audit_log_pages_both_ways_newest_first(factory: Factory) -> None:
    d = await _district(factory)
    actor = await factory.parent("actor")
    for i in range(6):
        await models.AuditEntry.create(actor=actor, school=d.kit.school, action="test.write", object_type=f"P{i}")
    admin = factory.client(d.admin)

    async def fetch(args: dict[str, Any]) -> dict[str, Any]:
        node = (await admin.data(AUDIT, id=school(d.kit), actorId=gid(actor, "User"), **args))["node"]
        page: dict[str, Any] = node["auditLog"]
        return page

    await assert_pages_both_ways(fetch, [f"P{i}" for i in reversed(range(6))], lambda node: str(node["objectType"]))


ACCOUNTS = """query A($id: ID!, $search: String, $first: Int, $after: String, $last: Int, $before: String) {
  node(id: $id) { ... on School { accounts(search: $search, first: $first, after: $after, last: $last,
    before: $before) { edges { cursor node { login } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } } }"""


async def test_school_accounts_page_both_ways_by_name(factory: Factory) -> None:
    kit = await factory.school(classes=("5B",))
    assert kit.admin is not None
    admin = factory.client(kit.admin)
    for n in (4, 1, 5, 3, 2):  # made out of order: the list is by name
        await factory.teacher(kit, [], name=f"pager{n}")
    tag = f"{factory.tag}-pager"

    async def fetch(args: dict[str, Any]) -> dict[str, Any]:
        node = (await admin.data(ACCOUNTS, id=gid(kit.school, "School"), search=tag, **args))["node"]
        page: dict[str, Any] = node["accounts"]
        return page

    everything = [f"{tag}{n}" for n in range(1, 6)]
    await assert_pages_both_ways(fetch, everything, lambda node: str(node["login"]))


OVERSIZED = """query O($id: ID!, $first: Int, $last: Int) {
  viewer { user { id } }
  chat(id: $id) { messages(first: $first, last: $last) {
    edges { node { text } } pageInfo { hasNextPage hasPreviousPage } } }
}"""


async def test_a_page_over_the_maximum_is_served_as_a_full_page(factory: Factory) -> None:
    """`first: 500` is cut to 100 with `hasNextPage` (likewise `last`), and the rest of the
    response is there: nothing is nulled. A negative size is refused on the field alone."""
    s = await _school(factory)
    teacher, parent = factory.client(s.teacher), factory.client(s.parent)
    chat = await new_chat(teacher, "many", s.parent)
    await models.Message.bulk_create(
        [models.Message(chat_id=pk_of(chat, "Chat"), author=s.teacher, text=f"m{i}") for i in range(102)]
    )
    served = await parent.post(OVERSIZED, id=chat, first=500)
    assert "errors" not in served
    page = served["data"]["chat"]["messages"]
    assert [e["node"]["text"] for e in page["edges"]] == [f"m{i}" for i in range(100)]
    assert page["pageInfo"] == {"hasNextPage": True, "hasPreviousPage": False}
    served = await parent.post(OVERSIZED, id=chat, last=500)
    page = served["data"]["chat"]["messages"]
    assert [e["node"]["text"] for e in page["edges"]] == [f"m{i}" for i in range(2, 102)]
    assert page["pageInfo"] == {"hasNextPage": False, "hasPreviousPage": True}
    refused = await parent.post(OVERSIZED, id=chat, first=-1)
    assert refused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert refused["errors"][0]["path"] == ["chat", "messages"]
    assert refused["data"]["viewer"]["user"]["id"]


REQUESTS = """query R($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
  node(id: $id) { ... on School { accessRequests(first: $first, after: $after, last: $last, before: $before) {
    edges { cursor node { childFullName } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } } }"""


async def _requests(factory: Factory, kit: SchoolKit, dues: list[int]) -> list[str]:
    """Access requests to ``kit``, due that many hours from now (equal hours: equal due times),
    named by their place in the list: oldest due first, then by id."""
    applicant = await factory.parent("applicant")
    start = now_utc()
    made = [
        await models.AccessRequest.create(
            applicant=applicant,
            school=kit.school,
            child_full_name=f"req{n}",
            child_birth_date=date(2015, 1, 1),
            birth_certificate_number=f"I-AB {n:06d}",
            identity_document=f"passport {n}",
            relation=models.GuardianRelation.MOTHER,
            consent_at=start,
            submitted_at=start,
            due_at=start + timedelta(hours=hours),
        )
        for n, hours in enumerate(dues)
    ]
    return [r.child_full_name for r in sorted(made, key=lambda r: (r.due_at, r.id))]


async def test_access_requests_page_both_ways_oldest_due_first(factory: Factory) -> None:
    kit = await factory.school()
    assert kit.admin is not None
    admin = factory.client(kit.admin)
    everything = await _requests(factory, kit, [5, -3, 5, 1, 5, 72, -3])

    async def fetch(args: dict[str, Any]) -> dict[str, Any]:
        page: dict[str, Any] = (await admin.data(REQUESTS, id=gid(kit.school, "School"), **args))["node"]
        return page["accessRequests"]  # type: ignore[no-any-return]

    await assert_pages_both_ways(fetch, everything, lambda node: str(node["childFullName"]))


CHATS = """query C($first: Int, $after: String, $last: Int, $before: String) {
  viewer { chats(first: $first, after: $after, last: $last, before: $before) {
    edges { cursor node { title } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }"""


async def test_chat_list_pages_both_ways_most_recent_activity_first(factory: Factory) -> None:
    s = await _school(factory)
    teacher = factory.client(s.teacher)
    ids = [await new_chat(teacher, f"c{i}", s.parent) for i in range(7)]
    # Activity out of creation order, some chats at the very same instant (then newest id first).
    at = now_utc()
    for n, chat in enumerate(ids):
        moved = at - timedelta(minutes=[3, 1, 3, 0, 2, 3, 1][n])
        await models.Chat.filter(id=pk_of(chat, "Chat")).update(last_activity_at=moved)
    rows = await models.Chat.filter(id__in=[pk_of(c, "Chat") for c in ids])
    everything = [c.title for c in sorted(rows, key=lambda c: (c.last_activity_at, c.id), reverse=True)]
    assert everything[:2] == ["c3", "c6"]

    async def fetch(args: dict[str, Any]) -> dict[str, Any]:
        page: dict[str, Any] = (await teacher.data(CHATS, **args))["viewer"]["chats"]
        return page

    await assert_pages_both_ways(fetch, everything, lambda node: str(node["title"]))


PEOPLE = """query P($first: Int, $after: String, $last: Int, $before: String) {
  people(query: "pager", first: $first, after: $after, last: $last, before: $before) {
    edges { cursor node { id fullName } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""
PEOPLE_SEARCH = """query S($limit: Int) { peopleSearch(query: "pager", limit: $limit) { id } }"""


async def _staff(factory: Factory, kit: SchoolKit, name: str, full_name: str) -> models.User:
    user = await factory.user(name, full_name=full_name)
    await models.RoleGrant.create(user=user, role=models.Role.TEACHER, school=kit.school)
    return user


async def test_people_page_both_ways_by_name_then_id(factory: Factory) -> None:
    """Namesakes are listed by id, and `peopleSearch(limit:)` is the connection's first page."""
    kit = await factory.school()
    assert kit.admin is not None
    admin = factory.client(kit.admin)
    made = [await _staff(factory, kit, f"p{n}", f"Pager {letter}") for n, letter in enumerate("DBDADB")]
    everything = [gid(u, "User") for u in sorted(made, key=lambda u: (u.full_name, u.id))]

    async def fetch(args: dict[str, Any]) -> dict[str, Any]:
        page: dict[str, Any] = (await admin.data(PEOPLE, **args))["people"]
        return page

    await assert_pages_both_ways(fetch, everything, lambda node: str(node["id"]))
    searched = (await admin.data(PEOPLE_SEARCH, limit=4))["peopleSearch"]
    assert [u["id"] for u in searched] == everything[:4]


PARTICIPANTS = """query M($chat: ID!, $first: Int, $after: String, $last: Int, $before: String) {
  chat(id: $chat) { members { user { id } }
    participants(first: $first, after: $after, last: $last, before: $before) {
      edges { cursor node { user { id } } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }"""


async def test_chat_participants_page_both_ways_as_members_lists_them(factory: Factory) -> None:
    """`Chat.participants` pages through exactly `Chat.members`, in its order (by name, namesakes in the
    order they first joined); a member who was removed is in neither; someone outside the chat (and the
    removed member) sees no chat at all, through either field."""
    kit = await factory.school()
    assert kit.admin is not None
    made = [await _staff(factory, kit, f"m{n}", f"Member {letter}") for n, letter in enumerate("DBDCADB")]
    chat = await factory.chat(kit, made[0], made[1:], title="participants")
    removed, outsider = made[3], await _staff(factory, kit, "outsider", "Member Out")
    await models.ChatMember.filter(chat=chat, user=removed).update(removed_at=now_utc())
    expected = [gid(u, "User") for u in sorted(made, key=lambda u: (u.full_name, u.id)) if u != removed]
    member = factory.client(made[1])
    chat_id = gid(chat, "Chat")
    listed = [m["user"]["id"] for m in (await member.data(PARTICIPANTS, chat=chat_id, first=1))["chat"]["members"]]
    assert listed == expected

    async def fetch(args: dict[str, Any]) -> dict[str, Any]:
        page: dict[str, Any] = (await member.data(PARTICIPANTS, chat=chat_id, **args))["chat"]["participants"]
        return page

    await assert_pages_both_ways(fetch, expected, lambda node: str(node["user"]["id"]))
    for stranger in (outsider, removed):
        assert (await factory.client(stranger).data(PARTICIPANTS, chat=chat_id, first=5)) == {"chat": None}


ANSWERS = """query A($meeting: ID!, $first: Int, $after: String, $last: Int, $before: String) {
  node(id: $meeting) { ... on Meeting { responses { id }
    answers(first: $first, after: $after, last: $last, before: $before) {
      edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } } }"""


async def test_meeting_answers_page_both_ways_as_responses_lists_them(factory: Factory) -> None:
    """`Meeting.answers` pages through exactly `Meeting.responses`, in its order (oldest answer first,
    answers at the same instant by id), for the meeting's staff; a parent reads only their own answer
    through either field, and a parent of a class not invited no meeting at all."""
    m = await meetings_school(factory)
    meeting = await new_meeting(factory.client(m.leads["5A"]), m.kit, ["5A"], "Paged answers")
    start = now_utc()
    parents = [m.parent, *[await factory.parent(f"answerer{n}") for n in range(6)]]
    made = [
        await models.MeetingResponse.create(
            meeting_id=pk_of(meeting["id"], "Meeting"),
            user=parent,
            answer=models.MeetingAnswer.ATTENDING,
            answered_at=start - timedelta(minutes=minutes),
        )
        for parent, minutes in zip(parents, [3, 1, 3, 0, 2, 3, 1], strict=True)
    ]
    expected = [gid(r, "MeetingResponse") for r in sorted(made, key=lambda r: (r.answered_at, r.id))]
    lead = factory.client(m.leads["5A"])
    listed = (await lead.data(ANSWERS, meeting=meeting["id"], first=1))["node"]["responses"]
    assert [r["id"] for r in listed] == expected

    async def fetch(args: dict[str, Any]) -> dict[str, Any]:
        page: dict[str, Any] = (await lead.data(ANSWERS, meeting=meeting["id"], **args))["node"]["answers"]
        return page

    await assert_pages_both_ways(fetch, expected, lambda node: str(node["id"]))
    own = (await factory.client(m.parent).data(ANSWERS, meeting=meeting["id"], first=5))["node"]
    assert [r["id"] for r in own["responses"]] == [e["node"]["id"] for e in own["answers"]["edges"]]
    assert [r["id"] for r in own["responses"]] == [gid(made[0], "MeetingResponse")]
    stranger = factory.client(m.parent_7a)
    assert (await stranger.data(ANSWERS, meeting=meeting["id"], first=5)) == {"node": None}


DISTRICT_SCHOOLS = """query D($district: ID!, $first: Int, $after: String, $last: Int, $before: String) {
  node(id: $district) { ... on District { schools { id }
    schoolsConnection(first: $first, after: $after, last: $last, before: $before) {
      edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } } }"""


async def _schools(district: models.District, names: str) -> list[models.School]:
    return [
        await models.School.create(district=district, name=f"Paged school {letter}", timezone="Europe/Moscow")
        for letter in names
    ]


async def test_district_schools_page_both_ways_as_schools_lists_them(factory: Factory) -> None:
    """`District.schoolsConnection` pages through exactly `District.schools` (by name, namesakes by id)
    for the district's admin; another district's schools are in neither, and anyone else reaches no
    district at all."""
    kit = await factory.school()
    district = await factory.district()
    admin = factory.client(await factory.district_admin())
    made = [kit.school, *await _schools(district, "DBDCADB")]
    await _schools(await models.District.create(name="Elsewhere"), "ABC")
    expected = [gid(s, "School") for s in sorted(made, key=lambda s: (s.name, s.id))]
    variables = {"district": gid(district, "District")}
    listed = (await admin.data(DISTRICT_SCHOOLS, **variables, first=1))["node"]["schools"]
    assert [s["id"] for s in listed] == expected

    async def fetch(args: dict[str, Any]) -> dict[str, Any]:
        page: dict[str, Any] = (await admin.data(DISTRICT_SCHOOLS, **variables, **args))["node"]["schoolsConnection"]
        return page

    await assert_pages_both_ways(fetch, expected, lambda node: str(node["id"]))
    for outsider in (kit.admin, await factory.parent("outsider")):
        assert (await factory.client(outsider).data(DISTRICT_SCHOOLS, **variables, first=5)) == {"node": None}


LISTINGS = """query L($first: Int, $after: String, $last: Int, $before: String) {
  schoolDirectory { id schoolId name }
  schoolListings(first: $first, after: $after, last: $last, before: $before) {
    edges { cursor node { id schoolId name } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""


# The listings alone: a document whose only field is refused (an unknown cursor) answers at once. Beside
# `schoolDirectory`, the refusal nulls the whole response while graphql-core leaves the directory's resolver
# unawaited (a RuntimeWarning when it is collected, which pytest reports in whatever test runs then).
LISTINGS_ONLY = """query L($first: Int, $after: String, $last: Int, $before: String) {
  schoolListings(first: $first, after: $after, last: $last, before: $before) {
    edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""


async def test_school_listings_page_both_ways_as_the_directory_lists_them(factory: Factory, anonymous: Client) -> None:
    """`schoolListings` pages through exactly `schoolDirectory` (every school by name, namesakes by
    id), for any signed-in user; `node` of a listing answers it; anonymous gets neither."""
    district = await factory.district()
    await _schools(district, "ZYZXW")
    parent = factory.client(await factory.parent("chooser"))
    directory = (await parent.data(LISTINGS, first=1))["schoolDirectory"]
    expected = [s["id"] for s in directory]
    assert len(expected) >= 5
    assert len(set(expected)) == len(expected)

    async def fetch(args: dict[str, Any]) -> dict[str, Any]:
        page: dict[str, Any] = (await parent.data(LISTINGS, **args))["schoolListings"]
        return page

    for size in (max(1, len(expected) // 3), len(expected) + 1):
        for backward in (True, False):
            walked = await walk(fetch, size, backward, lambda node: str(node["id"]))
            assert [t for page in walked for t in page] == expected, (size, backward)
    first = directory[0]
    found = await parent.data(
        "query N($id: ID!) { node(id: $id) { id ... on SchoolListing { schoolId name } } }", id=first["id"]
    )
    assert found["node"] == first
    refused = await anonymous.post(LISTINGS, first=1)
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


# Every paged list, read by a school's admin (who also runs its district): (the list's query, the path to
# its connection).
LISTS = {
    "accessRequests": (REQUESTS, ("node", "accessRequests")),
    "accounts": (ACCOUNTS, ("node", "accounts")),
    "auditLog": (AUDIT, ("node", "auditLog")),
    "chats": (CHATS, ("viewer", "chats")),
    "people": (PEOPLE, ("people",)),
    "participants": (PARTICIPANTS, ("chat", "participants")),
    "answers": (ANSWERS, ("node", "answers")),
    "schoolsConnection": (DISTRICT_SCHOOLS, ("node", "schoolsConnection")),
    "schoolListings": (LISTINGS_ONLY, ("schoolListings",)),
}


def _connection(data: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    for key in path:
        data = data[key]
    return data


async def test_a_cursor_of_another_list_is_refused_naming_its_argument(factory: Factory) -> None:
    kit = await factory.school()
    assert kit.admin is not None
    admin = factory.client(kit.admin)
    await _requests(factory, kit, [1, 2])
    await _staff(factory, kit, "pager1", "Pager One")
    parent = await factory.parent("talker")
    await factory.student(kit, "5A", "kid", guardians=[parent])
    chat = await new_chat(admin, "a chat", parent)
    await models.AuditEntry.create(actor=kit.admin, school=kit.school, action="test.write", object_type="P")
    meeting = await new_meeting(admin, kit, ["5A"], "a meeting")
    answered = await factory.client(parent).data(RESPOND, input={"meetingId": meeting["id"], "answer": "ATTENDING"})
    assert answered["meetingRespond"]["__typename"] == "MeetingSuccess"
    district = await factory.district()  # the admin runs the district too: its schools are a list of theirs
    await models.RoleGrant.create(user=kit.admin, role=models.Role.DISTRICT_ADMIN, district=district)
    variables = {"id": gid(kit.school, "School"), "chat": chat, "meeting": meeting["id"]}
    variables["district"] = gid(district, "District")
    cursors = {}
    for name, (query, path) in LISTS.items():
        page = _connection(await admin.data(query, **variables, first=1), path)
        assert page["edges"], name
        cursors[name] = page["pageInfo"]["endCursor"]
        again = _connection(await admin.data(query, **variables, first=1, after=cursors[name]), path)
        assert again["pageInfo"]["hasPreviousPage"] is True, name  # its own cursor is good
    for name, (query, _path) in LISTS.items():
        for other, cursor in cursors.items():
            if other == name:
                continue
            for argument in ("after", "before"):
                body = await admin.post(query, **variables, **{argument: cursor})
                error = body["errors"][0]
                assert error["extensions"]["code"] == "BAD_USER_INPUT", (name, other, argument)
                assert error["extensions"]["argument"] == argument, (name, other, argument)
    # A refused cursor ends its list's parent while siblings wait to run (a chat's members' `user`):
    # graphql-core drops them unawaited. Their calls are made only when awaited (schema.Deferred);
    # a coroutine made in advance would warn "never awaited" here, an error under pytest's
    # filterwarnings (and, collected later, another test's).
    gc.collect()


CAPPED = """query A($id: ID!, $first: Int, $last: Int) { node(id: $id) { ... on School {
  auditLog(first: $first, last: $last) {
    edges { node { objectType } } pageInfo { hasNextPage hasPreviousPage } } } } }"""


async def test_a_list_page_over_the_maximum_is_served_as_a_full_page(factory: Factory) -> None:
    d = await _district(factory)
    await models.AuditEntry.bulk_create(
        [
            models.AuditEntry(actor=d.teacher, school=d.kit.school, action="test.write", object_type=f"P{i}")
            for i in range(102)
        ]
    )
    admin, district = factory.client(d.admin), factory.client(d.district_admin)
    newest = [f"P{i}" for i in reversed(range(102))]
    for client in (admin, district):  # one school's log, and the same page among every school's
        page = (await client.data(CAPPED, id=school(d.kit), first=500))["node"]["auditLog"]
        assert [e["node"]["objectType"] for e in page["edges"]] == newest[:100]
        assert page["pageInfo"] == {"hasNextPage": True, "hasPreviousPage": False}
        page = (await client.data(CAPPED, id=school(d.kit), last=500))["node"]["auditLog"]
        assert [e["node"]["objectType"] for e in page["edges"]] == newest[-100:]
        assert page["pageInfo"] == {"hasNextPage": False, "hasPreviousPage": True}


@pytest.mark.parametrize(
    ("language", "message"),
    [("ru", "`after` — не курсор этого списка."), ("en", "`after` is not a cursor of this list.")],
)
async def test_an_unknown_cursor_is_refused_in_the_readers_language(
    factory: Factory, language: str, message: str
) -> None:
    s = await _school(factory)
    teacher = replace(factory.client(s.teacher), extra_headers={"Accept-Language": language})
    await new_chat(teacher, "words", s.parent)
    body = await teacher.post(CHATS, first=1, after="bm9wZQ")
    assert body["errors"][0]["message"] == message
    extensions = body["errors"][0]["extensions"]
    assert (extensions["code"], extensions["argument"]) == ("BAD_USER_INPUT", "after")
