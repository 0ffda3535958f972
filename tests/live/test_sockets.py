"""The collector policy of schema/websocket.py: what survives is frozen out of full collections
every round, and socket churn re-arms the collector so that closed sockets' garbage is freed."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from schema.websocket import Sockets


class _Cycle:
    """Garbage only the cycle collector can free: it refers to itself."""

    def __init__(self) -> None:
        self.me = self


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_each_round_frees_garbage_and_freezes_survivors(unfrozen: None) -> None:
    sockets = Sockets()
    garbage = _Cycle()
    dead = weakref.ref(garbage)
    del garbage
    alive = _Cycle()
    assert sockets.step() == "freeze"
    assert dead() is None, "garbage is collected before the freeze"
    assert gc.get_freeze_count() > 0
    assert not any(o is alive for o in gc.get_objects()), "survivors are out of the collector's reach"


def test_frozen_cycles_are_freed_once_churn_re_arms_the_collector(unfrozen: None) -> None:
    sockets = Sockets(batch=4, churn=0.5)
    for _ in range(8):
        sockets.opened()
    held = [_Cycle() for _ in range(8)]  # each socket's state, in a reference cycle
    refs = [weakref.ref(c) for c in held]
    assert sockets.step() == "freeze"
    del held
    gc.collect()
    assert all(r() is not None for r in refs), "frozen cycles wait for the collector to be re-armed"
    for _ in range(3):
        sockets.closed()
    assert sockets.step() == "freeze"  # 3 closed < max(batch 4, half of 5 open)
    sockets.closed()
    assert sockets.step() == "collect"
    assert all(r() is None for r in refs)
    assert gc.get_freeze_count() > 0  # and what is still alive is frozen again
    assert (sockets.open, sockets.closed_since_collection) == (4, 0)


def test_growth_without_new_sockets_re_arms_the_collector(unfrozen: None) -> None:
    sockets = Sockets(growth=0.25)
    sockets.opened()
    assert sockets.step() == "freeze"
    sockets.rss_at_collection //= 2  # as if the process had doubled since
    sockets.opened()  # more sockets explain growth: no pause for it
    assert sockets.step() == "freeze"
    sockets.rss_at_collection //= 2
    assert sockets.step() == "collect"


def test_while_watching_the_youngest_generation_is_collected_less_often() -> None:
    """A woken run's objects live until it delivers: collected every ``young`` allocations while
    the policy runs, Python's thresholds back once it stops."""
    before = gc.get_threshold()
    sockets = Sockets()
    sockets.watch()
    try:
        assert gc.get_threshold() == (sockets.young, *before[1:])
    finally:
        sockets.unwatch()
    assert gc.get_threshold() == before
