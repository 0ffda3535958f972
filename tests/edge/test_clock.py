"""One clock: everything that asks "what is now" reads the clock of ``resolvers.core``, and
moving it moves the product (token expiry, the ORM's timestamps, the diary's "today") together."""

from __future__ import annotations

import ast
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

import models
from edge.settings import Settings
from resolvers import core, sessions
from tests.factories import Factory

ROOT = Path(__file__).resolve().parents[2]
# What reads the system's date or time of day; monotonic timers (time.monotonic,
# perf_counter) measure durations and are not the clock.
FORBIDDEN = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today"), ("time", "time")}


def _calls_to_the_system_clock(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", None)
            if (name, node.func.attr) in FORBIDDEN:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_nothing_but_the_clock_reads_the_system_date() -> None:
    """bench/ is left out: it times and names result files by the real time on purpose."""
    sources = [
        p
        for folder in ("resolvers", "edge", "demo", "schema", "models", "pubsub", "web", "tests")
        for p in (ROOT / folder).rglob("*.py")
        if "migrations" not in p.parts and "node_modules" not in p.parts
    ] + [ROOT / "server.py"]
    offenders = [hit for p in sources if p != ROOT / "resolvers" / "core.py" for hit in _calls_to_the_system_clock(p)]
    assert offenders == [], f"read the clock of resolvers.core instead: {offenders}"


def test_the_guard_sees_a_call_to_the_system_clock(tmp_path: Path) -> None:
    sample = ROOT / "tests" / f"_sample_{tmp_path.name}.py"
    sample.write_text("import datetime\nx = datetime.date.today()\ny = datetime.datetime.now(tz=None)\n")
    try:
        assert len(_calls_to_the_system_clock(sample)) == 2
    finally:
        sample.unlink()


def test_travel_and_freeze_move_the_clock_and_restore_it() -> None:
    before = core.now_utc()
    target = datetime(2027, 3, 15, 6, 0, tzinfo=UTC)
    with core.travel(target):
        assert abs(core.now_utc() - target) < timedelta(seconds=5)
        assert core.today_utc() == date(2027, 3, 15)
        with core.freeze(target + timedelta(days=1)):
            assert core.now_utc() == target + timedelta(days=1)
        assert core.now_utc() < target + timedelta(minutes=1)
    assert abs(core.now_utc() - before) < timedelta(minutes=1)
    with pytest.raises(ValueError, match="aware"), core.travel(datetime(2027, 3, 15)):
        pass


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2027-03-15", datetime(2027, 3, 15, 6, 0, tzinfo=UTC)),  # 09:00 in Moscow
        ("2027-09-01T08:00:00+03:00", datetime(2027, 9, 1, 5, 0, tzinfo=UTC)),
    ],
)
def test_environment_instant(text: str, expected: datetime) -> None:
    assert core.parse_instant(text) == expected


@pytest.mark.parametrize("text", ["2027-03-15T09:00:00", "next monday", ""])
def test_environment_instant_refused(text: str) -> None:
    with pytest.raises(core.ClockSettingError):
        core.parse_instant(text)


def test_a_process_started_with_ediary_now_lives_on_that_date() -> None:
    """A child process reads EDIARY_NOW, and passes the same offset on to its own children."""
    script = (
        "import os, subprocess, sys\n"
        "from resolvers import core\n"
        "print(core.today_utc())\n"
        "child = 'from resolvers import core; print(core.today_utc())'\n"
        "print(subprocess.run([sys.executable, '-c', child], capture_output=True, text=True, check=True).stdout)\n"
    )
    env = {"EDIARY_NOW": "2027-12-31T23:30:00+03:00", "PATH": "/usr/bin:/bin"}
    out = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT, env=env
    ).stdout.split()
    assert out == ["2027-12-31", "2027-12-31"]


def test_token_expiry_reads_the_clock(settings: Settings) -> None:
    token = sessions.issue_access_token(settings, 42, 3)
    assert sessions.read_access_token(settings, token).user_id == 42
    later = core.now_utc() + timedelta(seconds=settings.access_token_ttl + 5)
    with core.travel(later), pytest.raises(sessions.InvalidToken, match="expired"):
        sessions.read_access_token(settings, token)
    # A token issued on a moved clock is valid on that clock, whatever the system's date.
    with core.travel(datetime(2031, 1, 10, 9, tzinfo=UTC)):
        assert sessions.read_access_token(settings, sessions.issue_access_token(settings, 7, 3)).user_id == 7


async def test_orm_timestamps_read_the_clock(factory: Factory) -> None:
    moment = datetime(2030, 5, 20, 7, 30, tzinfo=UTC)
    with core.freeze(moment):
        user = await factory.user("clock")
        entry = await models.AuditEntry.create(actor=user, action="test.clock", object_type="User", object_id=user.id)
    assert (await models.AuditEntry.get(id=entry.id)).at == moment
