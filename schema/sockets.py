"""Open sockets, and keeping the cycle collector from pausing all of them at once.

Why: an idle subscribed socket holds a few hundred objects the cycle collector tracks (its
transport, protocol, handler, the subscription's task and generators). They live as long as
the socket, so collecting them finds nothing, yet a full collection walks every one of them
while the event loop stands still: measured 0.6 s at 1,000 sockets and 3.9 s at 10,000, about
every 25 s under 100 events/s. Every socket waits for that pause, so it is the p99.

What: every ``interval`` seconds, what survived since the last step is collected (a full
collection walks only objects that are not frozen, so it is as short as the second was busy)
and the survivors are moved out of the collector's reach (``gc.freeze``). Freezing does not
stop reference counting: a frozen object is still freed when its last reference goes. Only
garbage held in reference cycles among frozen objects waits, so the collector is re-armed
(unfreeze, one full collection, freeze again) once the sockets closed since the last time
reach ``churn`` of those still open (and at least ``batch``), or the process has grown by
``growth`` since with no more sockets open than then. Churn pays one pause proportional to
its size; sockets that stay open pay none.

Young collections are rarer while this runs (``young``): one walks every tracked object made
since the last that is still alive, and a woken subscription's run makes several hundred (its
frames, coroutines, executor, hooks) that live until it delivers, so at Python's 700 each
delivery paid for a walk or more of objects still in use. What lives on is frozen within the
second anyway; garbage in cycles waits a few thousand allocations longer."""

from __future__ import annotations

import asyncio
import gc
import logging
import math
import os
import time
import weakref
from dataclasses import dataclass
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from pubsub.broker import Inbox

log = logging.getLogger(__name__)


@dataclass
class Sockets:
    """Counts of open sockets, and the collector policy above (``run`` is the background task)."""

    interval: float = 1.0
    batch: int = 500
    churn: float = 0.25
    growth: float = 0.25
    open: int = 0
    closed_since_collection: int = 0
    rss_at_collection: int = 0
    open_at_collection: int = 0
    freezes: int = 0
    collections: int = 0
    # The longest collection pause seen, and full collections run by the interpreter itself.
    longest_pause_ms: float = 0.0
    full_collections: int = 0
    # The youngest generation's threshold while watching (Python's: 700), and the one before.
    young: int = 10_000
    _thresholds: tuple[int, int, int] | None = None
    _started: float = 0.0

    def watch(self) -> None:
        """Time every collection (``gc.callbacks``; pauses over 50 ms are logged), and collect
        the youngest generation every ``young`` allocations."""
        if self._on_collection not in gc.callbacks:
            gc.callbacks.append(self._on_collection)
        if self._thresholds is None:
            self._thresholds = gc.get_threshold()
            gc.set_threshold(self.young, *self._thresholds[1:])

    def unwatch(self) -> None:
        if self._on_collection in gc.callbacks:
            gc.callbacks.remove(self._on_collection)
        if self._thresholds is not None:
            gc.set_threshold(*self._thresholds)
            self._thresholds = None

    def _on_collection(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        pause = (time.perf_counter() - self._started) * 1000
        self.longest_pause_ms = max(self.longest_pause_ms, pause)
        if info["generation"] == 2:
            self.full_collections += 1
        if pause > 50:
            log.info(
                "collection of generation %d paused %.0f ms (%d collected, %d open sockets)",
                info["generation"],
                pause,
                info["collected"],
                self.open,
            )

    def opened(self) -> None:
        self.open += 1

    def closed(self) -> None:
        self.open -= 1
        self.closed_since_collection += 1

    def step(self) -> str:
        """One round: ``"collect"`` (re-armed) or ``"freeze"``."""
        rss = _rss_bytes()
        churned = self.closed_since_collection >= max(self.batch, self.churn * self.open)
        # Grown by more than new sockets explain: garbage is waiting among frozen objects.
        grown = rss > self.rss_at_collection * (1 + self.growth) and self.open <= self.open_at_collection
        if churned or (self.rss_at_collection and grown):
            gc.unfreeze()
            gc.collect()
            gc.freeze()
            self.closed_since_collection = 0
            self.rss_at_collection, self.open_at_collection = _rss_bytes(), self.open
            self.collections += 1
            return "collect"
        gc.collect()
        gc.freeze()
        if not self.rss_at_collection or self.open > self.open_at_collection:
            self.rss_at_collection, self.open_at_collection = rss, self.open
        self.freezes += 1
        return "freeze"

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            started = time.perf_counter()
            done = self.step()
            if done == "collect":
                log.info(
                    "re-armed the cycle collector after socket churn in %.0f ms (%d open)",
                    (time.perf_counter() - started) * 1000,
                    self.open,
                )


def _rss_bytes() -> int:
    """The process's resident memory (Linux), or 0 where it cannot be read."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return 0


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


class _Received(Inbox):
    """uvicorn's queue of received ASGI events, without ``asyncio.Queue``'s three deques."""

    __slots__ = ()

    def empty(self) -> bool:
        return not self.qsize()


class _Writable:
    """uvicorn's "the transport may be written to" flag, without ``asyncio.Event``'s deque:
    waiters are made only while the transport is paused (a slow reader)."""

    __slots__ = ("_value", "_waiters")

    def __init__(self) -> None:
        self._value = False
        self._waiters: list[asyncio.Future[None]] | None = None

    def is_set(self) -> bool:
        return self._value

    def set(self) -> None:
        self._value = True
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            if not waiter.done():
                waiter.set_result(None)

    def clear(self) -> None:
        self._value = False

    async def wait(self) -> None:
        while not self._value:
            waiter = asyncio.get_running_loop().create_future()
            if self._waiters is None:
                self._waiters = []
            self._waiters.append(waiter)
            await waiter


class WebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's websockets-sansio protocol, keeping less for the hours a socket stays open:
    lean receive queue and writable flag, and none of the handshake (the upgrade request and
    our response, with their headers) once it is done. Per-message compression stays as
    configured (off by default: ``ws_per_message_deflate=False``).

    The slots hold the attributes that only repeat the server's settings: uvicorn's protocol
    sets 37 attributes, and past 29 CPython gives each instance a dict of its own (1.6 KB)
    instead of the key-sharing one the rest then fit in (0.4 KB with these slots)."""

    __slots__ = (
        "app",
        "app_state",
        "asgi_version",
        "close_timeout",
        "config",
        "connections",
        "default_headers",
        "keepalive_due",
        "last_ping_rtt",
        "logger",
        "loop",
        "ping_interval",
        "ping_timeout",
        "root_path",
        "tasks",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = _Received()  # type: ignore[assignment]
        self.writable = _Writable()  # type: ignore[assignment]
        self.writable.set()
        self.keepalive_due: int | None = None  # the second of its next ping (``Keepalive``)

    def schedule_ping(self) -> None:
        """The next keepalive ping, in the loop's ``Keepalive`` instead of a timer of its own."""
        assert self.ping_interval is not None
        keepalive(self.loop).schedule(self, max(0.0, self.ping_interval - self.last_ping_rtt))

    def stop_keepalive(self) -> None:
        keepalive(self.loop).cancel(self)
        super().stop_keepalive()

    async def send(self, message: Any) -> None:
        handshaking = not self.handshake_complete
        await super().send(message)
        if handshaking and self.handshake_complete:
            del self.request, self.response  # read only while handshaking
            # The parser that read the upgrade request keeps it (and its headers) in its
            # frame for as long as it runs: start a frame parser of its own. Nothing of the
            # client's can be half-read yet: it sends frames only once it has our 101.
            self.conn.parser = self.conn.parse()
            next(self.conn.parser)


class Keepalive:
    """The keepalive pings of every socket on one event loop, from one timer.

    Why: uvicorn gives each socket a timer for its next ping (``ws_ping_interval``, 20 s by
    default): a handle of about 500 bytes and a libuv timer, held all the hours a socket stays
    open. Here a socket is a member of the set of the whole second its ping is due in, and one
    timer, set for the earliest such second, pings them all (at most one second late, well
    within ``ws_ping_timeout``). The pong deadline stays uvicorn's own timer: it lives only
    while a ping is in flight."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.due: dict[int, set[WebSocketProtocol]] = {}
        self.timer: asyncio.TimerHandle | None = None
        self.timer_at: int | None = None

    def schedule(self, protocol: WebSocketProtocol, delay: float) -> None:
        self.cancel(protocol)
        second = math.ceil(self.loop.time() + delay)
        self.due.setdefault(second, set()).add(protocol)
        protocol.keepalive_due = second
        if self.timer_at is None or second < self.timer_at:
            self._arm(second)

    def cancel(self, protocol: WebSocketProtocol) -> None:
        second, protocol.keepalive_due = protocol.keepalive_due, None
        members = self.due.get(second) if second is not None else None
        if members is not None:
            members.discard(protocol)
            if not members:
                del self.due[second]  # type: ignore[arg-type]  # not None when members is found

    def _arm(self, second: int) -> None:
        if self.timer is not None:
            self.timer.cancel()
        self.timer_at, self.timer = second, self.loop.call_at(second, self._ping)

    def _ping(self) -> None:
        self.timer = self.timer_at = None
        now = self.loop.time()
        for second in sorted(s for s in self.due if s <= now):
            for protocol in self.due.pop(second):
                protocol.keepalive_due = None
                try:
                    protocol.send_keepalive_ping()  # schedules the next one (now or at its pong)
                except Exception:  # one socket's failure must not stop the others' pings
                    log.exception("keepalive ping failed")
        if self.due:
            self._arm(min(self.due))


_keepalives: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Keepalive] = weakref.WeakKeyDictionary()


def keepalive(loop: asyncio.AbstractEventLoop) -> Keepalive:
    """The loop's ``Keepalive`` (a process may run several loops: tests, benchmarks)."""
    found = _keepalives.get(loop)
    if found is None:
        found = _keepalives[loop] = Keepalive(loop)
    return found
