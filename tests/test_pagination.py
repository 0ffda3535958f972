"""One Relay pagination (issue 18 item 2): every connection of the schema a client sees has
the one shared ``PageInfo`` with its four fields, and no list has a page-info type of its own."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import models
from resolvers.ids import pk_of
from tests.chat_helpers import new_chat, sent
from tests.client import Client
from tests.factories import Factory
from tests.helpers import gid
from tests.test_audit_log import _district, school
from tests.test_chats import _school

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
