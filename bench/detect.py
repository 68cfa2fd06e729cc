"""How many requests and seconds the fuzzed auth test needs to find a defect, over many seeds.

Measures the Hypothesis-driven test alone (no explicit branch examples, which
find every auth defect by construction): for each seed it walks the write
operations in the suite's order, drawing attempts with the CI profile's
example budget per operation, and stops at the first finding. Shrinking is
off, as it only starts after the first finding.

    python bench/detect.py                      # guest-fallthrough, 20 seeds
    python bench/detect.py --defect inactive-user --seeds 10
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from authfuzz.client import Client  # noqa: E402
from authfuzz.operations import write_operations  # noqa: E402
from authfuzz.oracles import Outcome  # noqa: E402
from authfuzz.targets import load_target  # noqa: E402
from authfuzz.workbench import Workbench  # noqa: E402
from strategies.auth import negative_attempts  # noqa: E402
from testbed.runner import Testbed  # noqa: E402


class Found(Exception):
    pass


def first_finding(workbench: Workbench, examples: int, run_seed: int) -> tuple[bool, int, float]:
    client = workbench.client
    sent_before, started = client.sent, time.monotonic()
    principals = workbench.target.principals
    strategies = {}
    for index, operation in enumerate(write_operations(workbench.target.spec)):
        if operation.api not in strategies:
            strategies[operation.api] = negative_attempts(principals, operation.api)
        attempts = strategies[operation.api]

        @seed(run_seed * 1000 + index)
        @settings(
            max_examples=examples,
            database=None,
            phases=[Phase.generate],
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(st.data())
        def fuzz(data: st.DataObject) -> None:
            attempt = data.draw(attempts)  # noqa: B023
            if workbench.check_write(operation, attempt).outcome is Outcome.FINDING:  # noqa: B023
                raise Found

        try:
            fuzz()
        except Found:
            return True, client.sent - sent_before, time.monotonic() - started
    return False, client.sent - sent_before, time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--defect", default="guest-fallthrough")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument(
        "--examples", type=int, default=8, help="examples per operation (ci profile: 8)"
    )
    args = parser.parse_args()

    target = load_target(REPO / "targets.toml", "testbed")
    results = []
    with Testbed(defects=[args.defect]) as info:
        target = target.with_base_url(info.base_url)
        client = Client(target)
        workbench = Workbench(target, client)
        workbench.canaries()  # set-up requests are not part of the search
        for run_seed in range(args.seeds):
            found, requests, seconds = first_finding(workbench, args.examples, run_seed)
            results.append((found, requests, seconds))
            status = "found" if found else "MISSED"
            print(
                f"seed {run_seed:2d}: {status:6s} after {requests:4d} requests, {seconds:6.2f} s",
                flush=True,
            )
        client.close()

    hits = [r for r in results if r[0]]
    print()
    print(f"defect {args.defect}: found {len(hits)}/{len(results)} seeds")
    if hits:
        requests = [r[1] for r in hits]
        seconds = [r[2] for r in hits]
        print(
            f"requests to first finding: median {statistics.median(requests):.0f}, max {max(requests)}"
        )
        print(
            f"seconds to first finding:  median {statistics.median(seconds):.2f}, max {max(seconds):.2f}"
        )
    return 0 if len(hits) == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
