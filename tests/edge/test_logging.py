"""Structured logs: with LOG_FORMAT=json every line, the application's and uvicorn's access
and error lines alike, is one JSON object with time, level, logger, message, request_id and
exception."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import sys
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest
import uvicorn

from edge.logs import JsonFormatter, configure_logging
from edge.settings import ConfigurationError, Settings
from tests.conftest import TEST_SECRET

FIELDS = {"time", "level", "logger", "message", "request_id", "exception"}


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """configure_logging replaces the root's handlers: put pytest's back afterwards."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    uvicorn_saved = {
        name: (list(logging.getLogger(name).handlers), logging.getLogger(name).propagate, logging.getLogger(name).level)
        for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
    }
    try:
        yield
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        for name, (handlers, propagate, level) in uvicorn_saved.items():
            logger = logging.getLogger(name)
            logger.handlers[:] = handlers
            logger.propagate = propagate
            logger.setLevel(level)


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_a_record_is_one_json_line_with_every_field() -> None:
    logger = logging.getLogger("ediary.test")
    try:
        raise ValueError("boom\nsecond line")
    except ValueError:
        record = logger.makeRecord("ediary.test", logging.ERROR, __file__, 1, "failed %s", ("twice",), sys.exc_info())
    record.request_id = "req-123"
    text = JsonFormatter().format(record)
    assert "\n" not in text
    line = json.loads(text)
    assert line.keys() >= FIELDS
    assert line["level"] == "ERROR"
    assert line["logger"] == "ediary.test"
    assert line["message"] == "failed twice"
    assert line["request_id"] == "req-123"
    assert "ValueError: boom" in line["exception"]
    assert datetime.fromisoformat(line["time"]).utcoffset() is not None


def test_request_id_is_empty_outside_a_request() -> None:
    record = logging.getLogger("ediary").makeRecord("ediary", logging.INFO, __file__, 1, "hello", (), None)
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == ""
    assert line["exception"] is None


async def test_uvicorn_access_and_error_lines_are_json(app: Any, restore_logging: None) -> None:
    stream = io.StringIO()
    configure_logging("json", stream=stream)
    config = uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", log_config=None, log_level="info")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            assert (await http.get("/healthz?probe=1")).status_code == 200
            assert (await http.get("/nowhere")).status_code == 404
        logging.getLogger("ediary").warning("application line %d", 7)
    finally:
        server.should_exit = True
        await task
    lines = _lines(stream)
    assert lines, "nothing was logged"
    for line in lines:
        assert line.keys() >= FIELDS, line
    access = [line for line in lines if line["logger"] == "uvicorn.access"]
    health = next(a for a in access if a["path"] == "/healthz?probe=1")
    assert (health["method"], health["status"], health["level"]) == ("GET", 200, "INFO")
    assert health["client"].startswith("127.0.0.1:")
    assert any(a["path"] == "/nowhere" and a["status"] == 404 for a in access)
    assert any(line["logger"] == "uvicorn.error" and "running on" in line["message"].lower() for line in lines)
    assert {"logger": "ediary", "message": "application line 7", "level": "WARNING"}.items() <= next(
        line for line in lines if line["logger"] == "ediary"
    ).items()


def test_text_format_is_plain(restore_logging: None) -> None:
    stream = io.StringIO()
    configure_logging("text", stream=stream)
    logging.getLogger("ediary").info("plain %s", "words")
    output = stream.getvalue()
    assert "INFO ediary plain words" in output
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        configure_logging("xml")


def test_log_format_defaults_to_json_in_production_only() -> None:
    secret = TEST_SECRET
    assert Settings.from_env({"EDIARY_ENV": "production", "SECRET_KEY": secret}).log_format == "json"
    assert Settings.from_env({"SECRET_KEY": secret}).log_format == "text"
    assert Settings.from_env({"SECRET_KEY": secret, "LOG_FORMAT": "json"}).log_format == "json"
    with pytest.raises(ConfigurationError, match="LOG_FORMAT"):
        Settings.from_env({"SECRET_KEY": secret, "LOG_FORMAT": "yaml"})
