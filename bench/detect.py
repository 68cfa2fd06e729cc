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

With ``--explicit`` it measures the explicit tests instead: every (operation, branch) cell's
example and assigned sub-forms (for a URL defect, every body-format URL case), in an order
shuffled by the seed, as test scheduling may order them. A defect of the travel classes
(issue 11) must be found under every seed by these alone.

    python bench/detect.py --explicit --defect proxy-user-header
"""

from __future__ import annotations

import argparse
import random
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
from authfuzz.not_checked import NotApplicableError  # noqa: E402
from authfuzz.operations import write_operations  # noqa: E402
from authfuzz.oracles import Outcome, Verdict  # noqa: E402
from authfuzz.targets import load_target  # noqa: E402
from authfuzz.travel import BODY_FORMATS  # noqa: E402
from authfuzz.url_policy import URL_FIELDS  # noqa: E402
from authfuzz.url_writes import WritePath, check_url_write  # noqa: E402
from authfuzz.workbench import Workbench  # noqa: E402
from strategies.auth import available_branches, example_attempt, negative_attempts  # noqa: E402
from strategies.subforms import assigned  # noqa: E402
from strategies.urls import CATEGORIES, example_case, url_cases  # noqa: E402

URL_DEFECTS = {
    "no-url-constraint",
    "http-urls",
    "sidecar-mismatch",
    "lookalike-host",
    "sidecar-check-json-only",
}
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


def explicit_search(workbench: Workbench, url: bool, run_seed: int) -> tuple[bool, int, float]:
    """The explicit checks in a seeded order, until the first finding."""
    client = workbench.client
    sent_before, started = client.sent, time.monotonic()
    checks: list[Callable[[], Verdict]] = []
    if url:  # the URL suite's explicit cases, with its rotation of fields and paths
        prefix = workbench.target.url_prefix
        for path in WritePath:
            for field in URL_FIELDS:
                for category in CATEGORIES:
                    nonce = f"s{run_seed}-{path.slug}-{field}-{category}"  # fresh per seed
                    case = example_case(prefix, category, field=field, nonce=nonce)
                    checks.append(partial(check_url_write, workbench, path, case))
        texts = [c for c in CATEGORIES if c != "non-string"]
        for api in ("v1", "v2"):
            paths = [p for p in WritePath if p.api.value == api]
            for body_format in BODY_FORMATS[api][1:]:
                for turn, category in enumerate(texts):
                    path, field = paths[turn % len(paths)], URL_FIELDS[turn % len(URL_FIELDS)]
                    nonce = f"s{run_seed}-{path.slug}-{body_format}-{category}"
                    case = example_case(prefix, category, field=field, nonce=nonce)
                    checks.append(partial(check_url_write, workbench, path, case, body_format))
    else:
        principals = workbench.target.principals
        operations = write_operations(workbench.target.spec)
        cells: list[list[Callable[[], Verdict]]] = []
        for op in operations:
            for branch in available_branches(principals, op.api):
                attempts = (
                    example_attempt(principals, op.api, branch),
                    *assigned(principals, op, branch, operations),
                )
                cells.append([partial(workbench.check_write, op, a) for a in attempts])
        random.Random(run_seed).shuffle(cells)
        checks = [check for cell in cells for check in cell]
    if url:
        random.Random(run_seed).shuffle(checks)
    for check in checks:
        try:
            verdict = check()
        except NotApplicableError:
            continue
        if verdict.outcome is Outcome.FINDING:
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
    parser.add_argument(
        "--explicit", action="store_true", help="measure the explicit examples and sub-forms"
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
            url = args.defect in URL_DEFECTS
            if args.explicit:
                found, requests, seconds = explicit_search(workbench, url, run_seed)
            else:
                steps = (url_steps if url else auth_steps)(workbench)
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
    by = "the explicit examples and sub-forms" if args.explicit else "the fuzzed tests"
    print(f"defect {args.defect}: found {len(hits)}/{len(results)} seeds by {by}")
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
