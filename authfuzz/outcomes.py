"""How a check's verdict ends a gate test, the same way in every suite.

A finding fails the test (``FindingError`` carries it to the reports); a check that could not
reach its verdict raises ``NotChecked`` (the plugin makes it a skip that is counted and fails
the run); a check that does not apply to this target is a plain skip with its reason; a pass
returns. ``exercising`` records the coverage-matrix cell of the check inside it, whichever of
these it ends with.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import pytest

from authfuzz.coverage import FINDING, SKIPPED, UNCHECKED, Cell
from authfuzz.findings import FindingError
from authfuzz.not_checked import NotApplicableError, NotChecked
from authfuzz.oracles import Outcome, Verdict


def settle(verdict: Verdict) -> None:
    """Fail on a finding, stop on a check that could not finish, skip on one that does not apply."""
    if verdict.outcome is Outcome.FINDING and verdict.finding is not None:
        raise FindingError(verdict.finding)
    if verdict.outcome is Outcome.INCONCLUSIVE:
        verdict.raise_not_checked()
        pytest.skip(verdict.reason)


@contextmanager
def exercising(cells: list[Cell], cell: Cell) -> Iterator[None]:
    """Record ``cell`` as what the check inside ends with: exercised, finding, not checked, skipped.

    A ``NotApplicableError`` becomes a skip with its reason.
    """
    try:
        yield
    except FindingError:
        cells.append(replace(cell, status=FINDING))
        raise
    except NotChecked as error:
        cells.append(replace(cell, status=UNCHECKED, reason=str(error)))
        raise
    except NotApplicableError as error:
        cells.append(replace(cell, status=SKIPPED, reason=str(error)))
        pytest.skip(str(error))
    except pytest.skip.Exception as error:
        cells.append(replace(cell, status=SKIPPED, reason=str(error.msg)))
        raise
    else:
        cells.append(cell)
