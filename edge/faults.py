"""Fault injection for the fault tests, off unless ``EDIARY_FAULT`` names a fault.

``EDIARY_FAULT=kill-after-commit``: the process SIGKILLs itself right after a write's
transaction commits and before its diary events are published, the worst moment to crash:
the row and its outbox event are in the database, no subscriber has been woken. Another
process's outbox relay must deliver the event (``tests/faults/test_faults_crash.py``). Never set it
in production. The variable is read once at import; each publish pays one truth test
(``resolvers/outbox.py`` calls ``after_commit`` only when a fault is set)."""

from __future__ import annotations

import os
import signal

FAULT = os.environ.get("EDIARY_FAULT", "")
KILL_AFTER_COMMIT = "kill-after-commit"


def after_commit() -> None:
    """Called between a write's commit and the publication of its events."""
    if FAULT == KILL_AFTER_COMMIT:
        os.kill(os.getpid(), signal.SIGKILL)
