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
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from authfuzz.client import Client  # noqa: E402
from authfuzz.operations import write_operations  # noqa: E402
from authfuzz.oracles import Outcome  # noqa: E402
from authfuzz.targets import load_target  # noqa: E402
from authfuzz.url_writes import WritePath, check_url_write  # noqa: E402
from authfuzz.workbench import Workbench  # noqa: E402
from strategies.auth import negative_attempts  # noqa: E402
from strategies.urls import url_cases  # noqa: E402

URL_DEFECTS = {"no-url-constraint", "http-urls", "sidecar-mismatch", "lookalike-host"}
from testbed.runner import Testbed  # noqa: E402


class Found(Exception):
    pass


def _settings(examples: int, run_seed: int, index: int):  # type: ignore[no-untyped-def]
    def apply(test):  # type: ignore[no-untyped-def]
        return seed(run_seed * 1000 + index)(
            settings(
                max_examples=examples,
                database=None,
                phases=[Phase.generate],
                deadline=None,
                suppress_health_check=list(HealthCheck),
            )(test)
        )

    return apply


def first_url_finding(
    workbench: Workbench, examples: int, run_seed: int
) -> tuple[bool, int, float]:
    client = workbench.client
    sent_before, started = client.sent, time.monotonic()
    cases = url_cases(workbench.target.url_prefix)
    for index, path in enumerate(WritePath):

        @_settings(examples, run_seed, index)
        @given(st.data())
        def fuzz(data: st.DataObject) -> None:
            case = data.draw(cases)
            if check_url_write(workbench, path, case).outcome is Outcome.FINDING:  # noqa: B023
                raise Found

        try:
            fuzz()
        except Found:
            return True, client.sent - sent_before, time.monotonic() - started
    return False, client.sent - sent_before, time.monotonic() - started


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
            search = first_url_finding if args.defect in URL_DEFECTS else first_finding
            found, requests, seconds = search(workbench, args.examples, run_seed)
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
