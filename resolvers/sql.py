"""Hand-written SQL for the few hot paths where one statement must replace several.

Write ``?`` placeholders; they are rewritten to ``$n`` for PostgreSQL."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, TypeVar

from tortoise import connections
from tortoise.models import Model

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
