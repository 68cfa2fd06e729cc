"""Run one testbed: make a scratch database, migrate, seed, serve on 127.0.0.1.

Used in the foreground by ``authfuzz testbed`` and as a child process by
``testbed.runner``; the child reports readiness through a small JSON file so
the parent never has to parse log output.
"""

from __future__ import annotations

import argparse
import errno
import gc
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

from testbed.database import DatabaseError, ScratchDatabase, create_scratch, drop_scratch
from testbed.defects import UnknownDefectError, describe, parse_defects

READY_PREFIX = "authfuzz testbed ready:"


class _Stop(SystemExit):
    """Raised from the signal handler to leave the server loop and clean up.

    A SystemExit so that waitress's event loop re-raises it: a plain Exception raised while
    the loop is handling a channel is logged and swallowed, and the server keeps running.
    """


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="authfuzz testbed",
        description="Run a local replica of python.org's release API on 127.0.0.1.",
        epilog="defects (off by default, combine with commas):\n" + describe(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--port", type=int, default=8000, help="port on 127.0.0.1 (0: any free port)"
    )
    parser.add_argument("--defects", default="", help="comma-separated defect switches to turn on")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", ""),
        help="PostgreSQL server to create a scratch database on (default: $DATABASE_URL, else SQLite)",
    )
    parser.add_argument(
        "--no-throttle",
        dest="throttle",
        action="store_false",
        help="lift python.org's request throttles (for local fuzzing)",
    )
    parser.add_argument("--request-log", help="append one JSON line per request (no headers) here")
    parser.add_argument("--ready-file", help=argparse.SUPPRESS)
    parser.add_argument("--parent-pid", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=8, help=argparse.SUPPRESS)
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="serve with gunicorn and this many worker processes, as a deployment does "
        "(needs --database-url: SQLite takes one writer at a time); default 0: one "
        "waitress process",
    )
    return parser


def _fail(message: str) -> int:
    print(f"authfuzz testbed: error: {message}", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not 0 <= args.port <= 65535:
        return _fail(f"port {args.port} is out of range (0-65535)")
    try:
        defects = parse_defects(args.defects)
    except UnknownDefectError as error:
        return _fail(str(error))
    if args.workers < 0:
        return _fail(f"--workers {args.workers}: give 0 (one process) or more")
    if args.workers and not args.database_url:
        return _fail(
            "--workers needs PostgreSQL (--database-url or $DATABASE_URL): SQLite takes one "
            "writer at a time, so several worker processes would fail with 'database is locked'"
        )

    workdir = Path(tempfile.mkdtemp(prefix="authfuzz-testbed-"))
    try:
        try:
            database = create_scratch(args.database_url, workdir)
        except DatabaseError as error:
            return _fail(str(error))
        try:
            return _serve(args, defects, database)
        finally:
            try:
                drop_scratch(database)
            except DatabaseError as error:
                print(f"authfuzz testbed: warning: {error}", file=sys.stderr)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _serve(args: argparse.Namespace, defects: frozenset[str], database: ScratchDatabase) -> int:
    config: dict[str, Any] = {
        "database": database.django_settings(),
        "defects": sorted(defects),
        "throttle": args.throttle,
        "request_log": args.request_log,
    }
    os.environ["AUTHFUZZ_TESTBED_CONFIG"] = json.dumps(config)
    os.environ["DJANGO_SETTINGS_MODULE"] = "testbed.settings"

    import django
    from django.core.management import call_command
    from django.db import DatabaseError as DjangoDatabaseError
    from django.db import connections

    django.setup()
    from testbed import migrated_template
    from testbed.schema_defects import apply_schema_defects
    from testbed.seed import seed

    sqlite = database.server is None
    copied = sqlite and migrated_template.copy_template(database.name)
    try:
        call_command("migrate", verbosity=0, interactive=False)
        if sqlite and not copied:
            connections.close_all()
            migrated_template.keep_template(database.name)
        apply_schema_defects()
        seed()
    except DjangoDatabaseError as error:
        return _fail(f"could not prepare the database: {str(error).splitlines()[0]}")
    finally:
        connections.close_all()

    if args.parent_pid:
        _stop_when_orphaned(args.parent_pid)
    if args.workers:
        return _serve_with_gunicorn(args, defects, database)

    import waitress

    from testbed.wsgi import application

    try:
        server: Any = waitress.create_server(
            application,
            host="127.0.0.1",
            port=args.port,
            threads=args.threads,
            ident="authfuzz-testbed",
            # Keep X-Forwarded-For: DRF's throttle ident reads it (release-api.md 5.2).
            clear_untrusted_proxy_headers=False,
        )
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            return _fail(
                f"port {args.port} on 127.0.0.1 is already in use; pick another with --port"
            )
        return _fail(f"cannot listen on 127.0.0.1:{args.port}: {error.strerror}")

    def stop(signum: int, frame: FrameType | None) -> None:
        raise _Stop

    # Installed before readiness is announced, so an immediate SIGTERM still cleans up.
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    # Django, the apps and the URL table live as long as the server: out of the collector's
    # sight, a full collection walks only what requests create.
    gc.freeze()
    try:
        _announce(args, defects, database, server.effective_port, "waitress")
        server.run()
    except _Stop:
        pass
    finally:
        server.close()
        connections.close_all()
    print("authfuzz testbed stopped.", flush=True)
    return 0


def _announce(
    args: argparse.Namespace,
    defects: frozenset[str],
    database: ScratchDatabase,
    port: int,
    server: str,
) -> None:
    base_url = f"http://127.0.0.1:{port}"
    ready = {
        "base_url": base_url,
        "pid": os.getpid(),
        "defects": sorted(defects),
        "database": database.to_json(),
    }
    if args.ready_file:
        tmp = Path(f"{args.ready_file}.tmp")
        tmp.write_text(json.dumps(ready), encoding="utf-8")
        tmp.replace(args.ready_file)
    active = ", ".join(sorted(defects)) or "none (clean, as python.org HEAD)"
    print(
        f"{READY_PREFIX} {base_url}  (target: testbed; defects: {active}; "
        f"database: {database.engine}; {server})"
    )
    if not args.ready_file:  # started by hand: say how to point the gate at it
        for line in _targets_block(base_url, args.throttle):
            print(line)
    print("Stop with Ctrl-C.", flush=True)


def _targets_block(base_url: str, throttled: bool) -> list[str]:
    """The ``targets.toml`` block for this instance, secrets as ``*_env`` names, and the
    export lines for them (the testbed's own fixed accounts: fixtures, not anyone's keys)."""
    from testbed.principals import ACCOUNTS

    limits = (
        "on: python.org's (v1 600/hour per identity, v2 3,000/day per token, 100/day "
        "anonymous): three gate runs a day fit; `authfuzz budget --target local` shows what "
        "is left, `--no-throttle` lifts them"
        if throttled
        else "off (--no-throttle)"
    )
    lines = [f"throttles: {limits}", "", "# targets.toml", "[targets.local]"]
    lines += [f'base_url = "{base_url}"', 'environment = "local"']
    if not throttled:
        lines.append("throttles = false")
    exports = []
    for account in ACCOUNTS:
        prefix = f"AUTHFUZZ_{account.name.upper()}"
        lines += ["", "[[targets.local.principals]]", f'name = "{account.name}"']
        lines += [f'username = "{account.username}"', f'role = "{account.role}"']
        for kind, value in (("api_key", account.api_key), ("token", account.token)):
            lines.append(f'{kind}_env = "{prefix}_{kind.upper()}"')
            exports.append(f"export {prefix}_{kind.upper()}={value}")
    lines += ["", "# then, in the shell that runs the gate:", *exports]
    lines += ["# and: authfuzz run --target local --targets-file targets.toml", ""]
    return lines


def _serve_with_gunicorn(
    args: argparse.Namespace, defects: frozenset[str], database: ScratchDatabase
) -> int:
    """Several worker processes forked from one master, as python.org is served.

    The app is loaded in the master before the fork (``preload_app``), so every worker starts
    from the migrated, seeded database without repeating it. A worker leaves through the same
    ``SystemExit`` as the master; it must not run the master's clean-up (dropping the scratch
    database under the other workers), so it ends at once with its own exit code.
    """
    from gunicorn.app.base import BaseApplication

    from testbed.wsgi import application

    def when_ready(arbiter: Any) -> None:
        port = arbiter.LISTENERS[0].sock.getsockname()[1]
        _announce(args, defects, database, port, f"gunicorn, {args.workers} workers")

    options = {
        "bind": f"127.0.0.1:{args.port}",
        "workers": args.workers,
        "worker_class": "gthread",
        "threads": max(1, args.threads // 2),
        "preload_app": True,
        "graceful_timeout": 5,
        "timeout": 60,
        "loglevel": "warning",
        "when_ready": when_ready,
    }

    class Deployment(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return application

    master = os.getpid()
    try:
        Deployment().run()
    except SystemExit as stop:
        if os.getpid() != master:
            os._exit(stop.code if isinstance(stop.code, int) else 1)
        if stop.code not in (None, 0):
            return _fail(f"gunicorn stopped with exit code {stop.code}")
    except BaseException:
        if os.getpid() != master:
            os._exit(1)
        raise
    finally:
        if os.getpid() == master:
            connections_close_all()
    print("authfuzz testbed stopped.", flush=True)
    return 0


def connections_close_all() -> None:
    from django.db import connections

    connections.close_all()


def _stop_when_orphaned(parent: int) -> None:
    """Stop (and drop the scratch database) when the process that started us is gone.

    The runner starts the testbed in a session of its own, so that Ctrl-C reaches the harness
    first; but then a harness process that dies (an xdist worker killed mid-run) would leave
    its testbed running for ever. The orphan is adopted by another process: our parent changes.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


if __name__ == "__main__":
    code = main()
    # Everything is closed and removed by now (server, connections, scratch database, work
    # directory): skip the interpreter's own finalization of Django and waitress, which took
    # about 0.3 s of every testbed's stop, and the harness's tests stop hundreds of them.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
