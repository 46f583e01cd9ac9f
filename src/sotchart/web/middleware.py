"""ASGI middleware: a cap on request size, and security headers on every answer."""

from __future__ import annotations

import json
import time
from typing import Any

Scope = dict[str, Any]

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cache-control", b"no-store"),  # charts must not linger in shared browser caches
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        b"frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    ),
]


class BodyLimit:
    """Refuses bodies over the limit with 413 before they reach a handler, whether or not they say their size."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await _too_large(send, self.max_bytes)
            return
        seen = 0
        sent_start = False

        async def limited_receive() -> Any:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge()
            return message

        async def tracking_send(message: Any) -> None:
            nonlocal sent_start
            if message["type"] == "http.response.start":
                sent_start = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not sent_start:
                await _too_large(send, self.max_bytes)


class _TooLarge(Exception):
    pass


async def _too_large(send: Any, limit: int) -> None:
    body = json.dumps(
        {
            "type": "about:blank",
            "title": "Too large",
            "status": 413,
            "detail": f"The request is larger than {limit:,} bytes. Shorten the text or send a smaller file.",
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                *SECURITY_HEADERS,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class SecurityHeaders:
    """The headers above on every answer; with HTTPS (secure cookies), also HSTS, so a browser that has
    seen the clinic's address once never sends a session over plain HTTP again."""

    def __init__(self, app: Any, hsts: bool = False) -> None:
        self.app = app
        self.headers = [*SECURITY_HEADERS, *([(b"strict-transport-security", b"max-age=31536000")] if hsts else [])]

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def add_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [h for h in self.headers if h[0] not in names]
            await send(message)

        await self.app(scope, receive, add_headers)


class ServerTiming:
    """Adds `Server-Timing: app;dur=…` (milliseconds to the first byte of the answer), so the browser,
    the benchmarks and a clinic's proxy logs can see how long the server itself took."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()

        async def timed(message: Any) -> None:
            if message["type"] == "http.response.start":
                ms = (time.perf_counter() - start) * 1000
                message["headers"] = [*message.get("headers", []), (b"server-timing", f"app;dur={ms:.1f}".encode())]
            await send(message)

        await self.app(scope, receive, timed)


class TabletLock:
    """A browser that holds the patient's tablet cookie reaches only the tablet's pages (and their files):
    any other address, typed, bookmarked or reached with Back, leads to /tablet. The cookie's name is all it
    reads, so the check costs nothing; /tablet itself decides whether the session is still alive, and
    clears the cookie when it is not, so the tablet returns to the desk's hands."""

    ALLOWED = ("/tablet", "/static/", "/healthz")

    def __init__(self, app: Any, cookie: str) -> None:
        self.app = app
        self.marker = cookie.encode() + b"="

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.ALLOWED) or not self._holds(scope):
            await self.app(scope, receive, send)
            return
        await send(
            {
                "type": "http.response.start",
                "status": 303,
                "headers": [(b"location", b"/tablet"), (b"content-length", b"0"), *SECURITY_HEADERS],
            }
        )
        await send({"type": "http.response.body", "body": b""})

    def _holds(self, scope: Scope) -> bool:
        for name, value in scope.get("headers", []):
            if name == b"cookie" and any(part.strip().startswith(self.marker) for part in value.split(b";")):
                return True
        return False
