"""The harness's own tests never touch the user's spend journal.

Gate runs these tests start against throttled "staging" testbeds record what they spend
(``authfuzz.throttles.journal``); each gets a fresh testbed at a new address, so the records
would never be read again, but they would pile up in ``~/.cache``. Every test, and every
subprocess it starts, writes to a journal of this session's own instead.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


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
