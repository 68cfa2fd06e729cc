"""authfuzz's CI gate against plain Schemathesis, on the clean testbed and on every defect switch.

For the clean testbed and each switch in ``testbed.defects.DEFECTS`` it runs, each
tool against its own fresh testbed on 127.0.0.1:

* authfuzz: ``pytest suites --hypothesis-profile ci`` with ``CI=true``, pointed at
  the testbed through a targets file. Detected: exit code 1 with findings. When
  every finding comes from replaying a known exploit (``pocs/``, branch ``poc:...``)
  and none from the generic checks, the table says so.
* Schemathesis at its best (``--st-setup best``, the default): ``st run
  specs/pythondotorg.yaml --url ... -c all --rate-limit auto`` with every principal of the
  target from a Web Fuzzing Commons auth file (``authfuzz export-auth``) and
  ``object_level_authorization`` between a staff and a non-staff user; or, with
  ``--st-setup one-key``, as before: a v1 ``ApiKey admin:<key>`` pass, then a v2 ``Token``
  pass over the v2 paths, both counting as the result. A failure is identified by (code, title,
  operation). Schemathesis reports failures on the clean testbed too: those are
  its false positives, and they are measured on two clean runs with the same
  seed (so the table also shows its run-to-run noise). Detected: a non-zero
  exit with a failure that no clean run reported. The new failures are printed
  so that a reader can judge whether they are really about the defect.

Requests are counted from each testbed's own request log. Then: the auth
client's throughput against a raw ``requests.Session`` loop (bench/throughput.py's
loops), and the whole gate's wall time with ``-n 1`` and ``-n 2`` on the clean
(auto-started) testbed. Every subprocess has a wall-clock timeout.

    python bench/compare.py              # everything (several minutes)
    python bench/compare.py --quick      # clean, guest-fallthrough, no-url-constraint
    python bench/compare.py --markdown   # the table as Markdown, for docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import throughput  # noqa: E402  (bench/throughput.py: the raw and client loops)

from authfuzz.client import Client  # noqa: E402
from authfuzz.targets import load_target  # noqa: E402
from testbed.defects import DEFECTS  # noqa: E402
from testbed.principals import ACCOUNTS, targets_toml  # noqa: E402
from testbed.runner import Testbed, TestbedInfo  # noqa: E402

CLEAN = "(clean)"
POC_PREFIX = "poc:"  # findings of suites/test_pocs.py: a replay of a known exploit from pocs/
QUICK = (CLEAN, "guest-fallthrough", "no-url-constraint")
SPEC = REPO / "specs" / "pythondotorg.yaml"
TARGET_NAME = "compare"
ADMIN = next(account for account in ACCOUNTS if account.name == "admin")
# (pass name, Authorization header, extra st arguments)
ST_PASSES = (
    ("v1 ApiKey", f"ApiKey {ADMIN.username}:{ADMIN.api_key}", ()),
    ("v2 Token", f"Token {ADMIN.token}", ("--include-path-regex", "^/api/v2/")),
)

FailureKey = tuple[str, str, str]  # (code, title, operation)


@dataclass
class Bounded:
    returncode: int | None  # None: killed at the timeout
    output: str
    seconds: float


@dataclass
class GateResult:
    returncode: int | None
    findings: list[dict[str, object]]
    requests: int
    seconds: float

    @property
    def detected(self) -> bool:
        return self.returncode == 1 and bool(self.findings)

    @property
    def by_replay_only(self) -> bool:
        """Every finding came from replaying a known exploit (pocs/), none from the checks."""
        return bool(self.findings) and all(
            str(f["branch"]).startswith(POC_PREFIX) for f in self.findings
        )

    def describe(self) -> str:
        if self.returncode is None:
            return "TIMEOUT"
        if self.returncode not in (0, 1):
            return f"error (exit {self.returncode})"
        by_invariant: dict[str, set[str]] = {}
        for finding in self.findings:
            by_invariant.setdefault(str(finding["invariant"]), set()).add(str(finding["branch"]))
        return "; ".join(
            f"{invariant}: {len(branches)} branch(es): {', '.join(sorted(branches)[:6])}"
            + (" ..." if len(branches) > 6 else "")
            for invariant, branches in sorted(by_invariant.items())
        )


@dataclass
class StResult:
    returncodes: list[int | None]
    failures: set[FailureKey]
    requests: int
    seconds: float
    new: set[FailureKey] = field(default_factory=set)  # set once the clean baseline is known

    @property
    def timed_out(self) -> bool:
        return None in self.returncodes

    @property
    def failed(self) -> bool:
        return any(code != 0 for code in self.returncodes)

    @property
    def detected(self) -> bool:
        return self.failed and bool(self.new)


# -- running things, bounded ------------------------------------------------------------------


def run_bounded(
    command: Sequence[str], timeout: float, cwd: Path, env: dict[str, str] | None = None
) -> Bounded:
    """Run in a process group of its own; on the timeout the whole group is killed."""
    started = time.monotonic()
    process = subprocess.Popen(
        list(command),
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=timeout)
        code: int | None = process.returncode
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        code = None
    return Bounded(code, output or "", time.monotonic() - started)


def child_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST_", "AUTHFUZZ_TARGETS_FILE", "HYPOTHESIS_"))
    }
    env.update(extra)
    return env


@contextlib.contextmanager
def fresh_testbed(defect: str) -> Iterator[TestbedInfo]:
    with Testbed(defects=[] if defect == CLEAN else [defect], record_requests=True) as info:
        yield info


# -- the two tools ----------------------------------------------------------------------------


def run_gate(defect: str, timeout: float) -> GateResult:
    with fresh_testbed(defect) as info, tempfile.TemporaryDirectory(prefix="compare-") as tmp:
        targets = Path(tmp) / "targets.toml"
        targets.write_text(targets_toml(TARGET_NAME, info.base_url, "local"), encoding="utf-8")
        report = Path(tmp) / "report"
        command = [
            sys.executable,
            "-m",
            "pytest",
            "suites",
            "--hypothesis-profile",
            "ci",
            "-q",
            "-p",
            "no:cacheprovider",
            "--targets-file",
            str(targets),
            "--target",
            TARGET_NAME,
            "--report-dir",
            str(report),
        ]
        before = len(info.logged_requests())
        run = run_bounded(command, timeout, REPO, child_env(CI="true"))
        findings_file = report / "findings.json"
        findings = (
            json.loads(findings_file.read_text(encoding="utf-8"))["findings"]
            if findings_file.exists()
            else []
        )
        return GateResult(
            run.returncode, findings, len(info.logged_requests()) - before, run.seconds
        )


def st_failures(ndjson: Path) -> set[FailureKey]:
    """(code, title, operation) of every failed check in an NDJSON event stream."""
    failures: set[FailureKey] = set()
    if not ndjson.exists():
        return failures
    for line in ndjson.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue  # a run killed at its timeout may leave half a line
        finished = event.get("ScenarioFinished") if isinstance(event, dict) else None
        recorder = (finished or {}).get("recorder") or {}
        for checks in (recorder.get("checks") or {}).values():
            for check in checks:
                if check.get("status") != "failure":
                    continue
                failure = (check.get("failure_info") or {}).get("failure") or {}
                failures.add(
                    (
                        str(failure.get("code", check.get("name", "?"))),
                        str(failure.get("title", "")),
                        str(failure.get("operation", recorder.get("label", "?"))),
                    )
                )
    return failures


# Schemathesis at its best (4.31+): every principal from a WFC auth file (authfuzz
# export-auth, the variables filled in for this throw-away testbed), the object-level
# authorization check between a staff and a non-staff user, and its own rate limit (it waits
# as long as a 429's Retry-After asks).
BEST = "best"
ONE_KEY = "one-key"
PEERS = ("admin-v2", "user-v2")


def wfc_file(base_url: str, directory: Path) -> Path:
    """The testbed's principals as a WFC auth file, secrets filled in (a testbed's fixtures)."""
    from authfuzz.commands.export_auth import wfc_document

    target = load_target(REPO / "targets.toml", "testbed").with_base_url(base_url)
    text = json.dumps(wfc_document(target), indent=2)
    for principal in target.principals:
        for kind in ("api_key", "token"):
            value = getattr(principal, kind)
            if value:
                text = text.replace("${" + principal.env_name(kind) + "}", value)
    path = directory / "auth.json"
    path.write_text(text, encoding="utf-8")
    (directory / "schemathesis.toml").write_text(
        f'[auth.wfc]\npath = "{path}"\npeers = {json.dumps(list(PEERS))}\n', encoding="utf-8"
    )
    return path


def run_schemathesis(
    defect: str, max_examples: int, seed: int, timeout: float, setup: str = BEST
) -> StResult:
    if setup == BEST:
        return _schemathesis_at_its_best(defect, max_examples, seed, timeout)
    codes: list[int | None] = []
    failures: set[FailureKey] = set()
    seconds = 0.0
    with fresh_testbed(defect) as info, tempfile.TemporaryDirectory(prefix="compare-st-") as tmp:
        before = len(info.logged_requests())
        for index, (_, header, extra) in enumerate(ST_PASSES):
            workdir = Path(tmp) / f"pass{index}"  # its own cwd: no crash cache shared between runs
            workdir.mkdir()
            ndjson = workdir / "events.ndjson"
            command = [
                "st",
                "run",
                str(SPEC),
                "--url",
                info.base_url,
                "-c",
                "all",
                "-H",
                f"Authorization: {header}",
                "--max-examples",
                str(max_examples),
                "--seed",
                str(seed),
                "--no-color",
                "--report",
                "ndjson",
                "--report-ndjson-path",
                str(ndjson),
                *extra,
            ]
            run = run_bounded(command, timeout, workdir, child_env())
            codes.append(run.returncode)
            failures |= st_failures(ndjson)
            seconds += run.seconds
        requests = len(info.logged_requests()) - before
    return StResult(codes, failures, requests, seconds)


def _schemathesis_at_its_best(
    defect: str, max_examples: int, seed: int, timeout: float
) -> StResult:
    with fresh_testbed(defect) as info, tempfile.TemporaryDirectory(prefix="compare-st-") as tmp:
        workdir = Path(tmp)
        wfc_file(info.base_url, workdir)
        ndjson = workdir / "events.ndjson"
        before = len(info.logged_requests())
        command = [
            "st", "run", str(SPEC), "--url", info.base_url, "-c", "all",
            "--max-examples", str(max_examples), "--seed", str(seed), "--rate-limit", "auto",
            "--no-color", "--report", "ndjson", "--report-ndjson-path", str(ndjson),
        ]  # fmt: skip
        run = run_bounded(command, timeout, workdir, child_env())
        requests = len(info.logged_requests()) - before
        return StResult([run.returncode], st_failures(ndjson), requests, run.seconds)


# -- the extras -------------------------------------------------------------------------------


def client_throughput(seconds: float, rounds: int) -> tuple[float, float]:
    """(raw requests.Session req/s, authfuzz Client req/s), alternating rounds."""
    target = load_target(REPO / "targets.toml", "testbed")
    raw, ours = [], []
    with Testbed(record_requests=False) as info:
        client = Client(target.with_base_url(info.base_url))
        try:
            for _ in range(rounds):
                raw.append(throughput.raw_rate(info.base_url, seconds))
                ours.append(throughput.client_rate(client, seconds))
        finally:
            client.close()
    return sum(raw) / len(raw), sum(ours) / len(ours)


def gate_wall_time(workers: int, timeout: float) -> Bounded:
    with tempfile.TemporaryDirectory(prefix="compare-n-") as tmp:
        command = [
            sys.executable,
            "-m",
            "pytest",
            "suites",
            "-n",
            str(workers),
            "--hypothesis-profile",
            "ci",
            "-q",
            "-p",
            "no:cacheprovider",
            "--report-dir",
            str(Path(tmp) / "report"),
        ]
        return run_bounded(command, timeout, REPO, child_env(CI="true"))


# -- output -----------------------------------------------------------------------------------


def yes_no(detected: bool, *, timed_out: bool = False, error: bool = False) -> str:
    if timed_out:
        return "TIMEOUT"
    if error:
        return "ERROR"
    return "yes" if detected else "no"


def table_rows(
    defects: list[str], gates: dict[str, GateResult], sts: dict[str, StResult]
) -> list[list[str]]:
    rows = []
    for defect in defects:
        gate, st = gates[defect], sts[defect]
        if defect == CLEAN:
            gate_cell = f"{len(gate.findings)} FP" if gate.returncode in (0, 1) else "ERROR"
            st_cell = f"{len(st.failures)} FP"
        else:
            gate_cell = yes_no(
                gate.detected,
                timed_out=gate.returncode is None,
                error=gate.returncode not in (None, 0, 1),
            )
            if gate.detected and gate.by_replay_only:
                gate_cell += " (PoC replay only)"
            st_cell = yes_no(st.detected, timed_out=st.timed_out)
            if st.new:
                st_cell += f" ({len(st.new)} new)"
        rows.append(
            [
                defect,
                gate_cell,
                str(gate.requests),
                f"{gate.seconds:.1f}",
                st_cell,
                str(st.requests),
                f"{st.seconds:.1f}",
            ]
        )
    return rows


HEADER = [
    "defect",
    "authfuzz detected",
    "authfuzz requests",
    "authfuzz s",
    "Schemathesis detected",
    "Schemathesis requests",
    "Schemathesis s",
]


def render_table(rows: list[list[str]], markdown: bool) -> str:
    if markdown:
        lines = ["| " + " | ".join(HEADER) + " |", "| " + " | ".join("---" for _ in HEADER) + " |"]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(r[i]) for r in [HEADER, *rows]) for i in range(len(HEADER))]
    fmt = "  ".join(f"{{:<{w}}}" if i in (0, 1, 4) else f"{{:>{w}}}" for i, w in enumerate(widths))
    lines = [fmt.format(*HEADER), fmt.format(*("-" * w for w in widths))]
    lines += [fmt.format(*row) for row in rows]
    return "\n".join(lines)


def describe_failure(key: FailureKey) -> str:
    code, title, operation = key
    return f"{code} {title}: {operation}"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help=f"only {', '.join(QUICK)}")
    parser.add_argument(
        "--defects", help="only the clean testbed and these switches (comma-separated)"
    )
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument(
        "--st-setup",
        choices=(BEST, ONE_KEY),
        default=BEST,
        help="Schemathesis with every principal, object_level_authorization and its rate limit "
        "(best, the default), or with the admin's key alone (one-key, as before)",
    )
    parser.add_argument(
        "--max-examples", type=int, default=10, help="st run --max-examples (default 10)"
    )
    parser.add_argument("--seed", type=int, default=1, help="st run --seed (default 1)")
    parser.add_argument("--gate-timeout", type=float, default=900.0, help="seconds per gate run")
    parser.add_argument("--st-timeout", type=float, default=600.0, help="seconds per st pass")
    parser.add_argument("--throughput-seconds", type=float, default=2.0)
    parser.add_argument("--throughput-rounds", type=int, default=3)
    parser.add_argument(
        "--no-extras",
        dest="extras",
        action="store_false",
        help="skip the throughput ratio and the -n 1 / -n 2 wall times",
    )
    args = parser.parse_args()

    defects = list(QUICK) if args.quick else [CLEAN, *(d.name for d in DEFECTS)]
    if args.defects:
        wanted = [d.strip() for d in args.defects.split(",") if d.strip()]
        unknown = sorted(set(wanted) - {d.name for d in DEFECTS})
        if unknown:
            parser.error(f"unknown defect(s): {', '.join(unknown)}")
        defects = [CLEAN, *wanted]
    started = time.monotonic()
    gates: dict[str, GateResult] = {}
    sts: dict[str, StResult] = {}
    for defect in defects:
        gates[defect] = gate = run_gate(defect, args.gate_timeout)
        print(
            f"[{time.monotonic() - started:6.0f}s] {defect}: authfuzz exit {gate.returncode}, "
            f"{len(gate.findings)} finding(s), {gate.requests} requests, {gate.seconds:.1f} s",
            flush=True,
        )
        sts[defect] = st = run_schemathesis(
            defect, args.max_examples, args.seed, args.st_timeout, args.st_setup
        )
        print(
            f"[{time.monotonic() - started:6.0f}s] {defect}: st exits {st.returncodes}, "
            f"{len(st.failures)} distinct failure(s), {st.requests} requests, {st.seconds:.1f} s",
            flush=True,
        )
    # A second clean Schemathesis run, same seed: its run-to-run noise joins the baseline.
    clean_again = run_schemathesis(
        CLEAN, args.max_examples, args.seed, args.st_timeout, args.st_setup
    )
    baseline = sts[CLEAN].failures | clean_again.failures
    noise = sts[CLEAN].failures ^ clean_again.failures
    for defect in defects:
        if defect != CLEAN:
            sts[defect].new = sts[defect].failures - baseline

    print()
    how = (
        f"at its best: one pass with every principal from a WFC auth file (authfuzz "
        f"export-auth; {len(load_target(REPO / 'targets.toml', 'testbed').principals) * 2} "
        f"entries), object_level_authorization with peers {', '.join(PEERS)}, --rate-limit auto"
        if args.st_setup == BEST
        else "a v1 ApiKey pass over the whole spec and a v2 Token pass over /api/v2/, as admin"
    )
    print(
        f"authfuzz: pytest suites --hypothesis-profile ci (CI=true). Schemathesis: st run -c all "
        f"--max-examples {args.max_examples} --seed {args.seed}, {how}. Fresh testbed per tool "
        f"and defect; requests from the testbed's log."
    )
    print()
    print(render_table(table_rows(defects, gates, sts), args.markdown))
    print()
    clean_gate = gates[CLEAN]
    print("False positives on the clean testbed:")
    print(f"- authfuzz: {len(clean_gate.findings)} finding(s), exit {clean_gate.returncode}")
    print(
        f"- Schemathesis: {len(baseline)} distinct failure(s) over two clean runs "
        f"(first {len(sts[CLEAN].failures)}, second {len(clean_again.failures)}; "
        f"{len(noise)} differ between the two runs with the same seed):"
    )
    for key in sorted(baseline):
        print(f"    {describe_failure(key)}")
    print()
    print("What each tool reported per defect:")
    for defect in defects:
        if defect == CLEAN:
            continue
        gate, st = gates[defect], sts[defect]
        print(f"- {defect}")
        print(f"    authfuzz: {gate.describe() or 'no findings'}")
        if st.new:
            print("    Schemathesis, failures no clean run had:")
            for key in sorted(st.new):
                print(f"      {describe_failure(key)}")
        else:
            print(
                f"    Schemathesis: nothing beyond its clean-run failures "
                f"({len(st.failures)} distinct, exits {st.returncodes})"
            )

    if args.extras:
        print()
        raw, ours = client_throughput(args.throughput_seconds, args.throughput_rounds)
        print(
            f"Auth client throughput: raw requests.Session {raw:.1f} req/s, authfuzz Client "
            f"{ours:.1f} req/s, ratio {ours / raw:.2f} (goal >= 0.8)"
        )
        for workers in (1, 2):
            run = gate_wall_time(workers, args.gate_timeout)
            status = "TIMEOUT" if run.returncode is None else f"exit {run.returncode}"
            tail = [line for line in run.output.splitlines() if line.strip()][-1:] or [""]
            print(
                f"Full gate, clean testbed, -n {workers}: {run.seconds:.1f} s ({status}; "
                f"{tail[0].strip('= ')})"
            )
    print()
    print(f"total wall time {time.monotonic() - started:.0f} s")
    missed = [d for d in defects if d != CLEAN and not gates[d].detected]
    if missed or clean_gate.findings or clean_gate.returncode != 0:
        print(
            f"authfuzz: missed {missed or 'nothing'}, {len(clean_gate.findings)} false positive(s)"
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
