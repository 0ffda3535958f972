"""Persisted queries: Apollo's automatic persisted queries (APQ), and trusted documents.

APQ (``extensions: {persistedQuery: {version: 1, sha256Hash}}``): a client first sends only
the hash; an unknown hash is answered with PERSISTED_QUERY_NOT_FOUND (message
"PersistedQueryNotFound", what Apollo's link looks for), and the client sends the query with
the hash again, which is verified (PERSISTED_QUERY_HASH_MISMATCH) and stored: in Redis when
``REDIS_URL`` is set (shared by every process, kept a week), otherwise in a bounded in-process
LRU. Stored documents are ordinary documents: every limit applies to them.

Trusted documents (``EDIARY_TRUSTED_DOCUMENTS=manifest.json``, built from a folder of
``.graphql`` files by ``python server.py trusted-manifest FOLDER``): only the documents of the
manifest run, by hash or in full; anything else is PERSISTED_QUERY_REQUIRED (HTTP) and
nothing is registered. The check on the document's own hash is a schema extension
(schema/persisted.py), so WebSocket subscriptions obey it too.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import OrderedDict
from pathlib import Path
from typing import Any, Protocol

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from resolvers.codes import ErrorCode
from resolvers.core import Text, _

_HASH = re.compile(r"[0-9a-f]{64}")


def sha256(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


class PersistedQueryError(Exception):
    def __init__(self, code: ErrorCode, message: str | Text) -> None:
        super().__init__(str(message))
        self.code, self.message = code, message


class QueryStore(Protocol):
    async def get(self, digest: str) -> str | None: ...

    async def put(self, digest: str, document: str) -> None: ...

    async def close(self) -> None: ...


class MemoryStore:
    """The most recently used ``maxsize`` documents of this process."""

    def __init__(self, maxsize: int = 1000) -> None:
        self._documents: OrderedDict[str, str] = OrderedDict()
        self._maxsize = maxsize

    async def get(self, digest: str) -> str | None:
        document = self._documents.get(digest)
        if document is not None:
            self._documents.move_to_end(digest)
        return document

    async def put(self, digest: str, document: str) -> None:
        self._documents[digest] = document
        self._documents.move_to_end(digest)
        while len(self._documents) > self._maxsize:
            self._documents.popitem(last=False)

    async def close(self) -> None:
        self._documents.clear()


class RedisStore:
    """Documents shared by every process; each expires a week after its last registration.
    A Redis outage makes lookups miss (the client then sends the full query), never fail. It uses
    the process's command client (its owner closes it)."""

    TTL = 7 * 24 * 3600

    def __init__(self, client: aioredis.Redis, prefix: str) -> None:
        self._client = client
        self._prefix = prefix

    async def get(self, digest: str) -> str | None:
        try:
            document = await self._client.get(self._prefix + digest)
        except RedisError:
            return None
        return document if isinstance(document, str) else None

    async def put(self, digest: str, document: str) -> None:
        try:
            await self._client.set(self._prefix + digest, document, ex=self.TTL)
        except RedisError:
            return

    async def close(self) -> None:
        return None  # the client is shared: its owner closes it


def load_manifest(path: str | Path) -> dict[str, str]:
    """A trusted-documents manifest: ``{sha256: document}``, or Apollo's persisted query
    manifest (``{"operations": [{"id": sha256, "body": document}]}``). Every hash is checked."""
    raw: Any = json.loads(Path(path).read_text())
    if isinstance(raw, dict) and isinstance(raw.get("operations"), list):
        raw = {op.get("id"): op.get("body") for op in raw["operations"] if isinstance(op, dict)}
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: a manifest is a JSON object of sha256 -> document")
    manifest: dict[str, str] = {}
    for digest, document in raw.items():
        if not isinstance(digest, str) or not isinstance(document, str) or sha256(document) != digest:
            raise ValueError(f"{path}: the entry {digest!r} is not the sha256 of its document")
        manifest[digest] = document
    return manifest


def build_manifest(folder: str | Path) -> dict[str, str]:
    """``{sha256: document}`` for every ``.graphql`` file under ``folder`` (the exact text)."""
    documents = sorted(Path(folder).rglob("*.graphql"))
    return {sha256(text): text for text in (p.read_text() for p in documents)}


class PersistedQueries:
    """Turns a request's ``query`` / ``extensions.persistedQuery`` into the document to run."""

    def __init__(self, store: QueryStore, trusted: dict[str, str] | None = None) -> None:
        self.store = store
        self.trusted = trusted

    async def document(self, params: dict[str, Any]) -> str:
        query = params.get("query")
        if query is not None and (not isinstance(query, str) or not query.strip()):
            raise PersistedQueryError(ErrorCode.BAD_REQUEST, _("`query` must be a non-empty string."))
        persisted = (params.get("extensions") or {}).get("persistedQuery")
        if persisted is None:
            if query is None:
                raise PersistedQueryError(ErrorCode.BAD_REQUEST, _("`query` must be a non-empty string."))
            if self.trusted is not None and sha256(query) not in self.trusted:
                raise _required()
            return str(query)
        digest = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
        if not isinstance(persisted, dict) or persisted.get("version") != 1 or not isinstance(digest, str):
            raise PersistedQueryError(
                ErrorCode.BAD_REQUEST, _("`extensions.persistedQuery` must be {version: 1, sha256Hash: <hex sha256>}.")
            )
        digest = digest.lower()
        if not _HASH.fullmatch(digest):
            raise PersistedQueryError(ErrorCode.BAD_REQUEST, _("`sha256Hash` must be 64 hexadecimal digits."))
        if query is not None and sha256(query) != digest:
            raise PersistedQueryError(
                ErrorCode.PERSISTED_QUERY_HASH_MISMATCH, _("`sha256Hash` is not the sha256 of `query`.")
            )
        if self.trusted is not None:
            if digest not in self.trusted:
                raise _required()
            return self.trusted[digest]
        if query is not None:
            await self.store.put(digest, query)
            return str(query)
        stored = await self.store.get(digest)
        if stored is None:
            # Apollo's link reads these words (and the code), not a person: they stay as they are.
            raise PersistedQueryError(ErrorCode.PERSISTED_QUERY_NOT_FOUND, "PersistedQueryNotFound")
        return stored


# Over HTTP here; over a socket, by the validation rule of ``schema/persisted.py``.
REQUIRED = _("This server runs only the trusted documents its clients ship.")


def _required() -> PersistedQueryError:
    return PersistedQueryError(ErrorCode.PERSISTED_QUERY_REQUIRED, REQUIRED)


def make_store(redis: aioredis.Redis | None, namespace: str = "ediary") -> QueryStore:
    return RedisStore(redis, f"{namespace}:apq:") if redis is not None else MemoryStore()
