"""How many requests and seconds the fuzzed tests need to find a defect, over many seeds.

Measures the Hypothesis-driven tests alone (no explicit examples, which find
every defect by construction). For an auth defect it walks the write
operations in the auth suite's order, drawing negative attempts; for a URL
defect it walks the URL suite's write paths, drawing URL cases as staff. Each
operation gets the CI profile's example budget, and the run stops at the
first finding. Shrinking is off, as it only starts after the first finding.

    python bench/detect.py                          # guest-fallthrough, 20 seeds
    python bench/detect.py --defect inactive-user --seeds 10
    python bench/detect.py --defect lookalike-host  # a URL defect: the URL suite's loop
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from authfuzz.branches import Api  # noqa: E402
from authfuzz.client import Client  # noqa: E402
from authfuzz.operations import write_operations  # noqa: E402
from authfuzz.oracles import Outcome, Verdict  # noqa: E402
from authfuzz.targets import load_target  # noqa: E402
from authfuzz.url_writes import WritePath, check_url_write  # noqa: E402
from authfuzz.workbench import Workbench  # noqa: E402
from strategies.auth import negative_attempts  # noqa: E402
from strategies.urls import url_cases  # noqa: E402

URL_DEFECTS = {"no-url-constraint", "http-urls", "sidecar-mismatch", "lookalike-host"}
from testbed.runner import Testbed  # noqa: E402


class Found(Exception):
    pass


Check = Callable[[Any], Verdict]


def search(
    workbench: Workbench,
    steps: list[tuple[SearchStrategy[Any], Check]],
    examples: int,
    run_seed: int,
) -> tuple[bool, int, float]:
    """Fuzz each step in turn (its strategy, its check) until the first finding."""
    client = workbench.client
    sent_before, started = client.sent, time.monotonic()
    first: list[tuple[int, float]] = []  # measured when the check reports, before any clean-up
    for index, (strategy, check) in enumerate(steps):

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
            if check(data.draw(strategy)).outcome is Outcome.FINDING:  # noqa: B023
                # Counted as the check returns: Hypothesis's replay of the failure is not search.
                first.append((client.sent - sent_before, time.monotonic() - started))
                raise Found

        try:
            fuzz()
        except Found:
            requests, seconds = first[0]
            return True, requests, seconds
    return False, client.sent - sent_before, time.monotonic() - started


def auth_steps(workbench: Workbench) -> list[tuple[SearchStrategy[Any], Check]]:
    """The auth suite's fuzzed test: every write operation, negative attempts."""
    principals = workbench.target.principals
    per_api = {api: negative_attempts(principals, api) for api in Api}
    return [
        (per_api[op.api], partial(workbench.check_write, op))
        for op in write_operations(workbench.target.spec)
    ]


def url_steps(workbench: Workbench) -> list[tuple[SearchStrategy[Any], Check]]:
    """The URL suite's fuzzed test: every write path, URL cases as staff."""
    cases = url_cases(workbench.target.url_prefix)
    return [(cases, partial(check_url_write, workbench, path)) for path in WritePath]


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
            steps = (url_steps if args.defect in URL_DEFECTS else auth_steps)(workbench)
            found, requests, seconds = search(workbench, steps, args.examples, run_seed)
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
