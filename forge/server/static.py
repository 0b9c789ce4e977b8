"""The studio's built files (studio/dist, `make studio`) served at `/`, with the single-page
app's fallback: a GET for any path outside the API gets the file, else index.html.

An ASGI wrapper rather than a catch-all route, so the API's routing (its 404s and 405s with
their `Allow` lists) is exactly what it would be without the studio."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.responses import FileResponse, PlainTextResponse

STUDIO_DIST = Path(__file__).resolve().parents[2] / "studio" / "dist"
API_PREFIXES = ("/v1/", "/docs", "/redoc", "/openapi.json")


class StudioFiles:
    def __init__(self, app: Any, dist: Path = STUDIO_DIST) -> None:
        self.app, self.root = app, dist.resolve()

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if (scope["type"] != "http" or scope["method"] not in ("GET", "HEAD") or path == "/v1"
                or path.startswith(API_PREFIXES)):
            await self.app(scope, receive, send)
            return
        index = self.root / "index.html"
        if not index.is_file():
            response: Any = PlainTextResponse("the studio is not built (run `make studio`)", 404)
        else:
            target = (self.root / path.lstrip("/")).resolve()
            if path != "/" and target.is_relative_to(self.root) and target.is_file():
                response = FileResponse(target)
            else:
                response = FileResponse(index, headers={"cache-control": "no-cache"})
        await response(scope, receive, send)
