"""Gating one deployment again and again within python.org's real throttles.

A deploy gate meets the same staging deployment several times a day. This bench starts one
testbed with python.org's real throttles on (v2: 3,000 a day per user token and 100 a day per
anonymous client; v1: 600 an hour per identity), points the gate at it through a targets file
as a ``staging`` target with one spend journal, and runs the ``ci`` profile ``--runs`` times in
a row, then once more to show that a run which no longer fits the day is refused before its
first request. For each run it prints the verdict, the plan line, the findings, what was not
checked, whether the plan was trimmed, and the target-state line.

Expected on a clean build: every run PASS, 0 not checked, untrimmed, the target unchanged
after each; the extra run REFUSED with what is left, what it needs and when the window
reopens, and no request but custody's reads. With ``--defects guest-fallthrough`` every run
FAILs with the same findings (one confirmed per invariant, branch and operation: against a
throttled target the engine does not spend requests on trials that cannot change the
verdict, and says so as not checked), the target left as found. The bench exits 1 when any
of that does not hold.

    python bench/throttled.py [--runs 3] [--defects guest-fallthrough]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from testbed.principals import targets_toml  # noqa: E402
from testbed.runner import Testbed, TestbedInfo  # noqa: E402

TIMEOUT = 600.0  # one ci run takes well under a minute; this long means broken


@dataclass(frozen=True)
class Run:
    exit_code: int
    verdict: str
    plan: str
    findings: frozenset[tuple[str, str, str]]  # (invariant, branch, operation)
    not_checked: int
    trimmed: bool
    state: str
    unchanged: bool
    writes_sent: int  # requests other than GET the testbed saw during the run
    seconds: float


def gate_once(info: TestbedInfo, targets: Path, journal: Path, report: Path) -> Run:
    command = [
        sys.executable, "-m", "authfuzz.cli", "run", "--target", "staging-like",
        "--targets-file", str(targets), "--profile", "ci", "--spend-journal", str(journal),
        "--report-dir", str(report), "--progress-every", "0",
    ]  # fmt: skip
    before = len(info.logged_requests())
    started = time.monotonic()
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=TIMEOUT)
    seconds = time.monotonic() - started
    sent = info.logged_requests()[before:]
    output = done.stdout + done.stderr
    plan = next((line for line in output.splitlines() if "throttle plan" in line), "(no plan)")
    data = json.loads((report / "findings.json").read_text()) if report.exists() else {}
    summary = data.get("summary", {})
    state = summary.get("target_state", {})
    refusal = next((line for line in output.splitlines() if "REFUSED" in line), "")
    return Run(
        exit_code=done.returncode,
        verdict=str(summary.get("verdict", "?")) + (f" ({refusal.strip()})" if refusal else ""),
        plan=plan.removeprefix("authfuzz: "),
        findings=frozenset(
            (f["invariant"], f["branch"], f["operation"]) for f in data.get("findings", [])
        ),
        not_checked=int(summary.get("not_checked", {}).get("count", 0)),
        trimmed="trimmed" in plan,
        state=next((line for line in output.splitlines() if "target state" in line), "?"),
        unchanged=bool(state.get("unchanged")),
        writes_sent=sum(1 for r in sent if r["method"] != "GET"),
        seconds=seconds,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--defects", default="", help="testbed defect switches, comma-separated")
    args = parser.parse_args()
    defects = frozenset(d for d in args.defects.split(",") if d)
    failures: list[str] = []
    with Testbed(defects=defects, throttle=True) as info, tempfile.TemporaryDirectory() as tmp:
        targets = Path(tmp) / "targets.toml"
        targets.write_text(targets_toml("staging-like", info.base_url, "staging", True))
        journal = Path(tmp) / "spend.json"
        runs = []
        for n in range(args.runs + 1):
            run = gate_once(info, targets, journal, Path(tmp) / f"report-{n}")
            runs.append(run)
            extra = n == args.runs
            print(f"run {n + 1}{' (one more than the day holds)' if extra else ''}: "
                  f"exit {run.exit_code} {run.verdict} in {run.seconds:.1f} s")  # fmt: skip
            print(f"  {run.plan}")
            print(f"  findings {len(run.findings)}, not checked {run.not_checked}, "
                  f"trimmed {'yes' if run.trimmed else 'no'}, {run.state.strip()}")  # fmt: skip
        ordinary, extra = runs[:-1], runs[-1]
        for n, run in enumerate(ordinary, 1):
            wanted = 1 if defects else 0
            if run.exit_code != wanted:
                failures.append(f"run {n} exited {run.exit_code}, not {wanted}")
            if run.trimmed or not run.unchanged:
                failures.append(f"run {n}: trimmed, or the target not left as found")
            if run.not_checked and not defects:
                failures.append(f"run {n}: {run.not_checked} not checked on a clean build")
        if defects and len({run.findings for run in ordinary}) != 1:
            failures.append("the runs did not report the same findings")
        if extra.exit_code != 2 or extra.writes_sent:
            failures.append(
                f"the extra run exited {extra.exit_code} and sent {extra.writes_sent} writes, "
                "not 2 (REFUSED) before its first request"
            )
    print("OK" if not failures else "NOT AS EXPECTED:\n  " + "\n  ".join(failures))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
