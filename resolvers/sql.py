"""Hand-written SQL for the few hot paths where one statement must replace several.

Write ``?`` placeholders; they are rewritten to ``$n`` for PostgreSQL."""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import date, datetime
from typing import Any, TypeVar

from tortoise import connections
from tortoise.models import Model
from tortoise.queryset import QuerySet, ValuesListQuery

M = TypeVar("M", bound=Model)

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


def hydrate(model: type[M], row: dict[str, Any], prefix: str = "") -> M:
    """A model instance from ``prefix``-ed columns of a raw row, converted by the model's own
    fields exactly as the ORM does for its own queries."""
    columns = model._meta.fields_db_projection.values()
    values = {column: row[prefix + column] for column in columns if prefix + column in row}
    return model._init_from_db(**values)


def placeholders(count: int) -> str:
    return ", ".join("?" * count) if count else "NULL"


# Statements compiled once per key: see ``first_column``.
_COMPILED: OrderedDict[Hashable, tuple[str, list[Any]]] = OrderedDict()
COMPILED_STATEMENTS = 1024


async def first_column(key: Hashable, build: Callable[[], QuerySet[Any] | ValuesListQuery[Any]]) -> list[Any]:
    """The first column of the rows of ``build()``, a statement that is the same every time
    for ``key`` (say, a viewer's live scope, re-checked before every event of every stream):
    the ORM builds and compiles it the first time, later runs reuse what it compiled.

    Why: compiling a scope of a few subqueries costs the ORM more CPU than the database
    takes to run it. Only for statements whose SQL and values depend on nothing but ``key``
    (never on today's date or the time); the last ``COMPILED_STATEMENTS`` keys are kept."""
    conn = connections.get("default")
    full_key = (dialect(), key)
    compiled = _COMPILED.get(full_key)
    if compiled is None:
        query = build()
        query._choose_db_if_not_chosen()
        query._make_query()
        compiled = _COMPILED[full_key] = query.query.get_parameterized_sql()
        while len(_COMPILED) > COMPILED_STATEMENTS:
            _COMPILED.popitem(last=False)
    else:
        _COMPILED.move_to_end(full_key)
    statement, params = compiled
    _, rows = await conn.execute_query(statement, list(params))
    return [row[0] for row in rows]
