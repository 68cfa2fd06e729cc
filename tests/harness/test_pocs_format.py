"""PoC files without a target: one-line errors, placeholders, the exporter, the form choice.

Every malformed file goes through ``authfuzz repro`` itself: exit 2 and exactly one line that
names the file, the line and the problem, before anything is started or sent.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from authfuzz.commands import repro
from authfuzz.findings import Finding
from authfuzz.poc import placeholders
from authfuzz.poc.export import (
    EXPORT_MARKER,
    NotExportableError,
    export_findings,
    finding_to_poc,
)
from authfuzz.poc.format import INVARIANTS, PocFileError, load_poc, parse_poc
from authfuzz.poc.replay import Form, choose_form
from authfuzz.redaction import Redactor
from authfuzz.targets import load_target
from tests.harness.gate import REPO

POCS = REPO / "pocs"
PRINCIPALS = load_target(REPO / "targets.toml", "testbed").principals

GOOD = """\
id = "example"
title = "an example"
api = "v1"

[references]
pr = "https://github.com/python/pythondotorg/pull/2946"

[[steps]]
name = "a wrong key creates an OS"
method = "POST"
path = "/api/v1/downloads/os/"
headers = { Authorization = "ApiKey {principal.@staff.username}:{random_key}" }
json = { name = "poc {nonce}", slug = "poc-os-{nonce}" }
invariant = "rejected-and-unchanged"
readback = { resource = "os", slug = "poc-os-{nonce}" }
"""

PROBE = """
[[probe]]
method = "GET"
path = "/api/v1/downloads/release/{object.draft_release}/"
headers = { Authorization = "ApiKey {principal.@staff.username}:{random_key}" }
invariant = "identity-is-guest"
"""


def _replace(old: str, new: str, text: str = GOOD) -> str:
    assert old in text
    return text.replace(old, new)


# (case id, file text, a fragment of the offending line (None: expect line N), problem)
MALFORMED: list[tuple[str, str, str | int, str]] = [
    ("bad-toml", _replace('title = "an example"', 'title = "an example'), 2, "not valid TOML"),
    (
        "unknown-placeholder",
        _replace("{random_key}", "{random_kee}"),
        "Authorization",
        "unknown placeholder {random_kee}",
    ),
    (
        "unknown-principal-field",
        _replace("{principal.@staff.username}", "{principal.admin.apikey}"),
        "Authorization",
        "field 'apikey' is not one of username, api_key, token, password",
    ),
    (
        "redacted-placeholder",
        _replace("{random_key}", "{redacted}"),
        "Authorization",
        "{redacted} is a near-miss key the redactor masked; write {random_key}",
    ),
    (
        "unknown-invariant",
        _replace('invariant = "rejected-and-unchanged"', 'invariant = "rejected"'),
        'invariant = "rejected"',
        "step 1: unknown invariant 'rejected'; expected one of " + ", ".join(INVARIANTS),
    ),
    (
        "missing-method",
        _replace('method = "POST"\n', ""),
        "[[steps]]",
        "step 1: missing 'method'",
    ),
    (
        "missing-path",
        _replace('path = "/api/v1/downloads/os/"\n', ""),
        "[[steps]]",
        "step 1: missing 'path'",
    ),
    (
        "missing-invariant",
        _replace('invariant = "rejected-and-unchanged"\n', ""),
        "[[steps]]",
        "step 1: missing 'invariant'",
    ),
    (
        "missing-readback",
        _replace('readback = { resource = "os", slug = "poc-os-{nonce}" }\n', ""),
        "[[steps]]",
        "step 1: rejected-and-unchanged needs a readback",
    ),
    (
        "unknown-step-key",
        _replace("headers = {", "header = {"),
        "header = {",
        "step 1: unknown key 'header'",
    ),
    (
        "bad-method",
        _replace('method = "POST"', 'method = "FETCH"'),
        'method = "FETCH"',
        "step 1: method 'FETCH' is not one of",
    ),
    (
        "api-mismatch",
        _replace('path = "/api/v1/downloads/os/"', 'path = "/api/v2/downloads/os/"'),
        'path = "/api/v2',
        "step 1: path is on v2 but the PoC declares api = ['v1']",
    ),
    ("missing-id", _replace('id = "example"\n', ""), 1, "missing 'id'"),
    (
        "unknown-reference",
        _replace("pr = ", "issue = "),
        "issue = ",
        "unknown reference 'issue'",
    ),
    (
        "probe-that-writes",
        GOOD + PROBE.replace('method = "GET"', 'method = "DELETE"'),
        "[[probe]]",
        "probe step 1: identity-is-guest must be read-only, but method DELETE can change state",
    ),
    (
        "probe-with-a-canary",
        GOOD + PROBE.replace("{object.draft_release}", "{object.release}"),
        "{object.release}",
        "probe step 1: a probe runs where no canary can be created",
    ),
    (
        "bad-readback",
        _replace('resource = "os", slug', 'resource = "oses", slug'),
        "readback =",
        "step 1: readback resource 'oses' is not one of os, release, release_file",
    ),
]


@pytest.mark.parametrize(
    ("text", "where", "problem"),
    [case[1:] for case in MALFORMED],
    ids=[case[0] for case in MALFORMED],
)
def test_malformed_poc_is_one_line_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, where: str | int, problem: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    if isinstance(where, int):
        line = where
    else:
        line = next(n for n, t in enumerate(text.splitlines(), 1) if where in t)
    code = repro.main([str(path)])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1, err
    assert err.startswith(f"authfuzz repro: error: {path}:{line}: "), err
    assert problem in err


def test_every_problem_of_several_files_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.toml").write_text(MALFORMED[0][1])
    (tmp_path / "b.toml").write_text(MALFORMED[1][1])
    (tmp_path / "c.toml").write_text(GOOD)
    assert repro.main([str(tmp_path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert [line.split(": ")[2].split(":")[0] for line in err] == [
        str(tmp_path / "a.toml"),
        str(tmp_path / "b.toml"),
    ]


def test_malformed_file_through_the_console_entry_point_has_no_traceback(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(_replace("{random_key}", "{nonse}"))
    completed = subprocess.run(
        [sys.executable, "-m", "authfuzz.cli", "repro", str(path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 2
    assert "Traceback" not in completed.stdout + completed.stderr
    assert completed.stderr.strip().endswith(
        f"{path}:12: step 1: unknown placeholder {{nonse}}; known: {{nonce}}, {{random_key}}, "
        "{base_url}, {url_prefix}, {principal.NAME.FIELD}, {object.NAME}"
    )


def test_check_validates_without_a_target(capsys: pytest.CaptureFixture[str]) -> None:
    assert repro.main([str(POCS), "--check"]) == 0
    assert "PoC file(s) valid" in capsys.readouterr().out


def test_pocs_directory_files_are_valid_and_referenced() -> None:
    files = sorted(POCS.glob("*.toml"))
    assert len(files) >= 10
    for path in files:
        poc = load_poc(path)
        assert poc.id == path.stem, f"{path}: id must match the file name"
        assert {"pr", "docs"} & set(poc.references), f"{path}: cite the PR or the docs"
        assert not poc.exported
        assert not Redactor.for_principals(PRINCIPALS).contains_secret(path.read_text())


# -- placeholders ---------------------------------------------------------------------------


def _values(objects: dict[str, int] | None = None) -> placeholders.Values:
    def lookup(name: str) -> int:
        if objects is None or name not in objects:
            raise placeholders.UnfillableError(f"no {name}")
        return objects[name]

    return placeholders.Values(
        principals=PRINCIPALS,
        nonce="0123456789ab",
        random_key=placeholders.fresh_random_key(PRINCIPALS),
        base_url="http://127.0.0.1:1",
        url_prefix="https://www.python.org/",
        objects=lookup,
    )


def test_placeholders_fill_every_kind() -> None:
    values = _values({"release_file": 7, "draft_release": 2})
    admin = PRINCIPALS.by_name("admin")
    retired = PRINCIPALS.by_name("retired")
    assert placeholders.fill("{principal.@staff.api_key}", values) == admin.api_key
    assert placeholders.fill("{principal.@inactive.username}", values) == retired.username
    assert placeholders.fill("{principal.user.token}", values) == PRINCIPALS.by_name("user").token
    assert placeholders.fill("{base_url}/x/{object.release_file}/", values) == (
        "http://127.0.0.1:1/x/7/"
    )
    assert placeholders.fill("{url_prefix}ftp/{nonce}", values) == (
        "https://www.python.org/ftp/0123456789ab"
    )
    assert placeholders.fill("{{literal}} {{nonce}}", values) == "{literal} {nonce}"
    assert placeholders.fill('{"a": 1}', values) == '{"a": 1}'  # not a placeholder
    key = placeholders.fill("{random_key}", values)
    assert len(key) == 40 and key not in PRINCIPALS.secrets()


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("{principal.nobody.api_key}", "the target has no principal 'nobody'"),
        ("{object.os}", "no os"),
    ],
)
def test_unfillable_placeholder_names_itself(text: str, why: str) -> None:
    with pytest.raises(placeholders.UnfillableError) as caught:
        placeholders.fill(text, _values())
    assert str(caught.value).startswith(f"placeholder {text} could not be filled: {why}")


# -- forms and the production guard ---------------------------------------------------------


def test_production_gets_the_probe_form_or_a_refusal() -> None:
    writing = parse_poc(GOOD)
    with_probe = parse_poc(GOOD + PROBE)
    assert choose_form(writing, False, "t") == (Form.FULL, writing.steps)
    refusal = choose_form(writing, True, "prod")
    assert isinstance(refusal, str)
    assert "could change state (method POST can change state)" in refusal
    assert "target 'prod' is production" in refusal
    assert "no read-only [[probe]] form" in refusal
    assert choose_form(with_probe, True, "prod") == (Form.PROBE, with_probe.probe)
    assert isinstance(choose_form(with_probe, True, "prod", "full"), str)
    assert choose_form(with_probe, False, "t", "probe") == (Form.PROBE, with_probe.probe)


# -- the exporter ---------------------------------------------------------------------------


def _finding(replay: dict[str, object] | None, **overrides: object) -> Finding:
    fields: dict[str, object] = {
        "invariant": "no-unauthenticated-write",
        "oracle": "read-back",
        "target": "testbed",
        "branch": "wrong-key",
        "operation": "POST /api/v2/downloads/release_file/",
        "summary": "the write took effect (status 201) without valid staff credentials",
        "request": "(redacted)",
        "status": 201,
        "evidence": "objects with the request's nonce after the attempt: 1",
        "curl": "curl ...",
        "labels": ("near-miss:one-off",),
        "replay": replay,
    }
    fields.update(overrides)
    return Finding(**fields)  # type: ignore[arg-type]


def _replay(**overrides: object) -> dict[str, object]:
    replay: dict[str, object] = {
        "method": "POST",
        "path": "/api/v2/downloads/release_file/",
        "headers": [["Authorization", "Token {redacted}"]],
        "query": [],
        "json": {
            "name": "authfuzz 0a1b2c3d4e5f",
            "slug": "authfuzz-release-file-0a1b2c3d4e5f",
            "os": "http://127.0.0.1:40123/api/v2/downloads/os/17/",
            "release": "http://127.0.0.1:40123/api/v2/downloads/release/9/",
            "url": "https://www.python.org/ftp/authfuzz/0a1b2c3d4e5f/{x}.tgz",
        },
        "form": None,
        "session_of": None,
    }
    replay.update(overrides)
    return replay


def test_export_templates_everything_bound_to_the_run() -> None:
    poc_id, text = finding_to_poc(_finding(_replay()))
    poc = parse_poc(text, f"{poc_id}.toml")
    assert text.startswith(EXPORT_MARKER) and poc.exported
    (step,) = poc.steps
    assert step.headers == (("Authorization", "Token {random_key}"),)
    assert step.json_body == {
        "name": "authfuzz {nonce}",
        "slug": "authfuzz-release-file-{nonce}",
        "os": "{base_url}/api/v2/downloads/os/{object.os}/",
        "release": "{base_url}/api/v2/downloads/release/{object.release}/",
        "url": "https://www.python.org/ftp/authfuzz/{nonce}/{{x}}.tgz",
    }
    assert step.invariant == "rejected-and-unchanged"
    assert [r.describe() for r in step.readbacks] == [
        "release_file slug=authfuzz-release-file-{nonce}"
    ]
    (probe,) = poc.probe
    assert probe.path == "/api/v2/downloads/release/{object.draft_release}/"
    assert probe.headers == step.headers
    # The escaped brace is a literal again once filled.
    filled = placeholders.fill(
        str(step.json_body["url"]), _values({"os": 1, "release": 1, "release_file": 1})
    )
    assert filled == "https://www.python.org/ftp/authfuzz/0123456789ab/{x}.tgz"
    assert not Redactor.for_principals(PRINCIPALS).contains_secret(text)


def test_export_of_detail_bulk_override_and_probe_findings() -> None:
    detail = _replay(
        method="GET",
        path="/api/v1/downloads/os/31/",
        headers=[
            ["Authorization", "ApiKey admin:{redacted}"],
            ["X-HTTP-Method-Override", "DELETE"],
        ],
        json=None,
    )
    step = parse_poc(finding_to_poc(_finding(detail))[1]).steps[0]
    assert step.path == "/api/v1/downloads/os/{object.os}/"
    assert [r.describe() for r in step.readbacks] == ["os id={object.os}"]

    bulk = _replay(
        method="DELETE",
        path="/api/v1/downloads/release_file/",
        headers=[["Authorization", "ApiKey editor:{principal.admin.api_key}"]],
        query=[["release", "40"]],
        json=None,
    )
    poc = parse_poc(finding_to_poc(_finding(bulk))[1])
    assert poc.steps[0].query == (("release", "{object.release}"),)
    assert [r.describe() for r in poc.steps[0].readbacks] == [
        "release_file release={object.release}"
    ]
    assert poc.probe[0].query == ()  # the canary filter stays behind: a probe has no canary

    probe = _finding(
        _replay(method="GET", path="/api/v1/downloads/release/2/", json=None),
        oracle="identity-probe",
    )
    poc = parse_poc(finding_to_poc(probe)[1])
    assert poc.steps[0].invariant == "identity-is-guest"
    assert poc.steps[0].path == "/api/v1/downloads/release/{object.draft_release}/"
    assert poc.probe == ()


def test_export_keeps_repeated_headers_and_null_json() -> None:
    replay = _replay(
        headers=[["Authorization", "Token a"], ["Authorization", "Token b"]],
    )
    replay["json"] = {**replay["json"], "gpg_signature_file": None}  # type: ignore[dict-item]
    text = finding_to_poc(_finding(replay))[1]
    data = tomllib.loads(text)
    assert data["steps"][0]["headers"] == [
        ["Authorization", "Token a"],
        ["Authorization", "Token b"],
    ]
    assert json.loads(data["steps"][0]["json_text"])["gpg_signature_file"] is None
    assert parse_poc(text).steps[0].json_body["gpg_signature_file"] is None


@pytest.mark.parametrize(
    ("finding", "why"),
    [
        (_finding(None, oracle="stored-url-sweep"), "recorded no replayable request"),
        (_finding(_replay(), branch="poc:pr2946-guest-fallthrough"), "came from a PoC file"),
        (_finding(_replay(json=None)), "a create without a slug"),
    ],
    ids=["sweep", "from-a-poc", "no-slug"],
)
def test_findings_that_cannot_be_exported_say_why(finding: Finding, why: str) -> None:
    with pytest.raises(NotExportableError, match=why):
        finding_to_poc(finding)


def test_export_replaces_earlier_exports_but_not_hand_written_files(tmp_path: Path) -> None:
    directory = tmp_path / "pocs"
    directory.mkdir()
    (directory / "mine.toml").write_text(GOOD)
    (directory / "stale.toml").write_text(EXPORT_MARKER + "\n")
    results = export_findings(
        [_finding(_replay()), _finding(_replay()), _finding(None, oracle="stored-url-sweep")],
        directory,
        PRINCIPALS,
    )
    exported = results[0].path
    assert exported is not None and exported.name.startswith(
        "found-wrong-key-v2-release_file-create-"
    )
    assert {p.name for p in directory.iterdir()} == {"mine.toml", exported.name}
    assert results[0].path == results[1].path  # the same request is one file
    assert results[2].path is None and "no replayable request" in results[2].reason


def test_the_documented_example_is_a_valid_poc() -> None:
    """docs/pocs.md's example, with every key its table calls required, parses as it says."""
    page = (REPO / "docs" / "pocs.md").read_text(encoding="utf-8")
    example = page.split("```toml\n", 1)[1].split("```", 1)[0]
    poc = parse_poc(example, "docs/pocs.md")
    assert poc.id == "pr2946-guest-fallthrough"
    assert len(poc.steps) == 2 and len(poc.probe) == 1
    # What the page's table calls required is: without it, the file is refused.
    head, _, rest = example.partition("[references]")
    without = head + "[[steps]]" + rest.split("[[steps]]", 1)[1]
    with pytest.raises(PocFileError, match=r"missing \[references\]"):
        parse_poc(without, "docs/pocs.md")
    for key in ("id", "title", "api"):
        stripped = "\n".join(x for x in example.splitlines() if not x.startswith(f"{key} ="))
        with pytest.raises(PocFileError, match=f"missing '{key}'"):
            parse_poc(stripped, "docs/pocs.md")


def test_export_turns_a_masked_near_miss_with_its_edges_into_one_random_key() -> None:
    # The redactor masks the shared stretch and leaves the changed edge: "{redacted}d".
    near_miss = _replay(
        method="GET",
        path="/api/v1/downloads/os/31/",
        headers=[["Authorization", "ApiKey admin:x{redacted}d"]],
        json=None,
    )
    step = parse_poc(finding_to_poc(_finding(near_miss))[1]).steps[0]
    assert dict(step.headers)["Authorization"] == "ApiKey admin:{random_key}"
