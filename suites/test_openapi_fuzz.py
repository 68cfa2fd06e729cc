"""The spec-driven layer of the gate: Schemathesis over ``specs/pythondotorg.yaml``.

Schemathesis brings breadth (every write operation of the spec, bodies drawn from its
schemas, response conformance, create -> read -> change -> delete chains along the spec's
links); the harness brings everything else, unchanged: the one client, the targets, the auth
and URL strategies, the check engine and the findings (``authfuzz.openapi``,
``authfuzz.checks.openapi``).

Three tests, one job each:

- ``test_negative_attempts_never_write``: each Hypothesis example draws a batch of cases from
  every state-changing operation of both APIs, each dressed in an attempt drawn from
  ``strategies.auth.negative_attempts`` (never Schemathesis's own invalid credential). Judged by
  the engine on the whole state read back: any change, or a 2xx to a write, is a finding; a 400
  is never evidence.
- ``test_staff_url_writes_store_only_allowed_urls``: the release-file writes as trusted staff,
  their URL fields drawn from ``strategies.urls.url_cases``: no URL the policy rejects may be
  stored anywhere.
- ``test_stateful_chains`` (one per API): ``schema.as_state_machine()`` as trusted staff, following the
  spec's links from each create to the detail operations of what it made, each step a trial
  of the engine, judged by it and by Schemathesis's stateful checks.

How cases are generated and aimed:

- Positive data mode only (schemathesis-notes gotcha 5), no security parameter generated; the
  credential is always the attempt's, added by ``writes.with_attempt``.
- Every write is pinned to objects the process owns on every send (``authfuzz.openapi.pinning``):
  ``{id}`` to the canary, a bulk delete to the canary release, a release file's
  ``os``/``release`` to the canary OS and release, a create's ``slug`` to a nonce; the auth test
  also makes URL fields legal, since the URL policy is not what it is about. So only the
  credential can explain a rejection, and a case never touches anyone else's data.
- Cases are drawn with ``APIOperation.as_strategy()`` inside the test's own ``@given``, a batch
  per example, so that the engine judges many cases with one read.
  ``max_examples`` comes from the active Hypothesis profile (dev 15, ci 8, deep 300); the
  stateful run takes an eighth as many scenarios of at most ``STATEFUL_STEPS`` steps per API.
- Production targets: every test here writes, so all are skipped at collection with the reason
  (the client's guard would refuse the writes anyway).

Which of Schemathesis's own checks run, and why each other one is off, is written once, in
``authfuzz.openapi.config`` (``BUILTIN_CHECKS_ON``, ``BUILTIN_CHECKS_OFF``,
``STATEFUL_CHECKS_ON``): decided by running them all against the clean testbed (dev x5, deep
x1, with -n 2), where none of those on fired.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from authfuzz.branches import Api
from authfuzz.checks.openapi import CaseTrial, UrlExpectation, conformance, harness_state_machine
from authfuzz.engine.engine import Engine
from authfuzz.engine.trial import Trial
from authfuzz.openapi import STATEFUL_STEPS, stateful_scenarios
from authfuzz.openapi.config import configure, spec_subset
from authfuzz.outcomes import conclude
from authfuzz.plugin.parametrize import parametrize_checks
from authfuzz.spec import read_spec
from authfuzz.targets import Target
from strategies.auth import negative_attempts, positive_attempt
from strategies.urls import url_cases

PRODUCTION_SKIP = "production target: every test here writes (the client would refuse anyway)"
WRITES = ("create", "update", "partial_update", "destroy", "bulk_destroy")
URL_KINDS = ("create", "update", "partial_update")
CASES_PER_EXAMPLE = 20  # negative cases per Hypothesis example: one batch
URL_CASES_PER_EXAMPLE = 8


def _max_examples() -> int:
    return int(settings.default.max_examples)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """The stateful chains: one item per API (a chain stays within its API); the batches draw
    from both APIs (``both``). On production every item is skipped at collection."""
    apis = [(api.value, api) for api in Api]
    parametrize_checks(metafunc, "openapi_api", apis, on_production=PRODUCTION_SKIP)
    parametrize_checks(metafunc, "openapi_scope", [("both", "both")], on_production=PRODUCTION_SKIP)


@pytest.fixture(scope="session")
def openapi_document(authfuzz_target: Target) -> Any:
    return copy.deepcopy(read_spec(Path(authfuzz_target.spec)))


def _operations(
    document: Any, api: Api, kinds: tuple[str, ...], engine: Engine, url_only: bool = False
) -> list[Any]:
    """The API's operations of ``kinds`` as Schemathesis operations, ready to draw cases from."""

    def keep(path: str, method: str, body: dict[str, Any]) -> bool:
        wanted = body.get("x-authfuzz-api") == api.value and body.get("x-authfuzz-kind") in kinds
        return wanted and (not url_only or body.get("x-authfuzz-resource") == "release_file")

    schema = schemathesis.openapi.from_dict(spec_subset(document, keep))
    configure(
        schema, base_url=engine.client.base_url, max_examples=_max_examples(), phases=["fuzzing"]
    )
    return [result.ok() for result in schema.get_all_operations()]


def _cases(operations: list[Any]) -> st.SearchStrategy[Any]:
    return st.sampled_from(operations).flatmap(lambda operation: operation.as_strategy())


def _judge(engine: Engine, trials: list[CaseTrial], wrapped: list[Trial]) -> None:
    """The engine's verdicts first (a finding fails the test), then Schemathesis's own
    conformance checks on each answer."""
    results = engine.run(wrapped)
    conclude(results.verdicts.values())
    for trial in trials:
        seen = results.seen.get(trial.key)
        if seen is not None:
            conformance(engine, trial, seen.sent)


@given(data=st.data())
def test_negative_attempts_never_write(
    authfuzz_engine: Engine, openapi_scope: str, openapi_document: Any, data: st.DataObject
) -> None:
    """Cases of every write operation of both APIs, each with a negative attempt for its API."""
    principals = authfuzz_engine.bench.target.principals
    operations = [
        (api, op)
        for api in Api
        for op in _operations(openapi_document, api, WRITES, authfuzz_engine)
    ]
    drawn = data.draw(
        st.lists(
            st.sampled_from(operations).flatmap(
                lambda pair: st.tuples(
                    pair[1].as_strategy(), negative_attempts(principals, pair[0])
                )
            ),
            min_size=CASES_PER_EXAMPLE,
            max_size=CASES_PER_EXAMPLE,
        ),
        label="cases",
    )
    trials = [CaseTrial(f"case {n}", case, attempt) for n, (case, attempt) in enumerate(drawn)]
    _judge(authfuzz_engine, trials, list(trials))


@given(data=st.data())
def test_staff_url_writes_store_only_allowed_urls(
    authfuzz_engine: Engine, openapi_scope: str, openapi_document: Any, data: st.DataObject
) -> None:
    """The release-file writes of both APIs as staff, their URL fields drawn from the URL cases."""
    target = authfuzz_engine.bench.target
    operations = [
        (api, op)
        for api in Api
        for op in _operations(openapi_document, api, URL_KINDS, authfuzz_engine, url_only=True)
    ]
    drawn = data.draw(
        st.lists(
            st.tuples(st.sampled_from(operations), url_cases(target.url_prefix)).flatmap(
                lambda x: st.tuples(x[0][1].as_strategy(), st.just(x[0][0]), st.just(x[1]))
            ),
            min_size=URL_CASES_PER_EXAMPLE,
            max_size=URL_CASES_PER_EXAMPLE,
        ),
        label="url cases",
    )
    # Each change goes to a URL pool slot of its own: in one batch, a legal value written to an
    # object another case wrote would hide that case's foreign value.
    trials = [
        CaseTrial(
            f"url case {n}",
            case,
            positive_attempt(target.principals, api),
            UrlExpectation(url.field, url.category, url.fields, url.accepted),
            slot=n,
        )
        for n, (case, api, url) in enumerate(drawn)
    ]
    _judge(authfuzz_engine, trials, list(trials))


def test_stateful_chains(openapi_api: Api, openapi_document: Any, authfuzz_engine: Engine) -> None:
    """Create -> read -> change -> delete chains of one API, along the spec's links."""

    def chained(path: str, method: str, body: dict[str, Any]) -> bool:
        # Creates and the detail operations of what they made; no lists, no bulk deletes.
        kind = body.get("x-authfuzz-kind")
        in_api = body.get("x-authfuzz-api") == openapi_api.value
        return in_api and (kind == "create" or (kind != "list" and "{id}" in path))

    engine = authfuzz_engine
    schema = schemathesis.openapi.from_dict(spec_subset(openapi_document, chained))
    examples = stateful_scenarios(_max_examples())
    configure(
        schema,
        base_url=engine.client.base_url,
        max_examples=examples,
        phases=["stateful"],
        stateful=True,
    )
    staff = positive_attempt(engine.bench.target.principals, openapi_api)
    machine = harness_state_machine(schema, engine, staff)
    machine.run(
        settings=settings(
            max_examples=examples,
            stateful_step_count=STATEFUL_STEPS,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
