"""The `forge` command on bad input: one `forge: error: ...` line and a non-zero exit."""

from __future__ import annotations

import os
import re
import subprocess

import pytest
from forgekit import FORGE, free_port


def forge(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("FORGE_")}
    return subprocess.run([*FORGE, *args], capture_output=True, text=True, timeout=60,
                          env={**base, **(env or {})})


DEAD = {"FORGE_URL": f"http://127.0.0.1:{free_port()}", "FORGE_KEY": "fk_a_b",
        "FORGE_PROJECT": "p"}


@pytest.mark.parametrize(("args", "env", "message"), [
    (("channels",), {}, "forge: error: no server URL: pass --url or set FORGE_URL"),
    (("channels", "--url", "http://x"), {}, "forge: error: no API key: pass --key or set "
     "FORGE_KEY"),
    (("channels",), {"FORGE_URL": "http://x", "FORGE_KEY": "k"},
     "forge: error: no project: pass --project or set FORGE_PROJECT"),
    (("push", "/nonexistent/folder"), DEAD,
     "forge: error: /nonexistent/folder: not a folder (push a folder holding a Runefile)"),
    (("deploy", "seven", "production"), DEAD,
     "forge: error: not a version number: 'seven' (use 3 or v3)"),
    (("channels",), DEAD, f"forge: error: cannot reach {DEAD['FORGE_URL']}/v1/projects/p/"
     "channels: [Errno 111] Connection refused"),
    (("db", "upgrade", "--database-url", f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/x"),
     {}, "forge: error: cannot use the database: connection failed: connection to server at "
     '"127.0.0.1", port PORT failed: Connection refused'),
    (("db", "upgrade", "--database-url", "mysql://x/y"), {},
     "forge: error: unsupported database 'mysql': use sqlite:///path or "
     "postgresql+psycopg://..."),
])
def test_bad_input_is_one_clear_error(args: tuple[str, ...], env: dict[str, str],
                                      message: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    done = forge(*args, "--data", str(tmp_path), env=env) if args[0] == "db" else \
        forge(*args, env=env)
    assert done.returncode == 1
    assert re.sub(r"port \d+", "port PORT", done.stderr.strip()) == message
    assert "Traceback" not in done.stderr
