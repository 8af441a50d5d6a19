"""How the WarmEngine and its worker talk: length-prefixed JSON over a Unix socket.

Each message is a 4-byte big-endian length and that many bytes of UTF-8 JSON.
A check request also carries file descriptors (SCM_RIGHTS): the pipe the
child writes its output to and, when someone follows the live series, the
pipe for its points. Descriptors travel with the bytes of the message they
belong to, and every check request says how many it carries ("fds"), so the
receiver hands them out to messages in arrival order.

Engine -> worker:  {"type": "check", "id", "fds", and the request of `childstart`}
                   {"type": "end", "id"}  (its time is up: the worker, which
                   holds the child, kills it; the engine never signals it)
Worker -> engine:  {"type": "ready", "pid", "threads"} | {"type": "failed", "message"}
                   {"type": "started", "id", "pid"}
                   {"type": "exited", "id", "returncode", "cpu"}
                   {"type": "error", "id", "message"}
"""

from __future__ import annotations

import array
import json
import socket
import struct
from collections import deque
from typing import Any

_HEADER = struct.Struct(">I")
# Starts each line the grade's witness (child/guard.py) writes to a check's
# output; the runner takes those lines out (host/evidence.py).
GUARD_MARK = b"\x1etorchlings-witness "
_CHUNK = 65536


def encode(message: dict[str, Any]) -> bytes:
    body = json.dumps(message).encode("utf-8")
    return _HEADER.pack(len(body)) + body


# A peer that died must give an OSError (EPIPE), never a SIGPIPE.
_FLAGS = getattr(socket, "MSG_NOSIGNAL", 0)


def send(sock: socket.socket, message: dict[str, Any], fds: list[int] | None = None) -> None:
    data = encode(message)
    if fds:
        ancillary = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))]
        sent = sock.sendmsg([data], ancillary, _FLAGS)
        data = data[sent:]
    if data:
        sock.sendall(data, _FLAGS)


class Reader:
    """Reassembles messages (and their descriptors) from a stream socket."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buffer = bytearray()
        self._fds: deque[int] = deque()

    def held_fds(self) -> list[int]:
        """Descriptors received for messages that are not complete yet."""
        return list(self._fds)

    def read_available(self) -> list[tuple[dict[str, Any], list[int]]]:
        """One receive; every message it completes. EOFError when the peer is gone."""
        fd_space = socket.CMSG_SPACE(16 * array.array("i").itemsize)
        data, ancillary, _flags, _addr = self._sock.recvmsg(_CHUNK, fd_space)
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                received = array.array("i")
                received.frombytes(payload[: len(payload) - len(payload) % received.itemsize])
                self._fds.extend(received)
        if not data:
            raise EOFError
        self._buffer += data
        messages = []
        while len(self._buffer) >= _HEADER.size:
            (length,) = _HEADER.unpack_from(self._buffer)
            if len(self._buffer) < _HEADER.size + length:
                break
            body = bytes(self._buffer[_HEADER.size : _HEADER.size + length])
            del self._buffer[: _HEADER.size + length]
            message: dict[str, Any] = json.loads(body)
            wanted = int(message.get("fds", 1)) if message.get("type") == "check" else 0
            fds = [self._fds.popleft() for _ in range(min(wanted, len(self._fds)))]
            messages.append((message, fds))
        return messages
