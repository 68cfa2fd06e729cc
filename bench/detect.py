"""How many requests and seconds the fuzzed tests need to find a defect, over many seeds.

Measures the Hypothesis-driven tests alone (no explicit examples, which find
every defect by construction), through the check engine as the suites run them: for
an auth defect, per API, batches of negative attempts drawn over its write
operations; for a URL defect, batches of URL cases on any write path, as staff.
Each step gets the CI profile's example budget (one batch an example), and the
run stops at the first finding. Shrinking is off, as it only starts after the
first finding.

    python bench/detect.py                          # guest-fallthrough, 20 seeds
    python bench/detect.py --defect inactive-user --seeds 10
    python bench/detect.py --defect lookalike-host  # a URL defect: the URL suite's loop

With ``--explicit`` it measures the explicit tests instead: every branch's check (its example
on every operation and its assigned sub-forms; for a URL defect, the covering set's cases
and every body-format case), in an order shuffled by the seed, as test scheduling may
order them. A defect of the travel classes
(issue 11) must be found under every seed by these alone.

    python bench/detect.py --explicit --defect proxy-user-header
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from authfuzz.branches import Api  # noqa: E402
from authfuzz.checks.auth_writes import NegativeWrite  # noqa: E402
from authfuzz.checks.url_writes import UrlWrite, WritePath, covering  # noqa: E402
from authfuzz.client import Client  # noqa: E402
from authfuzz.engine.engine import Engine  # noqa: E402
from authfuzz.engine.trial import Trial  # noqa: E402
from authfuzz.operations import write_operations  # noqa: E402
from authfuzz.oracles import Outcome  # noqa: E402
from authfuzz.targets import load_target  # noqa: E402
from authfuzz.travel import BODY_FORMATS  # noqa: E402
from authfuzz.url_policy import URL_FIELDS  # noqa: E402
from authfuzz.workbench import Workbench  # noqa: E402
from strategies.auth import available_branches, negative_attempts  # noqa: E402
from strategies.subforms import branch_cells  # noqa: E402
from strategies.urls import CATEGORIES, example_case, url_cases  # noqa: E402

URL_DEFECTS = {
    "no-url-constraint",
    "http-urls",
    "sidecar-mismatch",
    "lookalike-host",
    "sidecar-check-json-only",
}
AUTH_BATCH = 10  # the auth suite's fuzzed test: attempts per example
URL_BATCH = 4  # the URL suite's fuzzed test: cases per example
from testbed.runner import Testbed  # noqa: E402


class Found(Exception):
    pass


def _found(engine: Engine, trials: list[Trial]) -> bool:
    results = engine.run(trials)
    return any(v.outcome is Outcome.FINDING for v in results.verdicts.values())


def search(
    engine: Engine,
    steps: list[SearchStrategy[list[Trial]]],
    examples: int,
    run_seed: int,
) -> tuple[bool, int, float]:
    """Fuzz each step in turn (a strategy of batches, as the suite's test draws them) until
    the first finding."""
    client = engine.client
    sent_before, started = client.sent, time.monotonic()
    first: list[tuple[int, float]] = []  # measured when the check reports, before any clean-up
    for index, strategy in enumerate(steps):

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
            if _found(engine, data.draw(strategy)):  # noqa: B023
                # Counted as the check returns: Hypothesis's replay of the failure is not search.
                first.append((client.sent - sent_before, time.monotonic() - started))
                raise Found

        try:
            fuzz()
        except Found:
            requests, seconds = first[0]
            return True, requests, seconds
    return False, client.sent - sent_before, time.monotonic() - started


def auth_steps(bench: Workbench) -> list[SearchStrategy[list[Trial]]]:
    """The auth suite's fuzzed test: per API, batches of negative attempts on its operations."""
    principals, operations = bench.target.principals, write_operations(bench.target.spec)
    steps = []
    for api in Api:
        mine = [op for op in operations if op.api is api]
        pairs = st.tuples(st.sampled_from(mine), negative_attempts(principals, api))
        batch = st.lists(pairs, min_size=AUTH_BATCH, max_size=AUTH_BATCH)
        steps.append(
            batch.map(
                lambda drawn: [NegativeWrite(op, a, f"draw {n}") for n, (op, a) in enumerate(drawn)]
            )
        )
    return steps


def url_steps(bench: Workbench) -> list[SearchStrategy[list[Trial]]]:
    """The URL suite's fuzzed test: batches of URL cases on any write path, as staff."""
    pairs = st.tuples(st.sampled_from(list(WritePath)), url_cases(bench.target.url_prefix))
    batch = st.lists(pairs, min_size=URL_BATCH, max_size=URL_BATCH)
    return [batch.map(lambda drawn: [UrlWrite(p, c, slot=n) for n, (p, c) in enumerate(drawn)])]


def explicit_checks(bench: Workbench, url: bool, run_seed: int) -> list[list[Trial]]:
    """The suites' explicit checks, each as its test sends it."""
    checks: list[list[Trial]] = []
    if url:
        prefix = bench.target.url_prefix
        for path in WritePath:
            cases = [(f, c) for p, f, c in covering(CATEGORIES) if p is path]
            checks.append(
                [
                    UrlWrite(
                        path, example_case(prefix, c, f, f"s{run_seed}-{path.slug}-{f}-{c}"), slot=n
                    )
                    for n, (f, c) in enumerate(cases)
                ]
            )
        texts = [c for c in CATEGORIES if c != "non-string"]
        for api in ("v1", "v2"):
            paths = [p for p in WritePath if p.api.value == api]
            for body_format in BODY_FORMATS[api][1:]:
                check: list[Trial] = []
                for turn, category in enumerate(texts):
                    path, field = paths[turn % len(paths)], URL_FIELDS[turn % len(URL_FIELDS)]
                    nonce = f"s{run_seed}-{path.slug}-{body_format}-{category}"
                    case = example_case(prefix, category, field=field, nonce=nonce)
                    check.append(UrlWrite(path, case, body_format, slot=turn))
                checks.append(check)
    else:
        principals, operations = bench.target.principals, write_operations(bench.target.spec)
        for api in Api:
            for branch in available_branches(principals, api):
                cells = branch_cells(principals, api, branch, operations)
                checks.append(
                    [NegativeWrite(op, a, f"cell {n}") for n, (op, a, _) in enumerate(cells)]
                )
    random.Random(run_seed).shuffle(checks)
    return checks


def explicit_search(engine: Engine, url: bool, run_seed: int) -> tuple[bool, int, float]:
    """The explicit checks in a seeded order, until the first finding."""
    client = engine.client
    sent_before, started = client.sent, time.monotonic()
    for check in explicit_checks(engine.bench, url, run_seed):
        if _found(engine, check):
            return True, client.sent - sent_before, time.monotonic() - started
    return False, client.sent - sent_before, time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--defect", default="guest-fallthrough")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument(
        "--examples", type=int, default=8, help="examples (batches) per step (ci profile: 8)"
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
        engine = Engine(workbench)
        workbench.canaries()  # set-up requests are not part of the search
        for run_seed in range(args.seeds):
            url = args.defect in URL_DEFECTS
            if args.explicit:
                found, requests, seconds = explicit_search(engine, url, run_seed)
            else:
                steps = (url_steps if url else auth_steps)(workbench)
                found, requests, seconds = search(engine, steps, args.examples, run_seed)
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
