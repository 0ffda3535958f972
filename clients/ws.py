"""A minimal graphql-transport-ws client: one ``asyncio.Protocol`` per socket, so that ten
thousand idle connections cost the benchmark almost nothing, and a frame's arrival is timed in
the callback that reads it (no per-connection task, no queue in between)."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import struct
import time
from collections.abc import Callable
from typing import Any, cast

PROTOCOL = "graphql-transport-ws"
TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA

OnNext = Callable[["Connection", dict[str, Any], float], None]


def _frame(opcode: int, payload: bytes) -> bytes:
    """A masked client frame (RFC 6455 requires clients to mask)."""
    mask = os.urandom(4)
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", 0x80 | opcode, 0x80 | length)
    elif length < 1 << 16:
        header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, length)
    repeated = (mask * (length // 4 + 1))[:length]
    masked = (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(length, "big")
    return header + mask + masked


class Connection(asyncio.Protocol):
    """One device of one parent: handshake, ``connection_init`` with the token, one
    subscription; every ``next`` message is handed to ``on_next`` with its arrival time."""

    def __init__(
        self, host: str, port: int, token: str, query: str, variables: dict[str, Any], on_next: OnNext, tag: Any
    ) -> None:
        self.host, self.port, self.token, self.query, self.variables = host, port, token, query, variables
        self.on_next = on_next
        self.tag = tag
        self.transport: asyncio.Transport | None = None
        self.buffer = b""
        self.upgraded = False
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.errors: list[Any] = []

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        key = base64.b64encode(os.urandom(16)).decode()
        self.transport.write(
            (
                f"GET /graphql HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                f"Sec-WebSocket-Protocol: {PROTOCOL}\r\n\r\n"
            ).encode()
        )

    def data_received(self, data: bytes) -> None:
        now = time.time()
        self.buffer += data
        if not self.upgraded:
            head, sep, rest = self.buffer.partition(b"\r\n\r\n")
            if not sep:
                return
            if b" 101 " not in head.split(b"\r\n", 1)[0]:
                self._fail(f"handshake refused: {head[:200]!r}")
                return
            self.upgraded = True
            self.buffer = rest
            self.send({"type": "connection_init", "payload": {"Authorization": f"Bearer {self.token}"}})
        while True:
            frame = self._next_frame()
            if frame is None:
                return
            opcode, payload = frame
            if opcode == TEXT:
                self._message(json.loads(payload), now)
            elif opcode == PING:
                self._write(PONG, payload)
            elif opcode == CLOSE:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                self._fail(f"closed by the server: {code} {payload[2:].decode(errors='replace')}")
                return

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(f"connection lost: {exc}")

    # graphql-transport-ws

    def _message(self, message: dict[str, Any], now: float) -> None:
        kind = message.get("type")
        if kind == "connection_ack":
            self.send({"id": "1", "type": "subscribe", "payload": {"query": self.query, "variables": self.variables}})
        elif kind == "ping":
            self.send({"type": "pong"})
        elif kind == "next":
            payload = message.get("payload") or {}
            if payload.get("errors"):
                self.errors.append(payload["errors"])
            else:
                self.on_next(self, payload.get("data") or {}, now)
            # The first event (a replay after the cursor given) proves the subscription is in place.
            if not self.ready.done():
                self.ready.set_result(None)
        elif kind in ("error", "complete"):
            self.errors.append(message)

    def send(self, message: dict[str, Any]) -> None:
        self._write(TEXT, json.dumps(message, separators=(",", ":")).encode())

    def _write(self, opcode: int, payload: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(_frame(opcode, payload))

    def _next_frame(self) -> tuple[int, bytes] | None:
        buf = self.buffer
        if len(buf) < 2:
            return None
        opcode, length = buf[0] & 0x0F, buf[1] & 0x7F
        offset = 2
        if length == 126:
            if len(buf) < 4:
                return None
            length, offset = struct.unpack("!H", buf[2:4])[0], 4
        elif length == 127:
            if len(buf) < 10:
                return None
            length, offset = struct.unpack("!Q", buf[2:10])[0], 10
        if len(buf) < offset + length:
            return None
        self.buffer = buf[offset + length :]
        return opcode, buf[offset : offset + length]

    def _fail(self, reason: str) -> None:
        if not self.ready.done():
            self.ready.set_exception(ConnectionError(reason))
        if not self.closed.done():
            self.closed.set_result(reason)
        if self.transport is not None:
            self.transport.close()

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self._write(CLOSE, struct.pack("!H", 1000))
            self.transport.close()
        if not self.closed.done():
            self.closed.set_result("closed by the client")


async def connect(
    host: str,
    port: int,
    token: str,
    query: str,
    variables: dict[str, Any],
    on_next: OnNext,
    tag: Any = None,
    wait: float = 60.0,
) -> Connection:
    """An open, acknowledged connection whose subscription is in place: it has received its
    first event (subscribe with an ``after`` cursor that has events after it)."""
    loop = asyncio.get_running_loop()
    _transport, protocol = await loop.create_connection(
        lambda: Connection(host, port, token, query, variables, on_next, tag), host, port
    )
    await asyncio.wait_for(asyncio.shield(protocol.ready), wait)
    return protocol
