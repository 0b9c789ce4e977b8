"""The OpenAPI document, checked in as docs/forge.openapi.json (`make forge-openapi`).

`python -m rune.forge.server.openapi [FILE]` writes it; a test keeps the checked-in copy current.
"""

from __future__ import annotations

import json
import secrets
import sys
import tempfile
from pathlib import Path
from typing import Any

from .app import create_app
from .config import Settings
from .sealing import SealingKey


def spec() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as data:
        throwaway = SealingKey(secrets.token_bytes(32))  # the document does not depend on it
        return create_app(Settings(data_dir=Path(data)), throwaway).openapi()


def render() -> str:
    return json.dumps(spec(), indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    text = render()
    if args:
        Path(args[0]).write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
