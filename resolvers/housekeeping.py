"""Rows that matter only for a while, removed once nothing can count or use them any more:
failed logins and wrong second-factor codes (counted for the rate limits over
``login_window_seconds``), login challenges waiting for a second factor, and password recovery
links and codes, uploaded files nobody attached in time (``resolvers/files.py``), with their
bytes, and finished pushes (``models.PushDelivery`` sent, failed or skipped) once
``PUSHES_KEPT`` has passed. Every server process sweeps on its own; two sweeping at once delete the same
rows, which is harmless. (Started external logins are removed as new ones start,
``resolvers/identity.py``.)"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import models
from edge.settings import Settings
from resolvers import files
from resolvers.core import now_utc

log = logging.getLogger(__name__)

INTERVAL = 600.0  # seconds between sweeps
# An ended challenge or recovery row stays a day after it expired, for whoever reads the
# tables while looking into a complaint ("the code I was sent did not work").
KEPT_AFTER_EXPIRY = timedelta(days=1)
# A finished push stays 30 days: long enough to answer "my phone never showed it" (its status
# and last error), and its row says no more than that. A pending one stays until it finishes.
PUSHES_KEPT = timedelta(days=30)
FINISHED = (models.DeliveryStatus.SENT, models.DeliveryStatus.FAILED, models.DeliveryStatus.SKIPPED)


async def sweep(settings: Settings) -> dict[str, int]:
    """Remove what no check can count or use any more; how many rows of each table went."""
    now = now_utc()
    counted_since = now - timedelta(seconds=settings.login_window_seconds)
    expired_before = now - KEPT_AFTER_EXPIRY
    return {
        "login_attempt": await models.LoginAttempt.filter(at__lt=counted_since).delete(),
        "second_factor_attempt": await models.SecondFactorAttempt.filter(at__lt=counted_since).delete(),
        "login_challenge": await models.LoginChallenge.filter(expires_at__lt=expired_before).delete(),
        "password_recovery": await models.PasswordRecovery.filter(expires_at__lt=expired_before).delete(),
        "stored_file": await files.sweep(settings),
        # A finished push's ``next_attempt_at`` is the end of its last attempt's lease (or of the
        # quiet hours it waited for): within minutes of when it finished, and indexed with status.
        "push_delivery": await models.PushDelivery.filter(
            status__in=FINISHED, next_attempt_at__lt=now - PUSHES_KEPT
        ).delete(),
    }


async def run(settings: Settings, interval: float = INTERVAL) -> None:
    """Forever, in the background of every server process: a sweep every ``interval``, the
    first one an interval after the start (a process that restarts often sweeps no more)."""
    while True:
        await asyncio.sleep(interval)
        try:
            removed = await sweep(settings)
        except Exception:  # the database may be briefly unreachable: sweep again next time
            log.exception("housekeeping sweep failed")
        else:
            if any(removed.values()):
                log.info("housekeeping removed %s", removed)
