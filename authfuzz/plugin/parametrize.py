"""What a suite's ``pytest_generate_tests`` calls: one test per check, with a readable id.

Checks that could change state are skipped at collection on production, with the suite's
reason (the guard in ``client.guard`` would refuse their requests anyway; skipping says so up
front, and the end screen lists them as skipped, not passed).
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from authfuzz.plugin.config import configured_target
from authfuzz.targets import Target


def parametrize_checks(
    metafunc: pytest.Metafunc,
    argname: str,
    checks: Iterable[tuple[str, object]],
    *,
    on_production: str | None,
) -> None:
    """Parametrize ``argname`` with ``(id, value)`` pairs when the test asks for it.

    ``on_production``: why none of these checks runs on production (they could change
    state), or None when they all may."""
    if argname not in metafunc.fixturenames:
        return
    skip = on_production is not None and target_of(metafunc).is_production
    marks = [pytest.mark.skip(reason=on_production)] if skip and on_production else []
    metafunc.parametrize(
        argname, [pytest.param(value, id=name, marks=marks) for name, value in checks]
    )


def target_of(metafunc: pytest.Metafunc) -> Target:
    return configured_target(metafunc.config)
