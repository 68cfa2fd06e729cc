"""The whole gate behind a faulty network: verdicts unchanged, and the cost only the waiting.

For each fault rate and each testbed (clean, and with a defect), the whole ci-profile gate runs
against a testbed behind ``tests.faultproxy`` (real resets before and after forwarding, 5xx,
429 with ``Retry-After``, delays), as a shared staging deployment; rate 0 is the same run
through the proxy with no faults, the baseline. Reported per run: findings, failed tests,
checks not checked, seconds, requests, and the waiting the faults imposed (the delays and the
``Retry-After`` seconds the proxy asked for, divided by the workers, who wait in parallel).

The goal: the time a run takes beyond its fault-free baseline is at most 1.2 times the waiting
its faults imposed; and the verdicts do not move: no finding and no failure on clean, the
defect found at every rate, nothing left unchecked.

    python bench/faults.py                       # rates 0, 0.5, 1, 2 x issue 10's mix
    python bench/faults.py --rates 0 1 --defect inactive-user --workers 2 --markdown
    python bench/faults.py --rates 1 --seeds 1 2 3 4 5   # not checked per run, over seeds

A clean run behind faults must end PASS, not NOT CLEAN: a lost write is re-sent with backoff
up to ``FaultPolicy.write_attempts`` times, so at the staging mix a check stays unchecked in
well under one run in a thousand; ``--seeds`` shows "not checked" per run for each proxy seed.
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
from testbed.runner import Testbed  # noqa: E402
from tests.faultproxy import FaultMix, FaultProxy  # noqa: E402

GOAL = 1.2


def mix(rate: float) -> FaultMix:
    """Issue 10's staging mix scaled by ``rate`` (1: 1% resets, 3% 5xx, 2% 429, 2% delays)."""
    return FaultMix(
        reset_before=0.005 * rate,
        reset_after=0.005 * rate,
        unavailable=0.03 * rate,
        unavailable_statuses=(502, 503, 504),
        throttled=0.02 * rate,
        retry_after=1,
        delayed=0.02 * rate,
        delay_seconds=0.5,
    )


@dataclass(frozen=True)
class Result:
    defect: str
    rate: float
    seed: int
    code: int
    findings: int
    failed: int  # tests that failed without a finding (the harness could not check)
    failed_tests: tuple[str, ...]
    output_tail: str  # the run's last lines, kept to explain a failure
    not_checked: int
    seconds: float
    requests: int
    waiting: float  # imposed by the faults, per worker

    def extra_over(self, baseline: Result | None) -> str:
        if baseline is None or self.rate == 0:
            return "baseline"
        extra = self.seconds - baseline.seconds
        ratio = extra / self.waiting if self.waiting else float("inf")
        verdict = "ok" if extra <= GOAL * self.waiting else "OVER GOAL"
        return f"{extra:+.1f} s, {ratio:.2f}x the waiting ({verdict})"


def run_once(defect: str, rate: float, seed: int, workers: int) -> Result:
    defects = () if defect == "clean" else (defect,)
    with tempfile.TemporaryDirectory(prefix="authfuzz-faults-") as tmp:
        work = Path(tmp)
        with (
            Testbed(defects=defects) as info,
            FaultProxy(info.base_url, seed=seed, faults=mix(rate)) as proxy,
        ):
            (work / "targets.toml").write_text(targets_toml("flaky", proxy.base_url, "staging"))
            command = [
                sys.executable, "-m", "authfuzz.cli", "run", "--targets-file", str(work / "targets.toml"),
                "--target", "flaky", "--profile", "ci", "--report-dir", str(work / "report"),
                "--progress-every", "0", *(["-n", str(workers)] if workers > 1 else []),
            ]  # fmt: skip
            started = time.monotonic()
            completed = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
            seconds = time.monotonic() - started
            waiting = proxy.stats.imposed_wait_seconds / workers
        summary = json.loads((work / "report" / "findings.json").read_text())["summary"]
    return Result(
        defect=defect,
        rate=rate,
        seed=seed,
        code=completed.returncode,
        findings=int(summary["findings"]),
        failed=len(summary["failed_without_finding"]),
        failed_tests=tuple(summary["failed_without_finding"]),
        output_tail="\n".join((completed.stdout + completed.stderr).splitlines()[-40:]),
        not_checked=int(summary["not_checked"]["count"]),
        seconds=seconds,
        requests=int(summary["requests"]),
        waiting=waiting,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", type=float, nargs="+", default=[0.0, 0.5, 1.0, 2.0])
    parser.add_argument("--defect", default="guest-fallthrough")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1], help="the proxy's seeds")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    rates = sorted(set([0.0, *args.rates]))
    results: list[Result] = []
    for defect in ("clean", args.defect):
        for seed in args.seeds:
            for rate in rates:
                if rate == 0 and seed != args.seeds[0]:
                    continue  # one fault-free baseline per testbed
                result = run_once(defect, rate, seed, args.workers)
                results.append(result)
                print(
                    f"  {defect} x{rate:g} seed {seed}: exit {result.code} in "
                    f"{result.seconds:.1f} s, {result.not_checked} not checked",
                    file=sys.stderr,
                )
                if result.failed_tests:  # keep the evidence: a rare failure cannot be re-drawn
                    print(
                        "    failed without a finding: " + ", ".join(result.failed_tests),
                        file=sys.stderr,
                    )
                    print(result.output_tail, file=sys.stderr)
    header = (
        "| testbed | fault rate | seed | exit | findings | failed w/o finding | not checked "
        "| requests | s | waiting imposed (s) | beyond baseline |"
    )
    print(header if args.markdown else header.replace("|", " "))
    if args.markdown:
        print("|" + " --- |" * 11)
    ok = True
    for result in results:
        baseline = next(r for r in results if r.defect == result.defect and r.rate == 0)
        row = (
            f"| {result.defect} | {result.rate:g}x | {result.seed} | {result.code} | {result.findings} | "
            f"{result.failed} | {result.not_checked} | {result.requests} | {result.seconds:.1f} | "
            f"{result.waiting:.1f} | {result.extra_over(baseline)} |"
        )
        print(row if args.markdown else row.replace("|", " "))
        expected = 0 if result.defect == "clean" else 1
        ok &= result.code == expected and result.not_checked == 0 and result.failed == 0
        ok &= result.defect != "clean" or result.findings == 0
        ok &= result.defect == "clean" or result.findings > 0
        if result.rate and baseline:
            ok &= result.seconds - baseline.seconds <= GOAL * result.waiting
    print("\nverdicts unchanged and within the time goal" if ok else "\nGOAL MISSED (see above)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
