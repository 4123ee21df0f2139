"""The virus scanner hook: with ``CLAMD_SOCKET`` set, every file is streamed to clamd over its
unix socket (the INSTREAM command) before it is accepted. An infected file is refused; a scanner
that cannot be reached or answers nonsense refuses the file too ("try again later") — a file is
never accepted unscanned while scanning is on. Without ``CLAMD_SOCKET`` nothing is scanned (the
documents' admin page says so)."""

from __future__ import annotations

import socket
import struct
from pathlib import Path

from flask import current_app

CHUNK = 64 * 1024


class Infected(Exception):
    """clamd found something; ``signature`` names it."""

    def __init__(self, signature: str) -> None:
        super().__init__(signature)
        self.signature = signature


class ScannerUnavailable(Exception):
    """clamd could not be asked or gave no clear answer."""


def scanning_socket() -> str | None:
    return current_app.config.get("CLAMD_SOCKET") or None


def scan(path: Path) -> None:
    """Return when the file is clean or scanning is off; raise ``Infected`` or
    ``ScannerUnavailable`` otherwise."""
    address = scanning_socket()
    if address is None:
        return
    timeout = float(current_app.config.get("CLAMD_TIMEOUT", 30))
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(timeout)
            conn.connect(address)
            conn.sendall(b"zINSTREAM\0")
            with path.open("rb") as f:
                while chunk := f.read(CHUNK):
                    conn.sendall(struct.pack("!L", len(chunk)) + chunk)
            conn.sendall(struct.pack("!L", 0))
            reply = b""
            while not reply.endswith(b"\0"):
                part = conn.recv(4096)
                if not part:
                    break
                reply += part
    except OSError as error:
        raise ScannerUnavailable(str(error)) from error
    answer = reply.rstrip(b"\0").decode("utf-8", "replace").strip()
    # "stream: OK", "stream: Eicar-Signature FOUND", "INSTREAM size limit exceeded. ERROR"
    if answer.endswith(" FOUND"):
        signature = answer.removeprefix("stream:").removesuffix("FOUND").strip()
        raise Infected(signature or "unknown")
    if answer != "stream: OK":
        raise ScannerUnavailable(answer or "no answer")
