"""The ground floor of the plugin: what one run's processes know, and where they keep it.

Every other module of the wing reads the run's configuration through these functions and
keeps its per-process state under these stash keys (never in module globals), so this
module imports none of them: splitting the plugin closed no circle. The names that cross
the xdist wire (``workerinput``, ``workeroutput``, report properties) are here too, each
written once.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

from authfuzz.client import Deadline
from authfuzz.layout import SUITES
from authfuzz.redaction import Redactor
from authfuzz.secrecy import Redact
from authfuzz.targets import DEFAULT_TARGET, Target, TargetsFileError, resolve_target
from authfuzz.verdict import Ending, Verdict

if TYPE_CHECKING:
    from authfuzz.custody.reconcile import Reconciliation
    from authfuzz.engine.engine import Engine
    from authfuzz.throttles.journal import Journal
    from authfuzz.throttles.reserve import Ceilings

COLLECTOR = "authfuzz-run-collector"  # the plugin name of this run's ``RunCollector``

# -- stash keys: one process's state ---------------------------------------------------------
TARGET = pytest.StashKey[Target]()
REDACTOR = pytest.StashKey[Redact]()
# A run that ends before its tests can say anything (refused, unreachable, not the API): the
# verdict and its one line. Every process skips its tests; the controller writes the reports.
EARLY = pytest.StashKey[Ending]()
TRIM = pytest.StashKey[int | None]()  # examples per fuzzed test after --fit-throttle
PLANNED = pytest.StashKey[bool]()
# how far this process's checks may spend each bucket
CEILINGS: pytest.StashKey[Ceilings] = pytest.StashKey()
JOURNAL: pytest.StashKey[Journal | None] = pytest.StashKey()
DEADLINE = pytest.StashKey[float]()  # wall-clock time after which nothing more is checked
JOURNALS = pytest.StashKey[Path]()
STATE = pytest.StashKey[dict[str, Any]]()  # this process's custody report (own testbed)
# what this process's protector put back
DURING: pytest.StashKey[Reconciliation] = pytest.StashKey()
ENGINE: pytest.StashKey[Engine] = pytest.StashKey()

# -- the xdist wire: controller -> worker (workerinput) ---------------------------------------
EARLY_INPUT = "authfuzz_early"
RELEASE_FILES_INPUT = "authfuzz_release_files"
DEADLINE_INPUT = "authfuzz_deadline"
JOURNALS_INPUT = "authfuzz_journals"
# -- worker -> controller (workeroutput, and properties of test reports) ----------------------
STATE_OUTPUT = "authfuzz_state"
DURING_OUTPUT = "authfuzz_restored_during"
FINDING_PROPERTY = "authfuzz_finding"
NOT_CHECKED_PROPERTY = "authfuzz_not_checked"
UNREACHABLE_PROPERTY = "authfuzz_unreachable"
UNCONFIRMED_PROPERTY = "authfuzz_unconfirmed"
REQUESTS_PROPERTY = "authfuzz_requests"


def configured_target(config: pytest.Config) -> Target:
    """The target named on the command line, validated once per process."""
    if TARGET not in config.stash:
        try:
            target = resolve_target(
                config.getoption("target"),
                config.getoption("targets_file"),
                defects=config.getoption("defects"),
                as_production=config.getoption("as_production"),
            )
        except TargetsFileError as error:
            refuse(config, str(error))
        config.stash[TARGET] = target
        config.stash[REDACTOR] = Redactor.for_principals(target.principals).redact
    return config.stash[TARGET]


def refuse(config: pytest.Config, reason: str) -> NoReturn:
    """Stop a run that cannot start (configuration): REFUSED, exit code 2, one line."""
    config.stash[EARLY] = Ending(Verdict.REFUSED, reason)
    pytest.exit(f"authfuzz: {reason}", returncode=Verdict.REFUSED.exit_code)


def end_early(config: pytest.Config, ending: Ending) -> None:
    """Record an ending found before any test ran; the tests are then deselected."""
    config.stash.setdefault(EARLY, ending)


def early(config: pytest.Config) -> Ending | None:
    if EARLY in config.stash:
        return config.stash[EARLY]
    data = _workerinput(config).get(EARLY_INPUT)
    return Ending(Verdict(data[0]), data[1]) if data else None


def refused_target(config: pytest.Config) -> bool:
    """The targets file or target was refused: there is no target to describe."""
    ending = early(config)
    return TARGET not in config.stash and ending is not None and ending.verdict is Verdict.REFUSED


def redactor(config: pytest.Config) -> Redact | None:
    """The target's redactor once the target is loaded (its secrets are unknown before)."""
    return config.stash.get(REDACTOR, None)


def is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def worker_id(config: pytest.Config) -> str:
    return str(_workerinput(config).get("workerid", "main"))


def worker_count() -> int:
    """How many processes share the run's budgets (pytest-xdist sets it in each worker)."""
    return int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)


def processes(config: pytest.Config) -> int:
    return max(1, int(getattr(config.option, "numprocesses", 0) or 0))


def in_suites(arg: str) -> bool:
    path = Path(arg.split("::", 1)[0]).resolve()
    return path == SUITES or SUITES in path.parents


def is_gate_run(config: pytest.Config) -> bool:
    """A run of the gate's suites."""
    return any(in_suites(arg) for arg in config.args)


def names_a_target(config: pytest.Config) -> bool:
    """A gate run (``suites/``), or one's own tests against a target named with --target."""
    return is_gate_run(config) or config.getoption("target") != DEFAULT_TARGET


def journals(config: pytest.Config) -> Path | None:
    """The directory where every process of this run keeps its ledger (made by the controller)."""
    if is_worker(config):
        path = _workerinput(config).get(JOURNALS_INPUT)
        return Path(path) if path else None
    if JOURNALS not in config.stash:
        config.stash[JOURNALS] = Path(tempfile.mkdtemp(prefix="authfuzz-ledger-"))
    return config.stash[JOURNALS]


def release_files(config: pytest.Config) -> int | None:
    """How many release files the target has (the v1 sweep reads 100 a request)."""
    if is_worker(config):
        value = _workerinput(config).get(RELEASE_FILES_INPUT)
        return int(value) if value is not None else None
    collector = config.pluginmanager.get_plugin(COLLECTOR)
    shared = getattr(collector, "shared", None)
    if shared is None or shared.custodian.start is None:
        return None
    return len(shared.custodian.start.table("release_file"))


def deadline(config: pytest.Config) -> Deadline | None:
    at = config.stash.get(DEADLINE, None)
    if at is None:
        return None
    return Deadline(at, f"the run's --max-seconds ({config.getoption('max_seconds'):g} s) were up")


def _workerinput(config: pytest.Config) -> dict[str, Any]:
    return getattr(config, "workerinput", None) or {}
