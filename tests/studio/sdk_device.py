"""A device for the journey test: the Python SDK fetches the production rune, verifies it,
runs it on a WAV file and sends its telemetry. Prints {"label", "version"} as JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from rune.forge.sdk import Forge


def main() -> int:
    url, key, project, public_key, cache, wav = sys.argv[1:]
    with Forge(url, key, project, public_key, cache_dir=Path(cache), flush_seconds=0.2) as client:
        rune = client.rune("production")
        (output,) = rune.run({"audio": wav})
        (label,) = output.value
        assert client.telemetry is not None and client.telemetry.flush(20)
        print(json.dumps({"label": str(label), "version": rune.version}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
