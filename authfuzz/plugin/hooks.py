"""The authfuzz pytest plugin: its options and hooks, in the order pytest calls them.

What each hook does lives beside it in the wing: ``config`` (what a process knows, and the
stash keys), ``profiles`` (Hypothesis), ``fixtures``, ``planning`` (throttles),
``unfinished`` (not checked), ``wire`` (what crosses pytest-xdist), ``collector`` and
``closing`` (the run's verdict and reports).
"""

from __future__ import annotations

import gc
import time
from typing import Any

import pytest
from hypothesis import settings

from authfuzz.branches import Api, Branch
from authfuzz.operations import SpecError, write_operations
from authfuzz.plugin import config as run
from authfuzz.plugin import options, planning, profiles, wire
from authfuzz.plugin.collector import RunCollector
from authfuzz.plugin.parametrize import parametrize_checks
from authfuzz.plugin.unfinished import unfinished_checks
from authfuzz.secrecy import redact_terminal, scrub_report
from authfuzz.throttles.fitting import apply_trim, is_fuzzed

pytest_plugins = ["authfuzz.plugin.fixtures"]


def pytest_addoption(parser: pytest.Parser) -> None:
    options.add_to_pytest(parser.getgroup("authfuzz", "authfuzz security gate"))


@pytest.hookimpl(trylast=True)  # after the terminal reporter exists
def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(RunCollector(config), run.COLLECTOR)
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None and workerinput.get(run.DEADLINE_INPUT) is not None:
        config.stash[run.DEADLINE] = float(workerinput[run.DEADLINE_INPUT])
    elif config.getoption("max_seconds", None) is not None:
        config.stash[run.DEADLINE] = time.time() + config.getoption("max_seconds")
    if config.pluginmanager.get_plugin("terminalreporter") is not None:
        redact_terminal(config.get_terminal_writer(), lambda: run.redactor(config))
    profiles.load(
        config.getoption("hypothesis_profile", None), config.getoption("hypothesis_seed", None)
    )


def pytest_report_header(config: pytest.Config) -> list[str]:
    """What is being gated, at the top of the log, for runs of the gate's suites only."""
    if not run.is_gate_run(config):
        return []
    target = run.configured_target(config)
    where = target.base_url or "the embedded testbed, started on 127.0.0.1 per process"
    defects = config.getoption("defects")
    return [
        f"authfuzz: target {target.name} ({target.environment.value}) at {where}"
        + (f" with defects {defects}" if defects else ""),
        f"authfuzz: profile {settings.get_current_profile_name()} "
        f"({settings().max_examples} examples per test), "
        f"reports in {config.getoption('report_dir')}/",
    ]


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    wire.hand_to_worker(node)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """The parameters every suite may ask for: operations, auth branches, APIs."""
    names = set(metafunc.fixturenames)
    if not {"write_operation", "auth_branch", "auth_api"} & names:
        return
    target = run.configured_target(metafunc.config)
    try:
        operations = write_operations(target.spec)
    except SpecError as error:
        run.refuse(metafunc.config, str(error))
    # Which of these may run on production each suite decides inside (identity probes do).
    checks: dict[str, list[tuple[str, object]]] = {
        "write_operation": [(op.operation_id, op) for op in operations],
        "auth_branch": [(f"{a.value}-{b.slug}", (a, b)) for a in Api for b in Branch.for_api(a)],
        "auth_api": [(api.value, api) for api in Api],
    }
    for argname, values in checks.items():
        parametrize_checks(metafunc, argname, values, on_production=None)


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Plan the run against the target's throttles; a run that ended early runs nothing."""
    planning.plan_collection(config, items)
    if run.early(config) is not None and items:
        config.hook.pytest_deselected(items=list(items))
        items[:] = []


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node: Any, ids: list[str]) -> None:
    planning.plan_from_worker(node.config, ids)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Move what start-up and collection built out of the garbage collector's sight.

    Modules, strategies, the spec and the collected items live as long as the run; without
    this every full collection walks them again, and pytest's five collections at exit cost
    about 0.4 s a gate run. Objects created from here on are collected as before.
    """
    if run.is_gate_run(session.config):
        gc.freeze()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Any:
    with unfinished_checks(item):
        if item.config.stash.get(run.TRIM, None) == 0 and is_fuzzed(item):
            pytest.skip("--fit-throttle: only the explicit examples fit the target's throttles")
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    trim = item.config.stash.get(run.TRIM, None)
    if trim:
        apply_trim(item, trim)
    with unfinished_checks(item):
        return (yield)


@pytest.hookimpl(wrapper=True, tryfirst=True)  # outermost: the last to touch the report
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    redact = run.redactor(item.config)
    statistics = getattr(item, "hypothesis_statistics", None)
    if redact is not None and isinstance(statistics, str):
        # Hypothesis's own wrapper, inside this one, writes these to the JUnit file base64
        # encoded, where no later redaction can see a secret: strategy reprs in its events
        # ("Retried draw from just('<a token>')") can hold one.
        item.hypothesis_statistics = redact(statistics)  # type: ignore[attr-defined]
    report = yield
    try:
        return wire.file_report(item, call, report)
    finally:
        redact = run.redactor(item.config)
        if redact is not None:
            scrub_report(report, redact)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Any:
    report = yield
    redact = run.redactor(collector.config)
    if redact is not None:
        scrub_report(report, redact)
    return report


@pytest.hookimpl(tryfirst=True)  # before the terminal reporter formats the interrupt
def pytest_keyboard_interrupt(excinfo: pytest.ExceptionInfo[BaseException]) -> None:
    """Leave out of Ctrl-C's traceback the frames Python gave no line number.

    A signal can land on an instruction that has none (Python 3.11). pytest's report of the
    interrupt formats every frame, and on such a frame it raised (TypeError, None - 1): an
    interrupted run, reports written or not, ended as an internal error. The frame has no
    source line to show, so nothing is lost.
    """
    excinfo.traceback = excinfo.traceback.filter(_has_line_number)


def _has_line_number(entry: Any) -> bool:
    try:
        entry.lineno  # noqa: B018 - the property is the test
    except TypeError:
        return False
    return True
