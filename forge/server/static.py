"""The studio's built files (studio/dist, `make studio`) served at `/`, with the single-page
app's fallback: any other path that is not the API's gets index.html."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, Response

from .problems import ProblemError

STUDIO_DIST = Path(__file__).resolve().parents[2] / "studio" / "dist"


def install(app: FastAPI, dist: Path = STUDIO_DIST) -> None:
    root = dist.resolve()

    @app.get("/{path:path}", include_in_schema=False)
    def studio(path: str) -> Response:
        if path.startswith(("v1/", "docs", "openapi.json")) or path == "v1":
            raise ProblemError(404, f"no route /{path}")
        index = root / "index.html"
        if not index.is_file():
            raise ProblemError(404, "the studio is not built (run `make studio`)")
        target = (root / path).resolve()
        if path and target.is_relative_to(root) and target.is_file():
            return FileResponse(target)
        return FileResponse(index, headers={"cache-control": "no-cache"})
