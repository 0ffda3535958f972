"""A timer for the statements sent to the database through one Tortoise client."""

from __future__ import annotations

import contextvars
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

_timing: contextvars.ContextVar[bool] = contextvars.ContextVar("bench_timing", default=False)
_FROM = re.compile(r'\bFROM\s+"?(\w+)"?', re.IGNORECASE)


@dataclass(frozen=True)
class Statement:
    """One call of a client method, as sent: it can be sent again."""

    method: str
    query: str
    values: Any

    @property
    def label(self) -> str:
        found = _FROM.search(self.query)
        return f"FROM {found.group(1)}" if found else self.query.split(None, 1)[0]


@dataclass(frozen=True)
class Sample:
    """The statements of one measured unit of work."""

    statements: list[Statement]
    durations: list[float]  # seconds, one per statement, in the order they were sent
    busy: float  # seconds during which at least one statement was in flight (overlaps merged)

    @property
    def total(self) -> float:
        return sum(self.durations)


@dataclass
class StatementTimer:
    """Wraps the ``execute_*`` methods of one client instance (where the ORM's querysets and
    raw SQL both end) to record each statement with its start and end.

    A statement's time is the wall time of the awaited driver call. In a live request that also
    holds waits that are not database work: for the SQLite client's lock while another loader's
    statement runs, and for the event loop while it is busy building objects from another
    statement's rows. ``busy`` merges overlapping statements, so no wait is counted twice;
    ``total`` adds the durations up. Replaying statements one at a time leaves only the driver
    and the database."""

    client: BaseDBAsyncClient
    methods: tuple[str, ...] = ("execute_query", "execute_query_dict", "execute_insert", "execute_many")
    _calls: list[tuple[Statement, float, float]] = field(default_factory=list)

    def install(self) -> None:
        for name in self.methods:
            setattr(self.client, name, self._wrap(name, getattr(self.client, name)))

    def uninstall(self) -> None:
        for name in self.methods:
            vars(self.client).pop(name, None)

    def _wrap(self, name: str, method: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def timed(query: str, values: Any = None) -> Any:
            if _timing.get():  # a wrapped method calling another one: already being timed
                return await method(query, values)
            token = _timing.set(True)
            start = time.perf_counter()
            try:
                return await method(query, values)
            finally:
                self._calls.append((Statement(name, query, values), start, time.perf_counter()))
                _timing.reset(token)

        return timed

    def reset(self) -> None:
        self._calls.clear()

    def sample(self) -> Sample:
        calls = sorted(self._calls, key=lambda c: c[1])
        busy, reach = 0.0, float("-inf")
        for _, start, end in calls:
            if end > reach:
                busy += end - max(start, reach)
                reach = end
        return Sample([c[0] for c in calls], [end - start for _, start, end in calls], busy)

    async def replay(self, statements: list[Statement]) -> Sample:
        """Send ``statements`` again, one at a time, with nothing else running."""
        self.reset()
        for statement in statements:
            await getattr(self.client, statement.method)(statement.query, statement.values)
        return self.sample()
