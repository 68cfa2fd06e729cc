"""``authfuzz repro``: run PoC files against a target and say, per step, VULNERABLE or FIXED.

Each step prints its verdict (or INCONCLUSIVE with why), the redacted request, the status and
the read-back evidence. The target comes from targets.toml (``--target``, the embedded testbed
by default, ``--defects`` to switch historical bugs on) or, for a quick local check, from the
command line (``--base-url`` and ``--principal``).

Exit codes: 0 every PoC FIXED; 1 a PoC VULNERABLE or INCONCLUSIVE; 2 usage error, invalid PoC
file, or a PoC refused (it writes and the target is production); 3 target unreachable.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from authfuzz.client import Client, TargetUnreachableError
from authfuzz.commands.targeting import add_target_options
from authfuzz.engine.engine import Engine
from authfuzz.layout import DEFAULT_SPEC
from authfuzz.poc.format import Poc, PocFileError, expand, load_poc
from authfuzz.poc.replay import PocResult, Result, StepResult, choose_form, run_poc
from authfuzz.principals import Principal, Principals, Role
from authfuzz.targets import (
    DEFAULT_URL_PREFIX,
    Environment,
    Target,
    TargetsFileError,
    resolve_target,
)
from authfuzz.workbench import Workbench

PROG = "authfuzz repro"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


class UsageError(Exception):
    """A problem with the command line or the target; one line, exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Run PoC files (see docs/pocs.md) against a "
        "target: per step VULNERABLE, FIXED or INCONCLUSIVE, with the redacted request, the "
        "status and the read-back evidence.",
        epilog="exit codes: 0 every PoC FIXED, 1 a PoC VULNERABLE or INCONCLUSIVE, "
        "2 usage error, invalid PoC file or PoC refused on production, 3 target unreachable. "
        "Example: authfuzz repro pocs/ --defects guest-fallthrough",
    )
    parser.add_argument(
        "files", nargs="+", metavar="FILE", help="PoC files, or directories of them (pocs/)"
    )
    add_target_options(parser, required=False)
    parser.add_argument(
        "--defects", default="", help="defect switches for the embedded testbed (a,b)"
    )
    parser.add_argument(
        "--base-url",
        help="no targets file: the base URL of a running API (a quick local check)",
    )
    parser.add_argument(
        "--principal",
        action="append",
        default=[],
        metavar="NAME=USERNAME:KEY[:TOKEN][@ROLE]",
        help="with --base-url: a principal (repeatable); ROLE is staff (default), user or "
        "inactive. The first staff principal with a token reads state back. A password "
        "(for session-cookie steps) comes from $AUTHFUZZ_<NAME>_PASSWORD. Secrets on a "
        "command line are visible to other local users: use targets.toml with *_env for "
        "anything real",
    )
    parser.add_argument(
        "--environment",
        choices=[e.value for e in Environment],
        help="with --base-url: the target's environment (default: local for a loopback "
        "address, production otherwise)",
    )
    parser.add_argument(
        "--as-production",
        action="store_true",
        help="treat the target as production: only read-only forms run",
    )
    parser.add_argument(
        "--form",
        choices=("auto", "full", "probe"),
        default="auto",
        help="which form of each PoC to run (auto: full, or the read-only probe on production)",
    )
    parser.add_argument(
        "--check", action="store_true", help="only validate the PoC files; send nothing"
    )
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    try:
        pocs = _load(args.files)
        if args.check:
            print(f"{PROG}: {len(pocs)} PoC file(s) valid")
            return 0
        target = _target(args)
    except UsageError as error:
        _error(error)
        return 2
    try:
        with _running(target, args.defects) as running:
            return _run(pocs, running, args.form)
    except UsageError as error:
        _error(error)
        return 2
    except TargetUnreachableError as error:
        _error(error)
        return 3


def _error(error: BaseException) -> None:
    """Each problem on its own line (an invalid PoC file: FILE:LINE: problem)."""
    for line in str(error).splitlines():
        print(f"{PROG}: error: {line}", file=sys.stderr)


# -- inputs ---------------------------------------------------------------------------------


def _load(files: list[str]) -> list[Poc]:
    paths = list(expand(files))
    if not paths:
        raise UsageError(f"no PoC files in {', '.join(files)}")
    pocs: list[Poc] = []
    errors: list[str] = []
    seen: dict[str, Path] = {}
    for path in paths:
        try:
            poc = load_poc(path)
        except PocFileError as error:
            errors.append(str(error))
            continue
        if poc.id in seen:
            errors.append(f"{path}:1: duplicate id {poc.id!r} (also in {seen[poc.id]})")
            continue
        seen[poc.id] = path
        pocs.append(poc)
    if errors:
        raise UsageError("\n".join(errors))
    return pocs


def _target(args: argparse.Namespace) -> Target:
    if args.base_url:
        if args.target or args.targets_file or args.defects:
            raise UsageError("--base-url replaces --target, --targets-file and --defects")
        target = _command_line_target(args.base_url, args.principal, args.environment)
    else:
        if args.principal or args.environment:
            raise UsageError("--principal and --environment go with --base-url")
        try:
            target = resolve_target(args.target, args.targets_file, defects=args.defects)
        except TargetsFileError as error:
            raise UsageError(str(error)) from None
    if args.as_production:
        target = target.with_environment(Environment.PRODUCTION)
    return target


def _command_line_target(base_url: str, raw: list[str], environment: str | None) -> Target:
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"--base-url {base_url!r}: must be an http:// or https:// URL")
    if environment is None:
        environment = "local" if parts.hostname in LOOPBACK else "production"
    principals = [_principal(item) for item in raw]
    names = [p.name for p in principals]
    if len(set(names)) != len(names):
        raise UsageError("--principal: each principal needs its own name")
    return Target(
        name="command-line",
        base_url=base_url.rstrip("/"),
        environment=Environment(environment),
        url_prefix=DEFAULT_URL_PREFIX,
        principals=Principals(tuple(principals)),
        spec=DEFAULT_SPEC,
    )


def _principal(raw: str) -> Principal:
    usage = f"--principal {raw.split('=', 1)[0]}=...: expected NAME=USERNAME:KEY[:TOKEN][@ROLE]"
    name, sep, rest = raw.partition("=")
    role = Role.STAFF
    for candidate in Role:
        if rest.endswith(f"@{candidate.value}"):
            role, rest = candidate, rest.removesuffix(f"@{candidate.value}")
    fields = rest.split(":")
    if not sep or not name or len(fields) not in (2, 3) or not all(fields):
        raise UsageError(usage)
    return Principal(
        name=name,
        username=fields[0],
        role=role,
        api_key=fields[1],
        token=fields[2] if len(fields) == 3 else None,
        password=os.environ.get(password_variable(name)) or None,
    )


def password_variable(name: str) -> str:
    """Where a command-line principal's password comes from (for session-cookie steps)."""
    return f"AUTHFUZZ_{name}_PASSWORD".upper().replace("-", "_")


# -- running --------------------------------------------------------------------------------


@contextmanager
def _running(target: Target, defects: str) -> Iterator[Engine]:
    """The target reachable and a workbench on it; a testbed started (and stopped) if asked."""
    testbed = None
    if target.start == "testbed" and target.base_url is None:
        from testbed.defects import UnknownDefectError
        from testbed.runner import Testbed, TestbedStartError

        try:
            testbed = Testbed(defects=defects.split(","))
            target = target.with_base_url(testbed.start().base_url)
        except (UnknownDefectError, TestbedStartError) as error:
            raise UsageError(f"cannot start the testbed: {error}") from None
    try:
        client = Client(target)
        try:
            client.ensure_reachable()
            try:
                workbench = Workbench(target, client)
            except ValueError as error:
                raise UsageError(str(error)) from None
            try:
                yield Engine(workbench)
            finally:
                workbench.close()
        finally:
            client.close()
    finally:
        if testbed is not None:
            testbed.stop()


def _run(pocs: list[Poc], engine: Engine, form: str) -> int:
    workbench = engine.bench
    target = workbench.target
    where = f"{target.name} ({target.environment.value}) at {workbench.client.base_url}"
    print(f"{PROG}: {len(pocs)} PoC(s) against {where}")
    results = []
    for poc in pocs:
        print()
        print(f"PoC {poc.id}: {poc.title}")
        print(f"  file:       {poc.path}")
        for key, values in poc.references.items():
            print(f"  {key + ':':<11} {'; '.join(values)}")
        total = {"full": len(poc.steps), "probe": len(poc.probe)}

        def show(step: StepResult, total: dict[str, int] = total) -> None:
            _print_step(step, total[step.step.form])

        announced = _announce(poc, workbench, form)
        result = run_poc(poc, engine, form, on_step=show if announced else None)
        _print_result(result)
        results.append(result)
    return _summary(results, target.name)


def _announce(poc: Poc, workbench: Workbench, form: str) -> bool:
    target = workbench.target
    chosen = choose_form(poc, target.is_production, target.name, form)
    if isinstance(chosen, str):
        return False
    kind, steps = chosen
    why = ""
    if kind.value == "probe" and form == "auto":
        why = " (production target: the read-only identity-probe form)"
    print(f"  form:       {kind.value}, {len(steps)} step(s){why}")
    return True


def _print_step(result: StepResult, total: int) -> None:
    step = result.step
    kind = "probe step" if step.form == "probe" else "step"
    name = f" {step.name}" if step.name else ""
    verdict = result.result.value
    if result.result in (Result.INCONCLUSIVE, Result.REFUSED):
        verdict += f" ({result.reason})"
    print(f"  {kind} {step.number}/{total}{name}: {verdict}")
    print(f"      invariant:  {step.invariant}")
    if result.request:
        print(f"      request:    {result.request}")
    if result.status is not None:
        print(f"      status:     {result.status}")
    if result.response:
        print(f"      response:   {result.response}")
    if result.summary:
        print(f"      what:       {result.summary}")
    if result.evidence:
        print(f"      evidence:   {result.evidence}")
    if result.readback:
        print(f"      read-back:  {result.readback}")
    if result.result is Result.FIXED and result.reason:
        print(f"      note:       {result.reason}")
    if result.result is Result.VULNERABLE and result.curl:
        print(f"      reproduce:  {result.curl}")


def _print_result(result: PocResult) -> None:
    line = f"  => {result.result.value}"
    if result.result is Result.REFUSED:
        line += f": {result.reason}"
    print(line)


def _summary(results: list[PocResult], target_name: str) -> int:
    counts = {r: sum(1 for x in results if x.result is r) for r in Result}
    shown = ", ".join(f"{n} {r.value}" for r, n in counts.items() if n)
    print()
    print(f"{PROG}: {len(results)} PoC(s) against {target_name}: {shown}")
    if counts[Result.VULNERABLE] or counts[Result.INCONCLUSIVE]:
        return 1
    if counts[Result.REFUSED]:
        return 2
    return 0
