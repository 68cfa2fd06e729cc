"""The input space by principle: every dimension a negative attempt varies along, each cell sent.

``strategies.dimensions`` names the dimensions and their cells; here each dimension is one
check per API, every cell of it sent by explicit examples in every run, never left to a random
draw, and judged by the engine on the whole state read back. The coverage report's third
matrix (dimension x cell) shows every declared cell as exercised, found, skipped or NOT
exercised.

- credential bytes: the staff credential re-spelt in each character class (username, key,
  token), on a create and a delete;
- body: every writable field alone (a PATCH of the canary and a create that sets it) and the
  body shapes that reach other objects, under each negative identity;
- object: a PATCH and a DELETE of an object of each provenance, under each negative identity;
- moment: the staff username's wrong key (a wrong token) right after a valid request by the
  same principal, right after a failed one, and beside a valid one in flight;
- answer: writes each kind of rejection answers, under each negative identity;
- url: one way at a time to make a stored URL stop matching the policy, as trusted staff;
- identity: every read of an unpublished release, under every negative identity: no more than
  an anonymous caller sees.

Production targets get the identity reads only; everything else writes.
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from authfuzz.branches import Api, Branch
from authfuzz.checks.auth_writes import NegativeWrite
from authfuzz.checks.bodies import BodyWrite
from authfuzz.checks.identity import RevealRead
from authfuzz.checks.moments import MomentWrite
from authfuzz.checks.objects import METHODS, ObjectWrite
from authfuzz.checks.url_writes import UrlEdit
from authfuzz.coverage import SKIPPED
from authfuzz.dimension_matrix import MISSING, DimensionMark, worse
from authfuzz.engine.engine import Engine
from authfuzz.engine.trial import Trial
from authfuzz.operations import Operation, write_operations
from authfuzz.outcomes import conclude, status
from authfuzz.plugin.parametrize import parametrize_checks
from strategies.anonymous import costs_anonymous_read
from strategies.auth import available_branches, example_attempt, unavailable_reason
from strategies.dimensions import (
    DIMENSION,
    MOMENTS,
    PROVENANCES,
    READS,
    URL_WAYS,
    answer_cells,
    body_cells,
    credential_bytes,
    negative_identities,
)

PRODUCTION_SKIP = "production target: every cell of this dimension writes"
Planned = list[tuple[str, Trial]]  # (cell, trial)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    apis = [(api.value, api) for api in Api]
    parametrize_checks(metafunc, "dimension_api", apis, on_production=None)


def _check(engine: Engine, dimension: str, planned: Planned, marks: list[DimensionMark]) -> None:
    """Send the planned trials as one check; mark every declared cell of the dimension."""
    declared = DIMENSION[dimension]
    if engine.bench.target.is_production and dimension != "identity":
        marks += [
            DimensionMark(dimension, declared.question, c, SKIPPED, PRODUCTION_SKIP)
            for c in declared.cells
        ]
        pytest.skip(PRODUCTION_SKIP)
    results = engine.run([trial for _, trial in planned])
    worst: dict[str, DimensionMark] = {}
    for cell, trial in planned:
        verdict = results.verdicts[trial.key]
        mark = DimensionMark(dimension, declared.question, cell, status(verdict), verdict.reason)
        worst[cell] = worse(worst[cell], mark) if cell in worst else mark
    marks += [
        worst.get(c, DimensionMark(dimension, declared.question, c, MISSING))
        for c in declared.cells
    ]
    conclude(results.verdicts[trial.key] for _, trial in planned)


def _ops(engine: Engine, api: Api, kinds: Iterable[str]) -> list[Operation]:
    wanted = tuple(kinds)
    return [
        op
        for op in write_operations(engine.bench.target.spec)
        if op.api is api and op.kind in wanted
    ]


def test_credential_bytes_never_write(
    authfuzz_engine: Engine, dimension_api: Api, authfuzz_dimension_marks: list[DimensionMark]
) -> None:
    principals = authfuzz_engine.bench.target.principals
    ops = [
        op
        for op in _ops(authfuzz_engine, dimension_api, ("create", "destroy"))
        if op.resource == "os"
    ]
    planned: Planned = [
        (cell, NegativeWrite(op, attempt, cell))
        for cell, attempt in credential_bytes(principals, dimension_api)
        for op in ops
    ]
    _check(authfuzz_engine, "credential-bytes", planned, authfuzz_dimension_marks)


def test_every_body_never_writes(
    authfuzz_engine: Engine, dimension_api: Api, authfuzz_dimension_marks: list[DimensionMark]
) -> None:
    principals = authfuzz_engine.bench.target.principals
    planned: Planned = [
        (cell.cell, BodyWrite(cell.cell, cell.method, cell.path, cell.body, attempt))
        for cell in body_cells()
        if cell.api is dimension_api
        for _, attempt in negative_identities(principals, dimension_api)
    ]
    _check(authfuzz_engine, "body", planned, authfuzz_dimension_marks)


def test_objects_of_every_provenance_stay_unwritten(
    authfuzz_engine: Engine, dimension_api: Api, authfuzz_dimension_marks: list[DimensionMark]
) -> None:
    principals = authfuzz_engine.bench.target.principals
    planned: Planned = [
        (provenance, ObjectWrite(provenance, resource, method, attempt))
        for provenance in PROVENANCES
        for resource in ("os", "release", "release_file")
        for method in METHODS[dimension_api]
        for _, attempt in negative_identities(principals, dimension_api)
    ]
    _check(authfuzz_engine, "object", planned, authfuzz_dimension_marks)


def test_no_moment_lets_a_wrong_credential_write(
    authfuzz_engine: Engine, dimension_api: Api, authfuzz_dimension_marks: list[DimensionMark]
) -> None:
    principals = authfuzz_engine.bench.target.principals
    identities = dict(negative_identities(principals, dimension_api))
    wrong = identities.get("wrong-key") or identities.get("bad-token")
    if wrong is None:
        pytest.skip("needs the trusted principal's credential for this API")
    failed = example_attempt(
        principals, dimension_api, Branch.NO_COLON if dimension_api is Api.V1 else Branch.BAD_TOKEN
    )
    planned: Planned = [
        (moment, MomentWrite(moment, op, wrong, failed))
        for moment in MOMENTS
        for op in _ops(authfuzz_engine, dimension_api, ("create", "destroy"))
    ]
    _check(authfuzz_engine, "moment", planned, authfuzz_dimension_marks)


def test_no_rejection_hides_a_write(
    authfuzz_engine: Engine, dimension_api: Api, authfuzz_dimension_marks: list[DimensionMark]
) -> None:
    principals = authfuzz_engine.bench.target.principals
    planned: Planned = [
        (
            cell.cell,
            BodyWrite(
                cell.cell, cell.method, cell.path, cell.body, attempt, cell.read_timeout, "answer"
            ),
        )
        for cell in answer_cells()
        if cell.api is dimension_api
        for _, attempt in negative_identities(principals, dimension_api)
    ]
    _check(authfuzz_engine, "answer", planned, authfuzz_dimension_marks)


def test_no_url_edit_stores_a_mismatch(
    authfuzz_engine: Engine, authfuzz_dimension_marks: list[DimensionMark]
) -> None:
    planned: Planned = [(way, UrlEdit(way, slot)) for slot, way in enumerate(URL_WAYS)]
    _check(authfuzz_engine, "url", planned, authfuzz_dimension_marks)


def test_no_identity_sees_more_than_anonymous(
    authfuzz_engine: Engine, dimension_api: Api, authfuzz_dimension_marks: list[DimensionMark]
) -> None:
    """Every non-staff principal on every read; on v2, where anonymous reads are scarce (100
    a day), every other branch's example on the list of drafts only, and not at all when a
    correct server reads it as anonymous (the identity probes ask that one, of the draft)."""
    principals = authfuzz_engine.bench.target.principals
    planned: Planned = []
    for branch in available_branches(principals, dimension_api):
        if unavailable_reason(principals, dimension_api, branch):
            continue
        attempt = example_attempt(principals, dimension_api, branch)
        if dimension_api is Api.V2 and costs_anonymous_read(attempt, "GET"):
            continue
        everywhere = dimension_api is Api.V1 or branch in (Branch.NON_STAFF, Branch.INACTIVE)
        for read in READS if everywhere else ("release-list-unpublished",):
            if read == "release-set" and dimension_api is Api.V2:
                continue
            planned.append((read, RevealRead(read, attempt)))
    _check(authfuzz_engine, "identity", planned, authfuzz_dimension_marks)
