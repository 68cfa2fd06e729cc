"""The spec-driven layer of the gate: Schemathesis over ``specs/pythondotorg.yaml``.

Schemathesis brings breadth (every write operation of the spec, bodies drawn from its
schemas, response conformance, create -> read -> change -> delete chains along the spec's
links); the harness brings everything else, unchanged: the one client, the targets, the auth
and URL strategies, the read-back oracles and the findings (``authfuzz.schemathesis_checks``).

Three tests, one job each:

- ``test_negative_attempts_never_write``: every state-changing operation of the spec, each
  case dressed in an attempt drawn from ``strategies.auth.negative_attempts`` (never
  Schemathesis's own invalid credential). Judged by NoUnauthenticatedWrite on the trusted
  read-back: a 2xx, or any change, is a finding; a 400 is never evidence.
- ``test_staff_url_writes_store_only_allowed_urls``: the release-file writes as trusted staff,
  their URL fields drawn from ``strategies.urls.url_cases``. Judged by NoForeignUrl on the
  read-back of what was written.
- ``test_stateful_chains``: ``schema.as_state_machine()`` as trusted staff, following the
  spec's links from each create to the detail operations of what it made; judged by
  Schemathesis's stateful checks and, for release-file changes, NoForeignUrl.

How cases are generated and aimed:

- Positive data mode only (schemathesis-notes gotcha 5), no security parameter generated; the
  credential is always the attempt's, added by ``writes.with_attempt``.
- Every write is pinned to objects the worker owns before it is sent: ``{id}`` to the worker's
  canary, a bulk delete to the canary release, a release file's ``os``/``release`` to the canary
  OS and release, a create's ``slug`` to a nonce; the auth test also makes URL fields legal,
  since the URL policy is not what it is about. So only the credential can explain a
  rejection, and under pytest-xdist, or against a shared target, a case never touches another
  worker's (or anyone's) data. The stateful run addresses only objects it created itself.
- One pytest item per operation (``[v1_os_create]`` ...), parametrized at collection from the
  spec's operation ids, so ids never merge (gotcha 1) and xdist spreads operations over
  workers. The schema itself is loaded lazily (``schemathesis.pytest.from_fixture``), once the
  testbed's base URL is known, as a one-operation subset of the spec.
- Phases are pinned (gotcha 7): ``fuzzing`` for the per-operation tests, ``stateful`` for the
  chains. ``examples`` and ``coverage`` cannot run here: each case needs an attempt (or a URL
  case) drawn with it through ``@schema.given``, and Schemathesis refuses the first and skips
  the second in that combination. ``max_examples`` comes from the active Hypothesis profile
  (dev 15, ci 8, deep 300), set in Schemathesis's own config because ``@settings`` values equal
  to Hypothesis defaults do not override it (gotcha 6); the stateful run takes half as many
  scenarios of at most ``STATEFUL_STEPS`` steps per API.
- Production targets: every test here writes, so all are skipped at collection with the reason
  (the client's guard would refuse the writes anyway).

Schemathesis's own checks, decided by running them all against the clean testbed (dev x5,
deep x1, with -n 2); ``authfuzz.schemathesis_checks`` has the same list in code:

- on: ``status_code_conformance``, ``response_headers_conformance``,
  ``response_schema_conformance``; in the stateful run also ``use_after_free`` and
  ``ensure_resource_availability``. None fired on the clean testbed.
- off, ``not_a_server_error`` (and status_code_conformance's "undocumented 500", filtered by a
  ``filter_failure`` hook): v1 answers 500 where the real API does too, for database errors (a
  ``version`` beyond the integer column, a URL longer than the 200-character column, a second
  ``download_button`` file for one (os, release) pair) and for non-ASCII whitespace inside the
  Authorization header (the odd-whitespace branch). A 500 is neither a write nor a stored URL;
  the oracles judge what was stored.
- off, ``content_type_conformance``: the web server answers a malformed header (several
  negative branches send one on purpose) with its own ``text/plain`` 400 before the API sees
  the request, as python.org's front end does with its own page.
- off, ``positive_data_acceptance``: it tolerates 401/403 but not 400, and a schema-valid case
  with a negative attempt legitimately gets 400 (the web server's, for a malformed header; v1's,
  which validates before it authorizes).
- off, ``ignored_auth`` and ``object_level_authorization``: they send their own requests
  outside the harness's client (no production guard, no budget, no redaction), and
  ``ignored_auth`` only tries the literal ``SCHEMATHESIS-INVALID-VALUE``, a small subset of
  ``negative_attempts``.
- off, as inert here: ``negative_data_rejection``, ``missing_required_header``,
  ``unsupported_method`` (negative/coverage-mode probes only; undocumented methods are covered
  by ``tests/testbed/test_spec_matches_testbed.py``), ``allow_header_conformance`` (OPTIONS
  only) and ``max_response_time`` (not a security property).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from authfuzz import schemathesis_checks as fuzz
from authfuzz.branches import Api
from authfuzz.client import Client
from authfuzz.not_checked import NotApplicableError
from authfuzz.operations import Operation, write_operations
from authfuzz.plugin import configured_target
from authfuzz.state import new_nonce
from authfuzz.targets import Target
from authfuzz.workbench import Workbench
from strategies.auth import negative_attempts, positive_attempt
from strategies.urls import url_cases

PRODUCTION_SKIP = "production target: every test here writes (the client would refuse anyway)"
URL_KINDS = ("create", "update", "partial_update")
STATEFUL_STEPS = 8


def _max_examples() -> int:
    return int(settings.default.max_examples)


def _is_url_write(op: Operation) -> bool:
    return op.resource == "release_file" and op.kind in URL_KINDS


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One item per operation of the spec (the operation id is the test id), or per API."""
    names = set(metafunc.fixturenames)
    if not names & {"openapi_operation", "openapi_url_operation", "openapi_api"}:
        return
    target = configured_target(metafunc.config)
    marks = [pytest.mark.skip(reason=PRODUCTION_SKIP)] if target.is_production else []
    for name, select in (
        ("openapi_operation", lambda op: True),
        ("openapi_url_operation", _is_url_write),
    ):
        if name in names:
            operations = [op for op in write_operations(target.spec) if select(op)]
            metafunc.parametrize(
                name, [pytest.param(op, id=op.operation_id, marks=marks) for op in operations]
            )
    if "openapi_api" in names:
        metafunc.parametrize("openapi_api", [pytest.param(a, id=a.value, marks=marks) for a in Api])


@pytest.fixture(scope="session")
def openapi_document(authfuzz_target: Target) -> Any:
    return yaml.safe_load(Path(authfuzz_target.spec).read_text(encoding="utf-8"))


def _one_operation(document: Any, operation: Operation, client: Client) -> schemathesis.BaseSchema:
    schema = schemathesis.openapi.from_dict(
        fuzz.spec_subset(
            document, lambda path, method, body: body.get("operationId") == operation.operation_id
        )
    )
    fuzz.configure(
        schema, base_url=client.base_url, max_examples=_max_examples(), phases=["fuzzing"]
    )
    return schema


@pytest.fixture
def openapi_schema(
    openapi_document: Any, openapi_operation: Operation, authfuzz_client: Client
) -> schemathesis.BaseSchema:
    return _one_operation(openapi_document, openapi_operation, authfuzz_client)


@pytest.fixture
def openapi_url_schema(
    openapi_document: Any, openapi_url_operation: Operation, authfuzz_client: Client
) -> schemathesis.BaseSchema:
    return _one_operation(openapi_document, openapi_url_operation, authfuzz_client)


def _send(workbench: Workbench, operation: Operation, case: Any, *args: Any) -> fuzz.Exchange:
    """Send through the harness; a case this target refuses to receive is a skip with why."""
    try:
        return fuzz.send(workbench, operation, case, *args)
    except NotApplicableError as error:  # destructive = false, for a bulk delete
        pytest.skip(str(error))


def _run(exchange: fuzz.Exchange) -> None:
    try:
        fuzz.validate(exchange)
    finally:
        fuzz.settle(exchange)


negative = schemathesis.pytest.from_fixture("openapi_schema")


@negative.parametrize()
@negative.given(data=st.data())
def test_negative_attempts_never_write(
    case: Any, data: st.DataObject, authfuzz_workbench: Workbench
) -> None:
    workbench = authfuzz_workbench
    operation = fuzz.spec_operation(case)
    attempt = data.draw(negative_attempts(workbench.target.principals, operation.api), "attempt")
    readback = fuzz.pin(workbench, operation, case, new_nonce())
    _run(_send(workbench, operation, case, attempt, readback))


url_writes = schemathesis.pytest.from_fixture("openapi_url_schema")


@url_writes.parametrize()
@url_writes.given(data=st.data())
def test_staff_url_writes_store_only_allowed_urls(
    case: Any, data: st.DataObject, authfuzz_workbench: Workbench
) -> None:
    workbench = authfuzz_workbench
    operation = fuzz.spec_operation(case)
    url = data.draw(url_cases(workbench.target.url_prefix), "url case")
    attempt = positive_attempt(workbench.target.principals, operation.api)
    written = fuzz.UrlExpectation(url.field, url.category, url.fields, url.accepted)
    readback = fuzz.pin(workbench, operation, case, new_nonce(), urls=url.fields)
    _run(_send(workbench, operation, case, attempt, readback, written))


def test_stateful_chains(
    openapi_api: Api, openapi_document: Any, authfuzz_workbench: Workbench
) -> None:
    """Create -> read -> change -> delete chains of one API, along the spec's links."""

    def chained(path: str, method: str, body: dict[str, Any]) -> bool:
        # Creates and the detail operations of what they made; no lists, no bulk deletes.
        kind = body.get("x-authfuzz-kind")
        in_api = body.get("x-authfuzz-api") == openapi_api.value
        return in_api and (kind == "create" or (kind != "list" and "{id}" in path))

    workbench = authfuzz_workbench
    schema = schemathesis.openapi.from_dict(fuzz.spec_subset(openapi_document, chained))
    examples = max(2, _max_examples() // 2)
    fuzz.configure(
        schema,
        base_url=workbench.client.base_url,
        max_examples=examples,
        phases=["stateful"],
        stateful=True,
    )
    staff = positive_attempt(workbench.target.principals, openapi_api)
    machine = fuzz.harness_state_machine(schema, workbench, staff)
    machine.run(
        settings=settings(
            max_examples=examples,
            stateful_step_count=STATEFUL_STEPS,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
