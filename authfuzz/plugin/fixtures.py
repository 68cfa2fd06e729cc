"""The fixtures a suite asks for: the target, its client, custody, the workbench, the engine.

All are session-scoped (one per process): a process talks to one target through one client
and one custody for the whole run. The mark fixtures collect what a test exercised and ship
it in the test's report, however the test ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from authfuzz.client import Client
from authfuzz.coverage import PROPERTY, Cell
from authfuzz.custody.custodian import START_DIGEST, Custodian, custody_reader
from authfuzz.custody.ledger import Ledger
from authfuzz.custody.lock import RunLock
from authfuzz.custody.protector import Protector
from authfuzz.dimension_matrix import PROPERTY as DIMENSION_PROPERTY
from authfuzz.dimension_matrix import DimensionMark
from authfuzz.engine.engine import Engine
from authfuzz.plugin import config as run
from authfuzz.plugin.wire import REQUESTS, RequestCounter
from authfuzz.surface.matrix import PROPERTY as ROUTE_PROPERTY
from authfuzz.surface.matrix import RouteMark
from authfuzz.targets import Target
from authfuzz.workbench import Workbench
from authfuzz.world import World


@pytest.fixture(scope="session")
def authfuzz_target(request: pytest.FixtureRequest) -> Iterator[Target]:
    """The configured target, with the embedded testbed started when it asks for one."""
    target = run.configured_target(request.config)
    if target.start != "testbed":
        yield target
        return
    from testbed.defects import UnknownDefectError
    from testbed.runner import Testbed, TestbedStartError

    try:
        testbed = Testbed(defects=request.config.getoption("defects").split(","))
        info = testbed.start()
    except (UnknownDefectError, TestbedStartError) as error:
        run.refuse(request.config, f"cannot start the testbed: {error}")
    try:
        yield target.with_base_url(info.base_url)
    finally:
        testbed.stop()


@pytest.fixture(scope="session")
def authfuzz_client(request: pytest.FixtureRequest, authfuzz_target: Target) -> Iterator[Client]:
    config = request.config
    journals = run.journals(config)
    client = Client(
        authfuzz_target,
        share=run.worker_count(),
        ceilings=config.stash.get(run.CEILINGS, None),
        deadline=run.deadline(config),
        ledger=Ledger(journal=journals / f"{run.worker_id(config)}.jsonl") if journals else None,
    )
    config.stash[REQUESTS] = RequestCounter(client)
    client.ensure_reachable()
    yield client
    client.close()


@pytest.fixture(scope="session")
def authfuzz_custody(
    request: pytest.FixtureRequest, authfuzz_target: Target, authfuzz_client: Client
) -> Iterator[Protector | None]:
    """Custody of the target's data for this process (see ``authfuzz.custody``).

    The protector stands around every risky request. A process that started its own testbed
    also keeps the digests and cleans up at the end; for a shared target the controlling
    process does that (``RunCollector``), and this process only reports what it put back.
    """
    trusted = authfuzz_target.principals.trusted()
    if trusted is None or not trusted.token:
        yield None  # no trusted reader: Workbench explains why the gate cannot run
        return
    config = request.config
    reader = custody_reader(authfuzz_client, authfuzz_target.principals)
    journals = run.journals(config)
    own_testbed = authfuzz_target.start == "testbed"  # one process per target
    lock = RunLock.for_target(
        journals if not own_testbed and run.worker_count() > 1 else None, authfuzz_client.base_url
    )
    custodian = None
    if own_testbed:
        custodian = Custodian(reader, authfuzz_client.ledger)
        custodian.begin()
    start = _baseline(custodian, authfuzz_client.ledger, journals)
    protector = Protector(reader, authfuzz_client.ledger, lock, lambda: start)
    with authfuzz_client.guarded_by(protector):
        try:
            yield protector
        finally:
            if custodian is not None:
                config.stash[run.STATE] = custodian.finish(protector.log).to_dict()
            else:
                config.stash[run.DURING] = protector.log


@pytest.fixture(scope="session")
def authfuzz_workbench(
    authfuzz_target: Target, authfuzz_client: Client, authfuzz_custody: Protector | None
) -> Iterator[Workbench]:
    workbench = Workbench(authfuzz_target, authfuzz_client)
    if authfuzz_custody is not None:  # one view of the target for custody and the checks
        workbench.reader.known = authfuzz_custody.reader.known
    yield workbench
    workbench.close()


@pytest.fixture(scope="session")
def authfuzz_engine(
    request: pytest.FixtureRequest,
    authfuzz_workbench: Workbench,
    authfuzz_custody: Protector | None,
) -> Engine:
    """The check engine of this process: every suite's trials go through it."""
    engine = Engine(authfuzz_workbench, protector=authfuzz_custody)
    request.config.stash[run.ENGINE] = engine
    return engine


def _baseline(custodian: Custodian | None, ledger: Ledger, journals: Path | None) -> World | None:
    """How the run found the target: this process's own custodian's first read, or the one
    the controlling process saved beside the journals. The ledger learns from it what was
    there before the run (never the run's to remove)."""
    if custodian is not None:
        return custodian.start
    path = journals / START_DIGEST if journals is not None else None
    start = World.load(path) if path is not None and path.exists() else None
    if start is not None:
        ledger.found((e.resource, e.pk, e.slug) for e in start.objects())
    return start


@pytest.fixture
def authfuzz_dimension_marks(record_property: Any) -> Iterator[list[DimensionMark]]:
    """Input-space marks a test produced; recorded for the dimension matrix when it ends."""
    marks: list[DimensionMark] = []
    yield marks
    for mark in marks:
        record_property(DIMENSION_PROPERTY, mark.to_json())


@pytest.fixture
def authfuzz_route_marks(record_property: Any) -> Iterator[list[RouteMark]]:
    """Route-surface marks a test produced; recorded for the route matrix when it ends."""
    marks: list[RouteMark] = []
    yield marks
    for mark in marks:
        record_property(ROUTE_PROPERTY, mark.to_json())


@pytest.fixture
def authfuzz_cells(record_property: Any) -> Iterator[list[Cell]]:
    """Cells a test exercised; recorded for the matrix when the test ends, however it ends."""
    cells: list[Cell] = []
    yield cells
    for cell in {c.to_json(): c for c in cells}.values():
        record_property(PROPERTY, cell.to_json())
