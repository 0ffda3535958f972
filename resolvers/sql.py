"""Hand-written SQL for the few hot paths where one statement must replace several.

Write ``?`` placeholders; they are rewritten to ``$n`` for PostgreSQL."""

from __future__ import annotations

import asyncio
import functools
import re
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from tortoise import connections
from tortoise.backends.base.client import TransactionalDBClient
from tortoise.models import Model
from tortoise.queryset import QuerySet, ValuesListQuery, ValuesQuery

from edge import metrics
from resolvers.core import largest_id

M = TypeVar("M", bound=Model)
Compilable = QuerySet[Any] | ValuesListQuery[Any] | ValuesQuery[Any]

_PLACEHOLDER = re.compile(r"\?")


def dialect() -> str:
    """ "postgres" or "sqlite": the few statements that differ choose by it."""
    return str(connections.get("default").capabilities.dialect)


async def fetch(sql: str, params: list[Any]) -> list[dict[str, Any]]:
    conn = connections.get("default")
    if dialect() == "postgres":
        counter = iter(range(1, len(params) + 1))
        sql = _PLACEHOLDER.sub(lambda _m: f"${next(counter)}", sql)
    else:
        params = [p.isoformat() if isinstance(p, (date, datetime)) else p for p in params]
    return list(await conn.execute_query_dict(sql, params))


def columns(model: type[Model], alias: str) -> str:
    """Every column of ``model``'s table under ``alias``, each named ``<alias>_<column>`` (for
    ``hydrate`` with the prefix ``<alias>_``)."""
    return ", ".join(f'{alias}."{c}" AS "{alias}_{c}"' for c in model._meta.fields_db_projection.values())


def hydrate(model: type[M], row: dict[str, Any], prefix: str = "") -> M:
    """A model instance from ``prefix``-ed columns of a raw row, converted by the model's own
    fields exactly as the ORM does for its own queries."""
    columns = model._meta.fields_db_projection.values()
    values = {column: row[prefix + column] for column in columns if prefix + column in row}
    return model._init_from_db(**values)


# At most this many values in one statement (PostgreSQL's protocol and SQLite's default limit
# are 32767 and 32766): ``insert`` splits larger writes.
MAX_VALUES = 32000


async def insert(rows: Sequence[M]) -> list[M]:
    """Save the unsaved ``rows`` (instances of one model) with ``INSERT ... VALUES (...), (...)
    RETURNING id``, one statement (per ``MAX_VALUES`` values), and give each its id: what
    ``Model.create`` does for one row, for many in one round trip (``bulk_create`` returns no
    ids on PostgreSQL, so a caller that needs them would read the rows back). Values are
    converted by the model's own fields, as the ORM converts them for its own INSERT (defaults,
    ``auto_now_add``); no signals are sent (no model written this way has any)."""
    if not rows:
        return []
    meta = type(rows[0])._meta
    names = [name for name in meta.fields_db_projection if not meta.fields_map[name].generated]
    columns = ", ".join(f'"{meta.fields_db_projection[name]}"' for name in names)
    per_statement = max(1, MAX_VALUES // len(names))
    conn = connections.get("default")
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        values = [meta.fields_map[name].to_db_value(getattr(row, name), row) for row in chunk for name in names]
        if dialect() == "postgres":
            numbers = iter(range(1, len(values) + 1))
            groups = ", ".join("(" + ", ".join(f"${next(numbers)}" for _ in names) + ")" for _ in chunk)
        else:
            groups = ", ".join("(" + ", ".join("?" * len(names)) + ")" for _ in chunk)
        statement = f'INSERT INTO "{meta.db_table}" ({columns}) VALUES {groups} RETURNING "{meta.db_pk_column}"'
        found = await conn.execute_query_dict(statement, values)
        if len(found) != len(chunk):
            raise RuntimeError(f"INSERT INTO {meta.db_table} returned {len(found)} ids for {len(chunk)} rows")
        # The ids are drawn row by row in the VALUES list's order, so sorted they match ``chunk``
        # whatever order RETURNING lists them in (which neither database promises).
        ids = sorted(returned[meta.db_pk_column] for returned in found)
        for row, pk in zip(chunk, ids, strict=True):
            row.pk = pk
            row._saved_in_db = True
    return list(rows)


def placeholders(count: int) -> str:
    return ", ".join("?" * count) if count else "NULL"


# Statements compiled once per key: see ``first_column``.
_COMPILED: OrderedDict[Hashable, tuple[str, list[Any]]] = OrderedDict()
COMPILED_STATEMENTS = 1024


async def first_column(key: Hashable, build: Callable[[], Compilable]) -> list[Any]:
    """The first column of the rows of ``build()``, a statement that is the same every time
    for ``key`` (say, a viewer's live scope, re-checked before every event of every stream):
    the ORM builds and compiles it the first time, later runs reuse what it compiled.

    Why: compiling a scope of a few subqueries costs the ORM more CPU than the database
    takes to run it. Only for statements whose SQL and values depend on nothing but ``key``
    (never on today's date or the time); the last ``COMPILED_STATEMENTS`` keys are kept."""
    statement, params = _once(_COMPILED, key, lambda: _compiled(build()))
    _, rows = await connections.get("default").execute_query(statement, list(params))
    return [row[0] for row in rows]


def _once(
    cache: OrderedDict[Hashable, tuple[str, list[Any]]], key: Hashable, make: Callable[[], tuple[str, list[Any]]]
) -> tuple[str, list[Any]]:
    """``make()`` the first time for ``key`` (and the dialect), what it made after: the last
    ``COMPILED_STATEMENTS`` keys of ``cache`` are kept."""
    full_key = (dialect(), key)
    found = cache.get(full_key)
    if found is None:
        found = cache[full_key] = make()
        while len(cache) > COMPILED_STATEMENTS:
            cache.popitem(last=False)
    else:
        cache.move_to_end(full_key)
    return found


def _compiled(query: Compilable) -> tuple[str, list[Any]]:
    query._choose_db_if_not_chosen()
    query._make_query()
    statement, params = query.query.get_parameterized_sql()
    return statement, list(params)


def embedded(query: Compilable) -> tuple[str, list[Any]]:
    """``query`` as text with ``?`` placeholders and its values, to place inside a statement
    of ``fetch`` (say, a policy scope as ``u.id IN (...)``)."""
    statement, params = _compiled(query)
    if dialect() == "postgres":  # $1, $2... in order: ``fetch`` numbers them again
        statement = re.sub(r"\$\d+", "?", statement)
    else:  # an instant as the ORM's driver writes it (and compares it): ``fetch`` would write a "T"
        params = [p.isoformat(" ") if isinstance(p, datetime) else p for p in params]
    return statement, params


# Scopes compiled once per key: see ``embedded_once``.
_EMBEDDED: OrderedDict[Hashable, tuple[str, list[Any]]] = OrderedDict()


def embedded_once(key: Hashable, build: Callable[[], Compilable]) -> tuple[str, list[Any]]:
    """``embedded(build())``, compiled the first time for ``key`` and reused after (the last
    ``COMPILED_STATEMENTS`` keys are kept): for a scope asked on every write of a viewer (say,
    their visible lessons, whose compilation costs the ORM more CPU than the database takes to
    run it). As for ``first_column``, only for queries whose SQL and values depend on nothing
    but ``key`` (never on today's date or the time)."""
    statement, params = _once(_EMBEDDED, key, lambda: embedded(build()))
    return statement, list(params)


def joined_ids(column: str) -> str:
    """An aggregate of integer ``column`` into one text, "1,2,3" (NULL for no rows)."""
    if dialect() == "postgres":
        return f"string_agg(CAST({column} AS TEXT), ',')"
    return f"group_concat({column}, ',')"


# The texts of reusable statements, one copy each: many streams share a text (only their
# values differ), and an idle stream keeps its statement for hours.
_TEXTS: dict[str, str] = {}
_TEXTS_KEPT = 4096


@dataclass(frozen=True, slots=True)
class Reusable:
    """A statement the ORM compiles once and that runs again and again with one value changed
    (its ``slot``): a stream's read of its outbox, whose only moving part is the id it reads
    after. Compiling costs the ORM more CPU than the database takes to run it."""

    statement: str
    params: tuple[Any, ...]
    slot: int
    past: int  # a value of the slot past every row: the largest id of the query's table

    @classmethod
    def compile(
        cls,
        query: QuerySet[Any],
        marker: int,
        wrap: Callable[[str, str | None], str],
        then: Compilable | None = None,
    ) -> Reusable:
        """``query`` with ``marker`` as one of its values (the one that changes), put by
        ``wrap`` inside a larger statement together with ``then`` (a second query whose text
        ``wrap`` places after the first's), adding no values of its own."""
        statement, params = _compiled(query)
        slots = [i for i, value in enumerate(params) if value == marker]
        if len(slots) != 1:
            raise ValueError("the marker must be exactly one of the statement's values")
        second = None
        if then is not None:
            second, more = _compiled(then)
            if dialect() == "postgres":  # $1... of the second query follow the first's
                second = re.sub(r"\$(\d+)", lambda m: f"${int(m.group(1)) + len(params)}", second)
            params = [*params, *more]
        statement = wrap(statement, second)
        if len(_TEXTS) < _TEXTS_KEPT:
            statement = _TEXTS.setdefault(statement, statement)
        return cls(statement, tuple(params), slots[0], largest_id(query.model))

    async def rows(self, value: Any) -> list[dict[str, Any]]:
        """The rows, with ``value`` in the slot. Reads of the same text asked in the same turn
        of the event loop (the subscribers one event woke) go to the database as one statement
        (``_Batch``); inside a transaction, a read runs alone, in it."""
        params = list(self.params)
        params[self.slot] = value
        conn = connections.get("default")
        if isinstance(conn, TransactionalDBClient):  # a transaction's own: not shared
            return list(await conn.execute_query_dict(self.statement, params))
        return await _Batch.join(conn, self.statement, params, (self.slot, self.past))


# Reads batched into one statement at most; a batch of n reads runs the text for the next power
# of two (its last read repeated after the largest id: no rows), so the database's and the driver's statement
# caches hold a handful of texts per kind of read, not one per number of readers. A read is about
# 3 KB of SQL: 16 of them stay under what the driver keeps prepared (``edge/settings.py``,
# ``MAX_CACHEABLE_STATEMENT``); a text it does not keep is prepared again for every event.
BATCH_READS = 16
BRANCH = "batch__branch"


class _Batch:
    """The reads of one statement text waiting for the end of this turn of the event loop."""

    _open: dict[tuple[int, str], _Batch] = {}
    _running: set[asyncio.Task[None]] = set()  # the loop holds tasks weakly: these are held here

    def __init__(self, conn: Any, statement: str, nothing: tuple[int, int]) -> None:
        self.conn, self.statement, self.nothing = conn, statement, nothing
        self.reads: list[tuple[list[Any], asyncio.Future[list[dict[str, Any]]]]] = []

    @classmethod
    async def join(cls, conn: Any, statement: str, params: list[Any], nothing: tuple[int, int]) -> list[dict[str, Any]]:
        """``params`` read with the others of this turn; ``nothing``: (slot, value) that makes a
        read of this text return no rows, for the padding."""
        key = (id(conn), statement)
        batch = cls._open.get(key)
        if batch is None:
            batch = cls._open[key] = cls(conn, statement, nothing)
            asyncio.get_running_loop().call_soon(batch._close, key)
        future: asyncio.Future[list[dict[str, Any]]] = asyncio.get_running_loop().create_future()
        batch.reads.append((params, future))
        if len(batch.reads) >= BATCH_READS:
            batch._close(key)
        return await future

    def _close(self, key: tuple[int, str]) -> None:
        if self._open.get(key) is self:
            del self._open[key]
            task = asyncio.get_running_loop().create_task(self._run())
            self._running.add(task)
            task.add_done_callback(self._running.discard)

    async def _run(self) -> None:
        reads = [(params, future) for params, future in self.reads if not future.done()]
        if not reads:
            return
        try:
            if len(reads) == 1:
                metrics.STREAM_READS.labels("alone").inc()
                found = [list(await self.conn.execute_query_dict(self.statement, reads[0][0]))]
            else:
                metrics.STREAM_READS.labels("shared").inc(len(reads))
                found = await self._union([params for params, _ in reads])
        except BaseException as exc:  # every reader gets the failure it would have had alone
            for _, future in reads:
                if not future.done():
                    future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        for (_, future), rows in zip(reads, found, strict=False):
            if not future.done():
                future.set_result(rows)

    async def _union(self, batch: list[list[Any]]) -> list[list[dict[str, Any]]]:
        size = 1 << (len(batch) - 1).bit_length()
        slot, past = self.nothing
        empty = list(batch[-1])
        empty[slot] = past  # reads after the largest id: the padding costs no rows
        padded = batch + [empty] * (size - len(batch))
        text = _union_text(self.statement, len(batch[0]), size)
        rows = await self.conn.execute_query_dict(text, [value for params in padded for value in params])
        found: list[list[dict[str, Any]]] = [[] for _ in batch]
        for row in rows:
            branch = row[BRANCH]
            if branch < len(batch):
                found[branch].append(row)
        return found


@functools.lru_cache(maxsize=64)
def _union_text(statement: str, count: int, size: int) -> str:
    """``size`` copies of ``statement`` (of ``count`` values each) as one statement, each row
    tagged with its copy's number; rows in each copy's own order."""
    postgres = dialect() == "postgres"
    branches = []
    for n in range(size):
        text = statement
        if postgres:  # $1... of copy n follow those of the copies before it
            text = re.sub(r"\$(\d+)", lambda m: f"${int(m.group(1)) + n * count}", statement)  # noqa: B023
        branches.append(f"SELECT {n} AS {BRANCH}, t{n}.* FROM ({text}) AS t{n}")
    return f'SELECT * FROM ({" UNION ALL ".join(branches)}) AS batch ORDER BY {BRANCH}, "id"'
