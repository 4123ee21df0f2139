"""A gunicorn access log that never writes secrets.

Query strings are dropped, path segments that look like tokens (invitation and password-reset
links carry one) are replaced by ``[redacted]``, and of the request headers only a few harmless
ones may be put in the format. The referrer is reduced the same way as the request path.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from gunicorn.glogging import Logger

REDACTED = "[redacted]"
# Tokens are ``secrets.token_urlsafe`` strings (43 characters); no route of the portal has a
# segment of 20 or more URL-safe characters without a dot, so this catches tokens only.
_TOKEN_SEGMENT = re.compile(r"[A-Za-z0-9_\-]{20,}")
# Request headers a format may use as ``%({name}i)s``; cookies and authorisation never.
SAFE_HEADERS = ("x-forwarded-for", "x-forwarded-proto", "x-request-id", "hx-request")


def redact_path(path: str | None) -> str:
    """The path without its query string and with token-like segments replaced."""
    if not path:
        return "-"
    path = path.split("?", 1)[0]
    return "/".join(REDACTED if _TOKEN_SEGMENT.fullmatch(seg) else seg for seg in path.split("/"))


def redact_referrer(referrer: str | None) -> str:
    if not referrer or referrer == "-":
        return "-"
    parts = urlsplit(referrer)
    origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
    return origin + redact_path(parts.path or "/")


class RedactingLogger(Logger):
    """gunicorn's logger with the request line, path and referrer redacted."""

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        path = redact_path(environ.get("RAW_URI") or environ.get("PATH_INFO"))
        safe = {
            key: atoms[key]
            for key in ("h", "l", "u", "t", "s", "m", "H", "b", "B", "a", "T", "D", "M", "L", "p")
            if key in atoms
        }
        method = environ.get("REQUEST_METHOD", "-")
        safe["r"] = f"{method} {path} {environ.get('SERVER_PROTOCOL', '-')}"
        safe["U"] = path
        safe["q"] = "-"
        safe["f"] = redact_referrer(environ.get("HTTP_REFERER"))
        for name in SAFE_HEADERS:
            key = f"{{{name}}}i"
            if key in atoms:
                safe[key] = atoms[key]
        return safe
