"""A fork server for `runec`, so that the peer harness compiles ~40 Runefiles in seconds.

Started once per pytest session as `python runec_server.py`, it imports the compiler (about a
second, most of what a `runec` command costs) and then, for each request (one JSON line on
stdin: args, cwd, stdout and stderr file paths), forks a child that does what the `runec`
console script does: `sys.exit(rune.tools.runec.main(args))`, with its stdout and stderr going
to the given files. Every compile still runs in a process of its own, starting from the state
right after import; the answer is one JSON line, {"returncode": N}.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import traceback

TIMEOUT_S = 300


def main() -> None:
    import rune.tools.compiler  # noqa: F401 - runec loads it lazily; the children share it
    from rune.tools.runec import main as runec_main

    for line in sys.stdin:
        job = json.loads(line)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _child(runec_main, job)
        _, status = os.waitpid(pid, 0)
        print(json.dumps({"returncode": os.waitstatus_to_exitcode(status)}), flush=True)


def _child(runec_main, job: dict) -> None:
    code = 1
    try:
        signal.alarm(TIMEOUT_S)
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        os.dup2(os.open(job["stdout"], flags, 0o644), 1)
        os.dup2(os.open(job["stderr"], flags, 0o644), 2)
        os.chdir(job["cwd"])
        sys.argv = ["runec", *job["args"]]
        code = runec_main(job["args"])
    except SystemExit as exc:  # argparse (usage errors, --help)
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # what the console script would print: a traceback, exit 1
        traceback.print_exc()
        code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


if __name__ == "__main__":
    main()
