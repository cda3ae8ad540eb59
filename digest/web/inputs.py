"""NUL bytes in a URL are refused at the door (400): no skill, search or slug holds one, and PostgreSQL
cannot even compare a text with one (it would be a 500 deep in a query)."""

from __future__ import annotations

from starlette.responses import JSONResponse, PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from digest.web.errors import machine_path

MESSAGE = "The address of this request holds a NUL byte (%00); no page or search does."


class RefuseNulBytes:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and ("\x00" in scope["path"] or b"%00" in scope.get("query_string", b"")):
            if machine_path(scope["path"]):
                response: JSONResponse | PlainTextResponse = JSONResponse({"detail": MESSAGE}, status_code=400)
            else:
                response = PlainTextResponse(MESSAGE, status_code=400)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
