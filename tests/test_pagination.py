"""One Relay pagination (issue 18 item 2): every connection of the schema a client sees has
the one shared ``PageInfo`` with its four fields, and no list has a page-info type of its own."""

from __future__ import annotations

from tests.client import Client

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
