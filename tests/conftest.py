"""Session-wide settings of the harness's own tests, for them and every process they start.

- The user's spend journal is never touched. Gate runs these tests start against throttled
  "staging" testbeds record what they spend (``authfuzz.throttles.journal``); each gets a
  fresh testbed at a new address, so the records would never be read again, but they would
  pile up in ``~/.cache``. Every test, and every subprocess it starts, writes to a journal of
  this session's own instead.
- Bytecode is cached even where ``PYTHONDONTWRITEBYTECODE`` is set (some CI images set it):
  the tests start hundreds of gate runs, and without a cache each one compiles the harness
  and has pytest rewrite the asserts of some 400 plugin modules again, about 2 s a run.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# Plugins of the development extras that no gate run needs (see the module docstring).
NOT_IN_A_USERS_INSTALL = ("benchmark", "pytest_cov", "anyio")


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.pop("PYTHONDONTWRITEBYTECODE", None) is not None:
        sys.dont_write_bytecode = False


@pytest.fixture(autouse=True, scope="session")
def _own_spend_journal() -> Iterator[None]:
    before = os.environ.get("AUTHFUZZ_JOURNAL")
    with tempfile.TemporaryDirectory(prefix="authfuzz-journal-") as directory:
        os.environ["AUTHFUZZ_JOURNAL"] = str(Path(directory) / "spend.json")
        try:
            yield
        finally:
            if before is None:
                os.environ.pop("AUTHFUZZ_JOURNAL", None)
            else:
                os.environ["AUTHFUZZ_JOURNAL"] = before


@pytest.fixture(autouse=True, scope="session")
def _children_load_a_users_plugins() -> Iterator[None]:
    before = os.environ.get("PYTEST_ADDOPTS")
    lean = " ".join(f"-p no:{name}" for name in NOT_IN_A_USERS_INSTALL)
    os.environ["PYTEST_ADDOPTS"] = f"{before} {lean}" if before else lean
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("PYTEST_ADDOPTS", None)
        else:
            os.environ["PYTEST_ADDOPTS"] = before
