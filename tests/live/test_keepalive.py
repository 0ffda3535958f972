"""Keepalive pings of open sockets (schema/websocket.py ``Keepalive``): every socket is pinged
every ``ws_ping_interval``, a peer that stops answering is closed after ``ws_ping_timeout``,
and no socket holds a timer of its own while it waits for its next ping."""

from __future__ import annotations

import asyncio
import base64
import os
import struct
from collections.abc import AsyncIterator
from typing import Any

import pytest
import uvicorn
from websockets.asyncio.client import connect

from schema.websocket import WebSocketProtocol, keepalive

INTERVAL = 0.4
TIMEOUT = 0.6


async def _held_open(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """An ASGI app that accepts a socket and keeps it open until the client leaves."""
    assert scope["type"] == "websocket"
    await receive()
    await send({"type": "websocket.accept"})
    while (await receive())["type"] != "websocket.disconnect":
        pass


@pytest.fixture
async def served() -> AsyncIterator[tuple[int, list[WebSocketProtocol]]]:
    """The app on a free port with short keepalive settings, and the protocols it made."""
    made: list[WebSocketProtocol] = []

    class Recorded(WebSocketProtocol):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            made.append(self)

    config = uvicorn.Config(
        _held_open,
        host="127.0.0.1",
        port=0,
        lifespan="off",
        log_level="warning",
        ws=Recorded,
        ws_ping_interval=INTERVAL,
        ws_ping_timeout=TIMEOUT,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield server.servers[0].sockets[0].getsockname()[1], made
    finally:
        server.should_exit = True
        await task


async def _silent_peer(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A client that completes the handshake and then never answers a ping."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        (
            f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 101")
    return reader, writer


async def _frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """One unmasked server frame: (opcode, payload)."""
    first, second = await reader.readexactly(2)
    size = second & 0x7F
    if size == 126:
        size = struct.unpack("!H", await reader.readexactly(2))[0]
    return first & 0x0F, await reader.readexactly(size)


async def test_a_peer_that_answers_is_pinged_again_and_again_and_stays_open(
    served: tuple[int, list[WebSocketProtocol]],
) -> None:
    port, made = served
    async with connect(f"ws://127.0.0.1:{port}/", ping_interval=None) as client:
        while not made:
            await asyncio.sleep(0.01)
        protocol = made[0]
        rtts: set[float] = set()
        # Pings go out in whole seconds (at most one late): two answered ones within a few.
        for _ in range(int(6 / 0.05)):
            if len(rtts) >= 2:
                break
            await asyncio.sleep(0.05)
            if protocol.last_ping_rtt:
                rtts.add(protocol.last_ping_rtt)
            # Between pings it waits in the loop's Keepalive, with no timer of its own.
            if protocol.pending_ping_payload is None:
                assert protocol.ping_timer is None
                assert protocol.keepalive_due is not None
        assert len(rtts) >= 2  # answered pings, one after another
        assert client.state.name == "OPEN"


async def test_a_peer_that_stops_answering_is_closed_after_the_timeout(
    served: tuple[int, list[WebSocketProtocol]],
) -> None:
    port, _made = served
    reader, writer = await _silent_peer(port)
    try:
        opcode, _payload = await asyncio.wait_for(_frame(reader), INTERVAL + 3)
        assert opcode == 0x9  # a ping, which this peer leaves unanswered
        opcode, payload = await asyncio.wait_for(_frame(reader), TIMEOUT + 3)
        assert opcode == 0x8  # then a close: 1011, keepalive ping timeout
        assert struct.unpack("!H", payload[:2])[0] == 1011
    finally:
        writer.close()


async def test_closed_sockets_leave_the_keepalive(served: tuple[int, list[WebSocketProtocol]]) -> None:
    port, made = served
    for _ in range(3):
        async with connect(f"ws://127.0.0.1:{port}/", ping_interval=None):
            pass
    # Long before their next ping would have been due, closed sockets are no longer held.
    for _ in range(int(INTERVAL / 0.02 / 2)):
        if len(made) == 3 and all(p.transport.is_closing() for p in made):
            break
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.02)
    assert len(made) == 3
    waiting = {p for members in keepalive(asyncio.get_running_loop()).due.values() for p in members}
    assert not waiting & set(made)
    assert all(p.keepalive_due is None for p in made)
