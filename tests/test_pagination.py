"""One Relay pagination (issue 18 item 2): every connection of the schema a client sees has
the one shared ``PageInfo`` with its four fields, and no list has a page-info type of its own."""

from __future__ import annotations

from tests.chat_helpers import new_chat, sent
from tests.client import Client
from tests.factories import Factory
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


async def _walk(client: Client, chat: str, size: int, backward: bool) -> list[list[str]]:
    """Every page of the history, `size` at a time: back from the newest with `last`/`before`
    (pages returned oldest first), or on from the oldest with `first`/`after`."""
    walked: list[list[str]] = []
    cursor: str | None = None
    while True:
        args = {"last": size, "before": cursor} if backward else {"first": size, "after": cursor}
        page = (await client.data(HISTORY, id=chat, **args))["chat"]["messages"]
        texts = [e["node"]["text"] for e in page["edges"]]
        info = page["pageInfo"]
        assert info["startCursor"] == (page["edges"][0]["cursor"] if texts else None)
        assert info["endCursor"] == (page["edges"][-1]["cursor"] if texts else None)
        walked.append(texts)
        ahead, behind = info["hasNextPage"], info["hasPreviousPage"]
        more, came_from = (behind, ahead) if backward else (ahead, behind)
        assert came_from is (cursor is not None)
        if not more:
            return walked[::-1] if backward else walked
        cursor = info["startCursor"] if backward else info["endCursor"]


async def test_history_pages_both_ways_without_overlap_or_gap(factory: Factory) -> None:
    s = await _school(factory)
    teacher, parent = factory.client(s.teacher), factory.client(s.parent)
    chat = await new_chat(teacher, "pages", s.parent)
    texts = [f"m{i}" for i in range(7)]
    for text in texts:
        await sent(teacher, chat, text)
    for size in (1, 2, 3, 6, 7, 8):
        for backward in (True, False):
            walked = await _walk(parent, chat, size, backward)
            assert [t for page in walked for t in page] == texts, (size, backward)
            assert all(0 < len(page) <= size for page in walked), (size, backward)
