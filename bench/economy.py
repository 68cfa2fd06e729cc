"""What a gate run spends against the target's throttles: per identity, API, suite and test.

Runs the gate (one process, the chosen profile) against the embedded testbed, reads the
run's ``requests.json`` (counted requests per test and throttle bucket, as the client saw the
answers) and prints:

- the spend per throttle bucket against python.org's limits (v1 600/hour per identity, v2
  3,000/day per user token, 100/day anonymous);
- the spend per suite and the most expensive test functions;
- the spend per purpose (attempt, read-back, canary set-up, put-back, clean-up, positive
  control, identity probe, session set-up) per throttle bucket, and per suite.

``--write`` also rewrites ``authfuzz/throttles/costs.py``, the cost table of the throttle
plan, from this run: counted requests per test (per example for the fuzzed tests), by the
identity that spends them.

    python bench/economy.py                 # ci profile
    python bench/economy.py --write         # and refresh the plan's cost table
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from authfuzz.openapi import stateful_scenarios  # noqa: E402
from authfuzz.targets import load_target  # noqa: E402
from authfuzz.throttles import costs  # noqa: E402
from authfuzz.throttles.plan import test_function  # noqa: E402
from authfuzz.throttles.rates import PYTHON_ORG  # noqa: E402

EXAMPLES = {"ci": 8, "dev": 15, "deep": 300}
COSTS_FILE = REPO / "authfuzz" / "throttles" / "costs.py"


def run_gate(profile: str, report: Path) -> dict[str, object]:
    command = [
        sys.executable, "-m", "authfuzz.cli", "run", "--profile", profile,
        "--report-dir", str(report), "--progress-every", "0",
    ]  # fmt: skip
    completed = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    if completed.returncode != 0:
        sys.exit(f"the gate did not pass on the clean testbed:\n{completed.stdout[-3000:]}")
    data: dict[str, object] = json.loads((report / "requests.json").read_text())
    return data


def symbolic(label: str) -> str:
    """``v2 admin`` -> ``v2 trusted``: the identity as the cost table names it."""
    principals = load_target(REPO / "targets.toml", "testbed").principals
    api, _, name = label.partition(" ")
    trusted = principals.trusted()
    if trusted is not None and name == trusted.name:
        return f"{api} trusted"
    if name in ("guest", "anonymous"):
        return f"{api} anonymous-or-guest"
    return f"{api} {principals.by_name(name).role.value}"


def cost_table(
    by_test: dict[str, dict[str, int]], nodeids: list[str], examples: int
) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    per_function: dict[str, Counter[str]] = defaultdict(Counter)
    tests: Counter[str] = Counter(test_function(n) for n in nodeids)
    for nodeid, spent in by_test.items():
        for label, n in spent.items():
            per_function[test_function(nodeid)][symbolic(label)] += n
    per_test: dict[str, dict[str, float]] = {}
    per_example: dict[str, dict[str, float]] = {}
    for name, spent in sorted(per_function.items()):
        count = max(1, tests[name])
        if name in costs.FUZZED:
            scale = stateful_scenarios(examples) if name == costs.STATEFUL else examples
            per_example[name] = {k: round(v / count / scale, 2) for k, v in sorted(spent.items())}
        else:
            per_test[name] = {k: round(v / count, 2) for k, v in sorted(spent.items())}
    return per_test, per_example


def write_costs(
    per_test: dict[str, dict[str, float]], per_example: dict[str, dict[str, float]], profile: str
) -> None:
    text = COSTS_FILE.read_text()
    head = text.split("# -- measured", 1)[0]
    body = (
        f"# -- measured by `python bench/economy.py --write` ({profile} profile, one process) --\n"
        f"PER_TEST: dict[str, dict[str, float]] = {json.dumps(per_test, indent=4)}\n"
        f"PER_EXAMPLE: dict[str, dict[str, float]] = {json.dumps(per_example, indent=4)}\n"
    )
    COSTS_FILE.write_text(head + body)
    subprocess.run(["ruff", "format", "-q", str(COSTS_FILE)], check=False)


def print_purposes(purposes_by_test: dict[str, dict[str, int]]) -> None:
    """Per bucket, then per suite within v2 admin-like buckets: where the spend goes."""
    per_bucket: dict[str, Counter[str]] = defaultdict(Counter)
    per_suite: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for nodeid, spent in purposes_by_test.items():
        suite = nodeid.split("::")[0].removeprefix("suites/")
        for key, n in spent.items():
            bucket, _, purpose = key.partition(": ")
            per_bucket[bucket][purpose] += n
            per_suite[(bucket, suite)][purpose] += n
    print("\ncounted per purpose:")
    for bucket, spent in sorted(per_bucket.items()):
        parts = ", ".join(f"{purpose} {n:,}" for purpose, n in spent.most_common())
        print(f"  {bucket:<16} {sum(spent.values()):>6,}  {parts}")
    busiest = max(per_bucket, key=lambda b: sum(per_bucket[b].values()), default=None)
    if busiest is None:
        return
    print(f"\n{busiest} per suite and purpose:")
    for (bucket, suite), spent in sorted(per_suite.items()):
        if bucket == busiest:
            parts = ", ".join(f"{purpose} {n:,}" for purpose, n in spent.most_common())
            print(f"  {suite:<28} {sum(spent.values()):>6,}  {parts}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=sorted(EXAMPLES), default="ci")
    parser.add_argument("--write", action="store_true", help="rewrite authfuzz/throttles/costs.py")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="authfuzz-economy-") as tmp:
        data = run_gate(args.profile, Path(tmp) / "report")
    by_test: dict[str, dict[str, int]] = data["by_test"]  # type: ignore[assignment]
    by_bucket: dict[str, int] = data["by_bucket"]  # type: ignore[assignment]
    print(f"requests sent {data['requests']:,} (custody {data['requests_custody']:,})")
    print("\ncounted per throttle bucket (python.org's limits):")
    for label, n in sorted(by_bucket.items()):
        api, _, who = label.partition(" ")
        kind = "v1" if api == "v1" else ("v2-anonymous" if who == "anonymous" else "v2-user")
        rate = PYTHON_ORG.limit(kind)
        flag = "  OVER" if n > rate.requests else ""
        print(f"  {label:<16} {n:>6,} of {rate}{flag}")
    suites: Counter[str] = Counter()
    functions: Counter[str] = Counter()
    for nodeid, spent in by_test.items():
        suites[nodeid.split("::")[0]] += sum(spent.values())
        functions[test_function(nodeid)] += sum(spent.values())
    print("\ncounted per suite:")
    for suite, n in suites.most_common():
        print(f"  {suite:<40} {n:>6,}")
    print("\nmost expensive test functions:")
    for name, n in functions.most_common(8):
        print(f"  {name:<48} {n:>6,}")
    purposes: dict[str, dict[str, int]] = data.get("purposes_by_test", {})  # type: ignore[assignment]
    print_purposes(purposes)
    if args.write:
        per_test, per_example = cost_table(by_test, list(by_test), EXAMPLES[args.profile])
        write_costs(per_test, per_example, args.profile)
        print(f"\nwrote {COSTS_FILE.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
