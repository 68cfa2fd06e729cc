"""The run's verdict inside pytest's own JUnit XML, so that a CI test view agrees with the gate.

pytest writes the JUnit file itself, one test case per test; a run that was interrupted,
refused, or that checked nothing it was meant to would look green there (every case that ran
passed or was skipped). After pytest has written it, this adds the gate's verdict and counts
as ``testsuite`` properties and one more test case, ``authfuzz.verdict``, that passes only on
PASS and otherwise carries the verdict and its reason: the same words as every other output.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

CLASSNAME = "authfuzz"
CASE = "verdict"


def annotate(path: Path, summary: dict[str, object]) -> None:
    """Add the verdict to the JUnit file pytest wrote at ``path`` (nothing if it did not)."""
    if not path.is_file():
        return
    tree = ET.parse(path)
    root = tree.getroot()
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    if suite is None:
        return
    verdict = str(summary.get("verdict", "pass"))
    reason = str(summary.get("reason") or "")
    properties = suite.find("properties")
    if properties is None:
        properties = ET.Element("properties")
        suite.insert(0, properties)
    for name, value in _properties(summary).items():
        ET.SubElement(properties, "property", name=f"authfuzz.{name}", value=value)
    case = ET.SubElement(suite, "testcase", classname=CLASSNAME, name=CASE, time="0")
    suite.set("tests", str(int(suite.get("tests", "0")) + 1))
    if verdict != "pass":
        kind = "failure" if verdict == "fail" else "error"
        ET.SubElement(case, kind, message=f"{verdict.upper()}: {reason}")
        attribute = "failures" if kind == "failure" else "errors"
        suite.set(attribute, str(int(suite.get(attribute, "0")) + 1))
    tree.write(path, encoding="utf-8", xml_declaration=True)


def write_empty(path: Path) -> None:
    """A JUnit file with no test in it, for a run that ended before pytest could write one
    (``annotate`` then adds the verdict): the CI test view shows why, not nothing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests">'
        '<testsuite name="pytest" errors="0" failures="0" skipped="0" tests="0" time="0" />'
        "</testsuites>\n",
        encoding="utf-8",
    )


def _properties(summary: dict[str, object]) -> dict[str, str]:
    tests = summary.get("tests") if isinstance(summary.get("tests"), dict) else {}
    not_checked = summary.get("not_checked")
    assert isinstance(tests, dict)
    return {
        "verdict": str(summary.get("verdict", "pass")).upper(),
        "reason": str(summary.get("reason") or ""),
        "exit_code": str(summary.get("exit_code", "")),
        "findings": str(summary.get("findings", 0)),
        "tests_failed": str(tests.get("failed", 0)),
        "not_checked": str(not_checked.get("count", 0) if isinstance(not_checked, dict) else 0),
        "not_run": str(tests.get("not_run", 0)),
    }
