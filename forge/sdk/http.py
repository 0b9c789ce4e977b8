"""A minimal HTTP client on urllib (no dependencies), shared by the SDK and the `forge` CLI."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import Message
from typing import Any

from .errors import ForgeHTTPError, ForgeUnavailable

USER_AGENT = "rune-forge-sdk/1"


@dataclass
class Response:
    status: int
    headers: Message
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def request(method: str, url: str, key: str | None, *, json_body: Any = None,
            data: bytes | None = None, headers: dict[str, str] | None = None,
            timeout: float = 30.0) -> Response:
    """Send one request. 2xx and 304 are returned; other statuses raise ForgeHTTPError with the
    problem's detail; connection failures raise ForgeUnavailable."""
    all_headers = {"User-Agent": USER_AGENT, **(headers or {})}
    if key:
        all_headers["Authorization"] = f"Bearer {key}"
    if json_body is not None:
        data = json.dumps(json_body).encode()
        all_headers["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=data, method=method, headers=all_headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 (http/https only)
            return Response(resp.status, resp.headers, resp.read())
    except urllib.error.HTTPError as exc:
        body = exc.read()
        if exc.code == 304:
            return Response(304, exc.headers, body)
        raise ForgeHTTPError(exc.code, _detail(body, exc.reason)) from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ForgeUnavailable(f"cannot reach {url}: {reason}") from None


def _detail(body: bytes, reason: str) -> str:
    try:
        problem = json.loads(body)
        return str(problem.get("detail") or problem.get("title") or reason)
    except (ValueError, AttributeError):
        return str(reason)
