"""Production refuses to start with a SECRET_KEY anyone could know (issue 17, item 5): missing,
short, of few different characters, the fallback docker-compose.yml once had, or written in the
project's files. ``server.py`` stops with the reason and a non-zero exit status."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from edge.settings import PROJECT_ROOT, PUBLIC_SECRETS, ConfigurationError, Settings, project_files, public_secret

SERVER = PROJECT_ROOT / "server.py"


def _written_line() -> str:
    """A line of the README long and varied enough to pass for a secret, found at run time (so
    that no secret is written for this test)."""
    for line in (PROJECT_ROOT / "README.md").read_text().splitlines():
        line = line.strip()
        if len(line) >= 40 and len(set(line)) >= 20:
            return line
    raise AssertionError("no line of README.md to use")


def _start(tmp_path: Path, secret: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL")}
    env.update(EDIARY_ENV="production", EDIARY_DATA_DIR=str(tmp_path), PORT="1")
    if secret is not None:
        env["SECRET_KEY"] = secret
    return subprocess.run(  # noqa: S603 - this interpreter, this repository's server.py
        [sys.executable, str(SERVER), "serve"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("secret", "reason"),
    [
        pytest.param(None, "SECRET_KEY is required", id="missing"),
        pytest.param(secrets.token_hex(15), "at least 32 characters", id="short"),
        pytest.param("abcde" * 10, "fewer than 6 different characters", id="few-characters"),
        pytest.param(next(iter(PUBLIC_SECRETS)), "public fallback docker-compose.yml once had", id="compose-fallback"),
        pytest.param(_written_line(), "is written in ", id="in-the-repository"),
    ],
)
def test_production_does_not_start_with_a_known_secret(tmp_path: Path, secret: str | None, reason: str) -> None:
    started = _start(tmp_path, secret)
    assert started.returncode == 2, (started.returncode, started.stderr)
    assert f"configuration error: {'' if secret is None else 'SECRET_KEY '}" in started.stderr
    assert reason in started.stderr, started.stderr
    assert "Uvicorn running" not in started.stderr
    if secret is not None and len(secret) >= 32:
        assert "openssl rand" in started.stderr  # and how to make a good one


def test_a_random_secret_is_accepted_in_production() -> None:
    """Keys as `openssl rand -hex 16` or `-base64 24` make them: a hex key of 32 characters
    repeats characters by chance, and must pass however it fell (it once failed 1 run in 500)."""
    unlucky_hex = "".join(secrets.choice("01234567") for _ in range(32))  # 8 of 16 possible characters
    assert Settings.from_env({"EDIARY_ENV": "production", "SECRET_KEY": unlucky_hex}).secret_key == unlucky_hex
    for _ in range(200):
        for secret in (secrets.token_urlsafe(48), secrets.token_hex(16), secrets.token_urlsafe(24)):
            assert Settings.from_env({"EDIARY_ENV": "production", "SECRET_KEY": secret}).secret_key == secret


def test_development_keeps_accepting_what_it_did() -> None:
    """The checks beyond the length are production's: a developer's throwaway key still works."""
    for secret in ("ab" * 24, next(iter(PUBLIC_SECRETS))):
        assert Settings.from_env({"SECRET_KEY": secret}).secret_key == secret
        with pytest.raises(ConfigurationError, match="SECRET_KEY"):
            Settings.from_env({"EDIARY_ENV": "production", "SECRET_KEY": secret})


def test_the_checkout_is_read_through_git() -> None:
    files = {path.relative_to(PROJECT_ROOT).as_posix() for path in project_files(PROJECT_ROOT)}
    assert {"README.md", "server.py", "docker-compose.yml", "edge/settings.py"} <= files
    assert not any(name.startswith((".venv/", "data/")) for name in files)


def test_without_git_every_file_is_read_but_data_and_env_files(tmp_path: Path) -> None:
    """An image or an unpacked archive has no .git: every file counts, but the data folder (the
    development secret) and .env files (where an operator keeps the real one)."""
    secret = secrets.token_urlsafe(48)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "secret_key").write_text(secret)
    (tmp_path / ".env").write_text(f"SECRET_KEY={secret}\n")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "setup.md").write_text("Nothing here.\n")
    assert public_secret(secret, tmp_path) is None
    (tmp_path / "docs" / "setup.md").write_text(f"Set SECRET_KEY={secret}\n")
    assert public_secret(secret, tmp_path) == "is written in docs/setup.md"
