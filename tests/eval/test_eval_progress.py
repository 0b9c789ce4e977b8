"""On a terminal, `rune eval` draws a progress bar on stderr (tqdm); piped, it draws none."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import struct
import subprocess
import termios
from pathlib import Path

from evalkit import BIN


def test_progress_bar_on_a_terminal_only(microspeech: Path, clips: Path, tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    argv = [BIN / "rune", "eval", microspeech, clips, "--workers", "0", "-o", report]
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # 100 columns
    with subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=follower) as process:  # fmt: skip
        os.close(follower)
        drawn = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal closed with the process
                break
            if not chunk:
                break
            drawn += chunk
        out = process.stdout.read() if process.stdout else b""
    os.close(leader)
    assert process.returncode == 0 and out == b""
    text = drawn.decode(errors="replace")
    assert "0/400 [" in text and "example/s" in text
    assert re.search(r"\b[1-9][0-9]?%\|", text)  # it moved (the finished bar is cleared)
    assert json.loads(report.read_text())["dataset"]["examples"] == 400
    piped = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    assert piped.returncode == 0 and piped.stderr == ""
