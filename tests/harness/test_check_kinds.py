"""Every kind of check, one trial each, through the engine against a real testbed: the fast
tier's answer for the check modules, which otherwise only the gate runs of the slow tier use.

Clean: every kind sends its requests and concludes with no finding. With the February 2026
bug switched on, the same wrong-key trial is a finding (so the clean half could fail).
"""

from __future__ import annotations

import pytest

from authfuzz.branches import Api, Branch
from authfuzz.checks.auth_writes import NegativeWrite
from authfuzz.checks.bodies import BodyWrite
from authfuzz.checks.bulk_deletes import BulkDelete
from authfuzz.checks.identity import RevealRead
from authfuzz.checks.moments import MomentWrite
from authfuzz.checks.objects import ObjectWrite
from authfuzz.checks.routes import RouteCellTrial
from authfuzz.checks.stored_urls import findings as sweep_findings
from authfuzz.checks.stored_urls import sweep
from authfuzz.checks.url_writes import UrlEdit
from authfuzz.engine.trial import Alone, Trial
from authfuzz.findings import FindingError
from authfuzz.operations import write_operations
from authfuzz.outcomes import conclude
from authfuzz.surface.covering import GROUPS, covering
from authfuzz.surface.table import Caller
from strategies.auth import example_attempt
from strategies.bulk_filters import LABELS, example_filter
from strategies.dimensions import (
    MOMENTS,
    READS,
    URL_WAYS,
    body_cells,
    credential_bytes,
    negative_identities,
)
from tests.harness.test_engine import TARGET, engine_on


def _one_of_each() -> list[Trial]:
    principals = TARGET.principals
    operations = write_operations(TARGET.spec)
    create_os = next(op for op in operations if op.api is Api.V1 and op.kind == "create")
    bulk = next(op for op in operations if op.kind == "bulk_destroy")
    wrong = dict(negative_identities(principals, Api.V1))["wrong-key"]
    failed = example_attempt(principals, Api.V1, Branch.NO_COLON)
    body = next(cell for cell in body_cells() if cell.api is Api.V1)
    cell, attempt = credential_bytes(principals, Api.V1)[0]
    route_cell = covering(TARGET.spec, Api.V1, Caller.USER, GROUPS[Caller.USER][0])[0]
    bulk_trial = BulkDelete(bulk, example_filter(LABELS[0]), "example")  # type: ignore[arg-type]
    return [
        NegativeWrite(create_os, attempt, cell),
        BodyWrite(body.cell, body.method, body.path, body.body, wrong),
        ObjectWrite("v1", "release", "DELETE", wrong),  # a provenance the zoo makes
        MomentWrite(MOMENTS[0], create_os, wrong, failed),
        RevealRead(READS[0], example_attempt(principals, Api.V1, Branch.NON_STAFF)),
        UrlEdit(URL_WAYS[0], 0),
        Alone(bulk_trial) if bulk_trial.alone else bulk_trial,
        RouteCellTrial(route_cell, Caller.USER),
    ]


def test_every_check_kind_runs_clean_on_head() -> None:
    with engine_on() as engine:
        trials = _one_of_each()
        results = engine.run(trials)
        assert set(results.verdicts) == {t.key for t in trials}
        conclude(results.verdicts.values())  # raises FindingError on a finding
        assert engine.bench.client.sent > len(trials)
        for api in Api:
            swept = sweep(engine.bench, api, lambda seen: None)
            assert swept.files > 0
            bench = engine.bench
            found = sweep_findings(
                swept,
                TARGET.name,
                api,
                TARGET.url_prefix,
                bench.client.base_url,
                bench.client.redact,
            )
            assert found == []


def test_a_wrong_key_write_is_a_finding_on_the_february_2026_bug() -> None:
    principals = TARGET.principals
    create_os = next(
        op for op in write_operations(TARGET.spec) if op.api is Api.V1 and op.kind == "create"
    )
    attempt = example_attempt(principals, Api.V1, Branch.WRONG_KEY)
    with engine_on("guest-fallthrough") as engine:
        results = engine.run([NegativeWrite(create_os, attempt, "wrong-key")])
        with pytest.raises(FindingError):
            conclude(results.verdicts.values())
