"""Real processes for the fault tests: a private redis-server a test may kill and restart,
and ``server.py serve`` subprocesses on the test database (each one a production server)."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from edge.settings import Settings
from tests.conftest import TEST_SECRET
from tests.helpers import free_port

ROOT = Path(__file__).resolve().parents[1]


def _wait_for_port(port: int, what: str) -> None:
    for _ in range(200):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not start on port {port}")


class RedisServer:
    """A private redis-server (no persistence) that a test may kill and start again on the
    same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary is not None
        self.process = subprocess.Popen(  # noqa: S603 - a fixed command line
            [binary, "--port", str(self.port), "--save", "", "--appendonly", "no", "--bind", "127.0.0.1"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_for_port(self.port, "redis-server")

    def kill(self) -> None:
        """SIGKILL: no goodbye to its clients, every connection just breaks."""
        assert self.process is not None
        self.process.kill()
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.kill()


class ServerProcess:
    """``python server.py serve`` on the test database, in production mode; its output is kept
    and written to stderr when it stops (pytest shows it when a test failed)."""

    def __init__(self, settings: Settings, redis_url: str | None = None, **env: str) -> None:
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "DATABASE_URL": settings.database_url,
            "REDIS_URL": (settings.redis_url or "") if redis_url is None else redis_url,
            "SECRET_KEY": TEST_SECRET,
            "EDIARY_ENV": "production",
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            # The suite mutates as the same few users, and with Redis the counters are shared.
            "EDIARY_MUTATIONS_PER_USER": "0",
            "EDIARY_MUTATIONS_PER_ADDRESS": "0",
            "EDIARY_LOGINS_PER_ADDRESS": "0",
            **env,
        }
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "server.py", "serve"], cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    async def ready(self) -> None:
        """Within 60 s: the import alone takes a few CPU seconds, and CI runs suites side by
        side on two CPUs."""
        async with httpx.AsyncClient() as client:
            for _ in range(600):
                if self.process.poll() is not None:
                    pytest.fail(f"server at {self.address} exited with {self.process.returncode}: {self.output()}")
                try:
                    if (await client.get(f"http://{self.address}/readyz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        pytest.fail(f"server at {self.address} did not become ready: {self.output()}")

    def rss_bytes(self) -> int:
        """Resident memory of the process (Linux)."""
        with open(f"/proc/{self.pid}/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        sys.stderr.write(self.output())
        self.log.close()
