"""Every PoC file in ``pocs/`` is a regression test of the gate.

Each file runs in its full form (the attack as reported) and, where it has one, in its
read-only ``[[probe]]`` form, through the same check engine as the rest of the gate
(``authfuzz.poc.replay``): judged on the whole state read back, confirmed alone. On a production target only read-only forms run: a
full form that could write is skipped with the guard's reason. A VULNERABLE step fails the
test with its finding (redacted request, status, read-back evidence); an INCONCLUSIVE one (a
429, a placeholder this target cannot fill, such as a principal it does not have) is a skip
that says why.

To keep a finding of the fuzzers forever, move its exported file from the report directory's
``pocs/`` into ``pocs/``: from then on it runs here. ``authfuzz repro pocs/`` runs the same
files outside pytest.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from authfuzz.engine.engine import Engine
from authfuzz.findings import FindingError
from authfuzz.not_checked import NotChecked
from authfuzz.poc.format import PocFileError, load_poc
from authfuzz.poc.replay import Form, Result, run_poc
from authfuzz.targets import Target

POCS = Path(__file__).resolve().parent.parent / "pocs"


def _cases() -> list[tuple[Path, Form]]:
    """Each file's full form, and its probe form where it has one (a broken file still runs, and fails)."""
    cases = []
    for path in sorted(POCS.glob("*.toml")):
        try:
            has_probe = bool(load_poc(path).probe)
        except PocFileError:
            has_probe = False
        cases.append((path, Form.FULL))
        if has_probe:
            cases.append((path, Form.PROBE))
    return cases


CASES = _cases()


@pytest.mark.parametrize(
    ("path", "form"), CASES, ids=[f"{path.stem}-{form.value}" for path, form in CASES]
)
def test_poc_is_fixed(
    authfuzz_target: Target, authfuzz_engine: Engine, path: Path, form: Form
) -> None:
    try:
        poc = load_poc(path)
    except PocFileError as error:
        pytest.fail(str(error), pytrace=False)
    writes = poc.writes()
    if form is Form.FULL and authfuzz_target.is_production and writes is not None:
        step, reason = writes
        instead = "its probe form runs instead" if poc.probe else "it has no read-only form"
        pytest.skip(f"production target: {step.label}: {reason}; {instead}")
    result = run_poc(poc, authfuzz_engine, form.value)
    if result.result is Result.VULNERABLE:
        raise FindingError(*result.findings())
    if result.cause is not None:
        raise NotChecked(f"PoC {poc.id}: {result.reason}", result.cause)
    if result.result is not Result.FIXED:
        pytest.skip(f"{result.result.value}: {result.reason}")
