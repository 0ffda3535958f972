"""The throw-away benchmark database."""

from __future__ import annotations

import contextlib
import secrets
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from tortoise import Tortoise, connections
from tortoise.migrations.api.migrate import migrate

from demo.seed import seed_demo
from edge.settings import normalize_database_url, tortoise_config

DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"
STUDENTS_PER_CLASS = 25
_TEMPORARY = "ediary-bench-"


def bench_database_url(requested: str | None, prefix: str = "ediary_bench") -> str:
    """A URL for a database this run creates: a fresh ``<prefix>_<random>`` on the named
    PostgreSQL server (never the database named), or the named SQLite file, which must not exist
    (an empty path means a temporary file)."""
    url = normalize_database_url(requested or DEFAULT_SERVER)
    if url.startswith("postgres://"):
        base, _, _name = url.partition("?")[0].rpartition("/")
        return f"{base}/{prefix}_{secrets.token_hex(4)}"
    if url.startswith("sqlite://"):
        path = url[len("sqlite://") :]
        if path == ":memory:":
            raise SystemExit("an in-memory SQLite database does not survive migrating; name a file")
        if not path:
            path = str(Path(tempfile.mkdtemp(prefix=_TEMPORARY)) / "bench.sqlite3")
        if Path(path).exists():
            raise SystemExit(f"{path} exists; the benchmark creates its own database and deletes it afterwards")
        return f"sqlite://{path}"
    raise SystemExit(f"unsupported database URL {requested!r} (postgres://... or sqlite://PATH)")


@contextlib.asynccontextmanager
async def bench_database(url: str, seed: bool = True) -> AsyncIterator[None]:
    """Create, migrate and seed the database at ``url`` (students per class as in production
    schools; ``seed=False`` leaves it empty), leave Tortoise initialised for every task as the
    app's lifespan would, and drop the database afterwards, whatever happened."""
    config = tortoise_config(url)
    postgres = url.startswith("postgres://")
    try:
        if postgres:
            await Tortoise.init(config=config, _create_db=True)
            await Tortoise.close_connections()
        await migrate(config=config)
        await Tortoise.init(config=config, _enable_global_fallback=True)
        if seed:
            await seed_demo(students_per_class=STUDENTS_PER_CLASS)
        yield
    finally:
        if postgres:
            if not Tortoise._inited:
                await Tortoise.init(config=config)
            await Tortoise._drop_databases()
        else:
            await Tortoise.close_connections()
            path = Path(url[len("sqlite://") :])
            for leftover in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm", "-journal"))):
                leftover.unlink(missing_ok=True)
            if path.parent.name.startswith(_TEMPORARY):
                path.parent.rmdir()


async def server_version() -> str:
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        rows = await conn.execute_query_dict("SHOW server_version")
        return f"PostgreSQL {rows[0]['server_version']}"
    rows = await conn.execute_query_dict("SELECT sqlite_version() AS v")
    return f"SQLite {rows[0]['v']}"
