"""A check that could not finish is a skip with its reason, recorded so the run fails.

``NotChecked`` (a fault, a throttle, the budget or the time) skips the test; an unreachable
target (the circuit breaker tripped) skips it too and stops the session, which then ends
with exit code 3. Neither is a failure of the test, and neither is a pass.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from authfuzz.client import TargetUnreachableError
from authfuzz.not_checked import NotChecked
from authfuzz.plugin import config as run
from authfuzz.run_summary import NotCheckedTest


@contextmanager
def unfinished_checks(item: pytest.Item) -> Iterator[None]:
    try:
        deadline = run.deadline(item.config)
        if deadline is not None:
            deadline.check()
        yield
    except NotChecked as error:
        record = NotCheckedTest(item.nodeid, error.cause.value, error.reason)
        item.user_properties.append((run.NOT_CHECKED_PROPERTY, record.to_json()))
        pytest.skip(str(error))
    except TargetUnreachableError as error:
        message = str(error)
        item.user_properties.append((run.UNREACHABLE_PROPERTY, message))
        item.session.shouldstop = f"authfuzz: {message}"
        pytest.skip(f"not checked (unreachable): {message}")
