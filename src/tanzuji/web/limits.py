"""Request size limit (``web_max_request_bytes``): a body over it is refused with 413.

A declared ``Content-Length`` over the limit is refused before anything is read; a body sent
without one (chunked) is counted while the application reads it and refused as soon as it
passes the limit. Either way the answer is the one JSON error shape.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tanzuji.web.errors import error_body


class RequestTooLarge(Exception):
    """Raised inside ``receive`` when a streamed body passes the limit."""


class SizeLimit:
    """ASGI middleware refusing request bodies larger than ``max_bytes``."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                size = -1
            if size > self.max_bytes:
                await self._refuse(send, size)
                return
        seen = 0
        too_large = False
        refused = False

        async def counting_receive() -> Message:
            nonlocal seen, too_large
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    too_large = True
                    raise RequestTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            # the application may turn the exception into its own error answer (a body it
            # could not parse): answer 413 instead
            nonlocal refused
            if too_large:
                if not refused:
                    refused = True
                    await self._refuse(send, seen)
                return
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except RequestTooLarge:
            if not refused:
                refused = True
                await self._refuse(send, seen)

    async def _refuse(self, send: Send, size: int) -> None:
        what = f"{size} bytes" if size >= 0 else "a body of unknown size"
        body = error_body(
            "request_too_large",
            413,
            f"the request body has {what}; at most {self.max_bytes} bytes are accepted "
            "(setting web_max_request_bytes) / 请求体过大",
            details={"max_bytes": self.max_bytes},
        )
        payload = json.dumps(body, ensure_ascii=False).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})


__all__ = ["RequestTooLarge", "SizeLimit"]
