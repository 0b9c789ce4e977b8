"""`forge`: run the server and workers, and drive a server over its HTTP API.

Server side: `forge serve`, `forge worker`, `forge db upgrade|server-key`.
Client side (the same API as the SDK and the studio; `--url`/`FORGE_URL`, `--key`/`FORGE_KEY`):
`forge projects`, `forge keys`, `forge push`, `forge builds`, `forge versions`, `forge deploy`,
`forge promote`, `forge rollback`, `forge history`, `forge telemetry`.
Every failure is one line `forge: error: ...` and a non-zero exit.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
import urllib.parse
import uuid
from pathlib import Path
from typing import Any

from rune.forge.sdk import http
from rune.forge.sdk.errors import ForgeError


class CLIError(Exception):
    pass


# -- server side ------------------------------------------------------------------------------

def _settings(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from rune.forge.server.config import MIB, Settings

    data = Path(args.data).resolve()
    data.mkdir(parents=True, exist_ok=True)
    key_file = Path(args.signing_key_file).resolve() if args.signing_key_file else None
    return Settings(data_dir=data, database_url=args.database_url or None,
                    signing_key_file=key_file,
                    max_upload_bytes=int(getattr(args, "max_upload_mb", 64) * MIB))


def _engine(settings):  # type: ignore[no-untyped-def]
    from rune.forge.server.db import DatabaseURLError, make_engine

    try:
        return make_engine(settings.url)
    except DatabaseURLError as exc:
        raise CLIError(str(exc)) from None


def _prepare(settings):  # type: ignore[no-untyped-def]
    """The engine and sealing key, with the database migrated and the key checked against it."""
    from rune.forge.server import sealing
    from rune.forge.server.db import upgrade

    engine = _engine(settings)
    path = settings.sealing_key_path
    try:
        key = sealing.ensure(path, engine)
        upgrade(engine, sealing_key=key)
        sealing.check(engine, key, path)
    except sealing.SealingError as exc:
        raise CLIError(str(exc)) from None
    return engine, key


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn
    from rune.forge.server.app import create_app
    from rune.forge.server.bootstrap import ensure_server_key

    settings = _settings(args)
    engine, key = _prepare(settings)
    created = ensure_server_key(engine, settings.data_dir)
    if created is not None:
        print(f"forge: a server key (creates projects) was written to {created}", file=sys.stderr)
    engine.dispose()
    uvicorn.run(create_app(settings, key), host=args.host, port=args.port, log_level=args.log_level,
                access_log=args.log_level == "debug", timeout_graceful_shutdown=5)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from rune.forge.server.worker import MIB, BuildLimits, Worker

    settings = _settings(args)
    engine, key = _prepare(settings)
    engine.dispose()
    limits = BuildLimits(memory_bytes=args.memory_mb * MIB, cpu_seconds=args.cpu_seconds,
                         wall_seconds=args.timeout)
    worker = Worker(settings, key, limits)
    if args.once:
        while worker.run_once():
            pass
        return 0
    print(f"forge: worker {worker.name} waiting for builds", file=sys.stderr)
    worker.run_forever(poll_seconds=args.poll)
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    from rune.forge.server.bootstrap import mint_server_key

    engine, _ = _prepare(_settings(args))
    if args.db_command == "server-key":
        print(mint_server_key(engine, args.name))
    return 0


# -- client side ------------------------------------------------------------------------------

class Client:
    def __init__(self, args: argparse.Namespace) -> None:
        self.url = (args.url or os.environ.get("FORGE_URL") or "").rstrip("/")
        self.key = args.key or os.environ.get("FORGE_KEY")
        if not self.url:
            raise CLIError("no server URL: pass --url or set FORGE_URL")
        if not self.key:
            raise CLIError("no API key: pass --key or set FORGE_KEY")
        self.project = getattr(args, "project", None) or os.environ.get("FORGE_PROJECT")

    def path(self, suffix: str = "") -> str:
        if not self.project:
            raise CLIError("no project: pass --project or set FORGE_PROJECT")
        return f"/v1/projects/{urllib.parse.quote(self.project, safe='')}{suffix}"

    def call(self, method: str, path: str, body: Any = None, data: bytes | None = None,
             headers: dict[str, str] | None = None) -> Any:
        return http.request(method, self.url + path, self.key, json_body=body, data=data,
                            headers=headers).json()


def _print(args: argparse.Namespace, value: Any, text: str) -> None:
    print(json.dumps(value, indent=2) if args.json else text)


def cmd_projects(args: argparse.Namespace) -> int:
    client = Client(args)
    if args.projects_command == "create":
        made = client.call("POST", "/v1/projects", {"name": args.name})
        _print(args, made, f"project {made['name']}\npublic key {made['public_key']}\n"
               f"admin key {made['admin_key']['key']}  (shown once: keep it)")
    else:
        rows = client.call("GET", "/v1/projects")
        _print(args, rows, "\n".join(f"{p['name']}  public key {p['public_key']}" for p in rows))
    return 0


def cmd_keys(args: argparse.Namespace) -> int:
    client = Client(args)
    if args.keys_command == "create":
        made = client.call("POST", client.path("/keys"), {"name": args.name,
                                                            "scopes": args.scope})
        _print(args, made, f"{made['key']}\n(id {made['id']}, scopes "
               f"{' '.join(made['scopes'])}; shown once: keep it)")
    elif args.keys_command == "revoke":
        client.call("DELETE", client.path(f"/keys/{urllib.parse.quote(args.id)}"))
        _print(args, {"revoked": args.id}, f"revoked {args.id}")
    elif args.keys_command == "public":
        project = client.call("GET", client.path())
        _print(args, {"public_key": project["public_key"]}, project["public_key"])
    else:
        rows = client.call("GET", client.path("/keys"))
        _print(args, rows, "\n".join(
            f"{k['id']}  {' '.join(k['scopes']):30} {k['name']}"
            f"{'  revoked' if k['revoked_at'] else ''}" for k in rows))
    return 0


def _multipart(files: dict[str, bytes], fields: dict[str, str]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                     f"{value}\r\n".encode())
    for path, content in files.items():
        quoted = path.replace('"', "%22")
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
                     f'filename="{quoted}"\r\nContent-Type: application/octet-stream\r\n\r\n'
                     .encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _folder(path: Path) -> dict[str, bytes]:
    """The regular files under `path`, skipping hidden entries (.git and the like)."""
    if not path.is_dir():
        raise CLIError(f"{path}: not a folder (push a folder holding a Runefile)")
    files = {}
    for file in sorted(path.rglob("*")):
        relative = file.relative_to(path)
        if any(part.startswith(".") for part in relative.parts) or not file.is_file():
            continue
        files[relative.as_posix()] = file.read_bytes()
    return files


def render_diagnostics(build: dict[str, Any]) -> str:
    lines = []
    for d in build["diagnostics"]:
        loc = d.get("location")
        where = f"{loc['file']}:{loc['line']}:{loc['column']}: " if loc else ""
        lines.append(f"{where}{d['severity']}: {d['message']}")
        lines.extend(f"  note: {note}" for note in d.get("notes", []))
    return "\n".join(lines)


def cmd_push(args: argparse.Namespace) -> int:
    client = Client(args)
    body, content_type = _multipart(_folder(Path(args.folder)), {"runefile": args.runefile})
    build = client.call("POST", client.path("/builds"), data=body,
                        headers={"Content-Type": content_type})
    print(f"build {build['id']} queued", file=sys.stderr)
    if not args.wait:
        _print(args, build, str(build["id"]))
        return 0
    deadline = time.monotonic() + args.timeout
    while build["status"] in ("queued", "running"):
        if time.monotonic() > deadline:
            raise CLIError(f"build {build['id']} did not finish within {args.timeout:g} s")
        time.sleep(0.5)
        build = client.call("GET", client.path(f"/builds/{build['id']}"))
    if build["status"] == "failed":
        if args.json:
            print(json.dumps(build, indent=2))
        print(render_diagnostics(build), file=sys.stderr)
        print(f"forge: error: build {build['id']} failed", file=sys.stderr)
        return 1
    if args.deploy:
        client.call("PUT", client.path(f"/channels/{args.deploy}"), {"version": build["version"]})
    _print(args, build, f"version {build['version']}"
           + (f" deployed to {args.deploy}" if args.deploy else ""))
    return 0


def _version_number(text: str) -> int:
    try:
        return int(text.removeprefix("v"))
    except ValueError:
        raise CLIError(f"not a version number: {text!r} (use 3 or v3)") from None


def _channel_text(row: dict[str, Any]) -> str:
    return f"{row['name']} -> v{row['version']} ({row['sha256'][:12]})"


def cmd_channel(args: argparse.Namespace) -> int:
    """deploy, promote and rollback: one call that moves a channel, printed the same way."""
    client = Client(args)
    if args.command == "deploy":
        call = ("PUT", f"/channels/{args.channel}", {"version": _version_number(args.version)})
    elif args.command == "promote":
        call = ("POST", f"/channels/{args.target}/promote", {"source": args.source})
    else:
        call = ("POST", f"/channels/{args.channel}/rollback", {"steps": args.steps})
    row = client.call(call[0], client.path(call[1]), call[2])
    _print(args, row, _channel_text(row))
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    client = Client(args)
    what = args.command
    if what == "history":
        rows = client.call("GET", client.path(f"/channels/{args.channel}/history"))
        text = "\n".join(f"{r['created_at']}  {r['action']:8} v{r['version']}" for r in rows)
    elif what == "channels":
        rows = client.call("GET", client.path("/channels"))
        text = "\n".join(_channel_text(r) for r in rows)
    elif what == "versions":
        rows = client.call("GET", client.path("/versions"))
        text = "\n".join(f"v{r['number']}  {r['sha256']}  {r['size']} bytes" for r in rows)
    else:
        rows = client.call("GET", client.path("/builds"))
        text = "\n".join(f"{r['id']}  {r['status']:9} {r['runefile']}"
                         + (f"  v{r['version']}" if r["version"] else "") for r in rows)
    _print(args, rows, text)
    return 0


def cmd_telemetry(args: argparse.Namespace) -> int:
    client = Client(args)
    query = {"window": args.window}
    if args.channel:
        query["channel"] = args.channel
    summary = client.call("GET", client.path("/telemetry/summary?" + urllib.parse.urlencode(query)))
    query.update(stage=args.stage, bucket=args.bucket)
    latency = client.call("GET", client.path("/telemetry/latency?" + urllib.parse.urlencode(query)))
    overall = latency["overall"]

    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f} ms"

    text = (f"events {summary['events']}  inferences {summary['inferences']}  errors "
            f"{summary['errors']} ({summary['error_rate']:.1%})  active devices "
            f"{summary['active_devices']}\n{latency['stage']}: p50 {ms(overall['p50'])}  "
            f"p95 {ms(overall['p95'])}  p99 {ms(overall['p99'])}  ({overall['count']} runs)")
    _print(args, {"summary": summary, "latency": latency}, text)
    return 0


# -- argument parsing -------------------------------------------------------------------------

def _server_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", default=os.environ.get("FORGE_DATA", "forge-data"),
                        help="data folder: artifacts, and the SQLite database by default")
    parser.add_argument("--database-url", default=os.environ.get("FORGE_DATABASE_URL"),
                        help="e.g. postgresql+psycopg://user@host/forge "
                        "(default: SQLite in --data)")
    parser.add_argument("--signing-key-file", default=os.environ.get("FORGE_SIGNING_KEY_FILE"),
                        help="the key that seals projects' signing keys in the database; made "
                        "on first start (default: --data/signing.kek; keep it out of backups)")


def _client_options(parser: argparse.ArgumentParser, project: bool = True) -> None:
    parser.add_argument("--url", help="server URL (default: $FORGE_URL)")
    parser.add_argument("--key", help="API key (default: $FORGE_KEY)")
    if project:
        parser.add_argument("--project", help="project name (default: $FORGE_PROJECT)")
    parser.add_argument("--json", action="store_true", help="print the API's JSON")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="forge", description="Rune Forge: deploy runes.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="run the HTTP server (migrates the database first)")
    _server_options(p)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--max-upload-mb", type=float, default=64.0)
    p.add_argument("--log-level", default="warning",
                   choices=["critical", "error", "warning", "info", "debug"])
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("worker", help="take queued builds and compile them")
    _server_options(p)
    p.add_argument("--memory-mb", type=int, default=4096, help="address-space limit per build")
    p.add_argument("--cpu-seconds", type=int, default=300, help="CPU time limit per build")
    p.add_argument("--timeout", type=float, default=600.0, help="wall-clock limit per build")
    p.add_argument("--poll", type=float, default=1.0, help="seconds between queue checks")
    p.add_argument("--once", action="store_true", help="build what is queued, then exit")
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("db", help="database maintenance")
    dbsub = p.add_subparsers(dest="db_command", required=True)
    for name, text in (("upgrade", "apply migrations"),
                       ("server-key", "mint a server key (creates projects); printed once")):
        q = dbsub.add_parser(name, help=text)
        _server_options(q)
        if name == "server-key":
            q.add_argument("--name", default="server")
        q.set_defaults(func=cmd_db)

    p = sub.add_parser("projects", help="create or list projects")
    psub = p.add_subparsers(dest="projects_command", required=True)
    q = psub.add_parser("create", help="create a project (needs a server key)")
    q.add_argument("name")
    _client_options(q, project=False)
    q.set_defaults(func=cmd_projects)
    q = psub.add_parser("list")
    _client_options(q, project=False)
    q.set_defaults(func=cmd_projects)

    p = sub.add_parser("keys", help="create, list or revoke a project's keys")
    ksub = p.add_subparsers(dest="keys_command", required=True)
    q = ksub.add_parser("create")
    q.add_argument("--scope", action="append", required=True,
                   choices=["deploy", "fetch", "telemetry", "admin"])
    q.add_argument("--name", default="")
    _client_options(q)
    q.set_defaults(func=cmd_keys)
    for name in ("list", "public"):
        q = ksub.add_parser(name, help="the project's ed25519 public key" if name == "public"
                            else None)
        _client_options(q)
        q.set_defaults(func=cmd_keys)
    q = ksub.add_parser("revoke")
    q.add_argument("id")
    _client_options(q)
    q.set_defaults(func=cmd_keys)

    p = sub.add_parser("push", help="upload a Runefile folder and build it")
    p.add_argument("folder")
    p.add_argument("--runefile", default="Runefile.yml", help="its path inside the folder")
    p.add_argument("--no-wait", dest="wait", action="store_false", help="do not wait for it")
    p.add_argument("--timeout", type=float, default=900.0)
    p.add_argument("--deploy", metavar="CHANNEL", help="deploy the new version to CHANNEL")
    _client_options(p)
    p.set_defaults(func=cmd_push)

    p = sub.add_parser("deploy", help="point a channel at a version")
    p.add_argument("version", help="3 or v3")
    p.add_argument("channel")
    _client_options(p)
    p.set_defaults(func=cmd_channel)

    p = sub.add_parser("promote", help="point TARGET at SOURCE's version")
    p.add_argument("source")
    p.add_argument("target")
    _client_options(p)
    p.set_defaults(func=cmd_channel)

    p = sub.add_parser("rollback", help="point a channel back at its previous version")
    p.add_argument("channel")
    p.add_argument("--steps", type=int, default=1)
    _client_options(p)
    p.set_defaults(func=cmd_channel)

    for name in ("builds", "versions", "channels", "history"):
        p = sub.add_parser(name, help=f"list {name}" if name != "history"
                           else "a channel's changes")
        if name == "history":
            p.add_argument("channel")
        _client_options(p)
        p.set_defaults(func=cmd_list)

    p = sub.add_parser("telemetry", help="latency percentiles, error rate, active devices")
    p.add_argument("--window", type=float, default=3600.0, help="seconds back from now")
    p.add_argument("--bucket", type=float, default=3600.0)
    p.add_argument("--stage", default="total")
    p.add_argument("--channel")
    _client_options(p)
    p.set_defaults(func=cmd_telemetry)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="forge: %(levelname)s: %(message)s")
    try:
        return args.func(args)
    except (CLIError, ForgeError) as exc:
        print(f"forge: error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        if type(exc).__module__.startswith("sqlalchemy"):  # unreachable or refusing database
            cause = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            print(f"forge: error: cannot use the database: {cause}", file=sys.stderr)
            return 1
        raise
    except OSError as exc:
        print(f"forge: error: {exc.strerror or exc}: {getattr(exc, 'filename', '') or ''}",
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
