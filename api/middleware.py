"""Pure ASGI middlewares of the service: a generic 500 for unexpected errors, a JSON body limit."""
from __future__ import annotations

import logging

from .errors import error_response

log = logging.getLogger("reportqa.api")


class CatchAllMiddleware:
    """Any unexpected exception → 500 with the error shape and a generic message (traceback logged)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False

        async def _send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, _send)
        except Exception:
            log.exception("unhandled error in %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            response = error_response(500, "internal_error",
                                      "服务器内部错误，请稍后重试 / internal server error, please retry later")
            await response(scope, receive, send)


class BodyLimitMiddleware:
    """JSON endpoints: refuse bodies above `limit` bytes with 413 (Content-Length or counted).

    The upload endpoint (`exempt`) enforces its own, larger limit while it streams the file."""

    def __init__(self, app, limit: int, exempt: tuple[tuple[str, str], ...] = ()):
        self.app, self.limit, self.exempt = app, limit, set(exempt)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or (scope.get("method"), scope.get("path")) in self.exempt:
            return await self.app(scope, receive, send)
        too_large = error_response(413, "payload_too_large",
                                   f"请求体过大（上限 {self.limit // 1024} KB）/ request body too large "
                                   f"(limit {self.limit // 1024} KB)")
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    if int(value) > self.limit:
                        return await too_large(scope, receive, send)
                except ValueError:
                    return await error_response(400, "bad_request", "Content-Length 无效 / invalid Content-Length")(
                        scope, receive, send)
        # Read the whole (small) body first, counting; then replay it to the app.
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            size += len(body)
            if size > self.limit:
                return await too_large(scope, receive, send)
            chunks.append(body)
            if not message.get("more_body", False):
                break
        replay = [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]

        async def _receive():
            if replay:
                return replay.pop()
            return await receive()

        await self.app(scope, _receive, send)
