"""PoC files against real testbeds: FIXED on clean, VULNERABLE on exactly their defects.

One testbed per defect switch for the whole module (started on first use, stopped at the
end). ``authfuzz repro`` runs in-process against it through a targets file, except where the
command's own start-up is the point (``--defects``, ``--base-url``). The round trip runs the
gate as a user would (``pytest suites/test_auth_branches.py --defects ... --report-dir D``)
and replays what it exported.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from authfuzz.client.guard import could_change_state
from authfuzz.commands import repro
from authfuzz.findings import Finding
from authfuzz.poc.export import finding_to_poc
from authfuzz.poc.format import parse_poc
from authfuzz.redaction import Redactor
from authfuzz.targets import load_target
from testbed import runner
from testbed.defects import DEFECT_NAMES
from testbed.principals import ACCOUNTS
from tests.harness.gate import REPO, run_gate, shared_gate_run, write_targets

pytestmark = pytest.mark.slow

POCS = REPO / "pocs"
PRINCIPALS = load_target(REPO / "targets.toml", "testbed").principals
ACCOUNT = {a.name: a for a in ACCOUNTS}

# The switches that reopen each PoC. The first named is the PoC's own report; the others
# reopen it too (no URL constraint at all also lets http:// through, and so on).
DEFECTS_OF: dict[str, set[str]] = {
    "pr2946-guest-fallthrough": {"guest-fallthrough"},
    "pr2947-foreign-urls": {"no-url-constraint", "lookalike-host"},  # step 3: the look-alike
    "pr3014-http-urls": {"http-urls", "no-url-constraint"},
    "pr3014-sidecar-mismatch": {"sidecar-mismatch"},
    "pr3015-legacy-credentials": {"legacy-credentials"},
    "pr3015-session-cookie-write": {"session-cookie-write"},
    "pr3015-inactive-user": {"inactive-user"},
    "pr3016-unscoped-bulk-delete": {"unscoped-bulk-delete"},
    # HEAD behaviours of release-api.md section 7, not bugs with a fix: the override and the
    # nested write themselves need staff, so VULNERABLE means they lent write power to a
    # request without staff API-key credentials. Their no-credentials step stays FIXED under
    # every switch (nothing reopens a guest write); the steps that present a broken
    # credential flip with that credential's defect.
    "risk-v1-method-override": {"guest-fallthrough", "session-cookie-write"},
    "risk-v1-nested-write": {"guest-fallthrough"},
    # The defect classes of issue 11. A known username with any key at all also takes the right
    # key with a suffix; no sidecar rule at all is no sidecar rule for XML and YAML either
    # (tests/testbed/test_defects.py IMPLIES).
    "issue11-key-extension": {"key-extension", "guest-fallthrough"},
    "issue11-username-strip": {"username-strip"},
    "issue11-proxy-user-header": {"proxy-user-header"},
    "issue11-trusted-network": {"trusted-network"},
    "issue11-v2-late-method-override": {"override-after-auth", "query-method-override"},
    "issue11-sidecar-check-json-only": {"sidecar-check-json-only", "sidecar-mismatch"},
}
# Switches no PoC file can reopen yet, and why. Each must still leave every PoC FIXED; give
# it a PoC (and drop it here) once the format can express its request.
NO_POC: dict[str, str] = {
    "v2-basic-auth": "its credential is base64(username:password) and a placeholder cannot be "
    "base64-encoded, so no PoC can carry a real Basic credential without a literal secret",
    **{
        switch: "its request names an object a PoC cannot name (another file's URL, the latest "
        "or a published release, a file that holds a download button): tests/harness/"
        "test_engine.py sends it, and the whole-state read finds the damage it does elsewhere"
        for switch in (
            "download-button-handover",
            "nested-release-by-slug",
            "latest-handover-on-delete",
            "url-swap-keeps-sidecars",
        )
    },
    **{
        switch: "written blind for issue 19, one per dimension of the input space: "
        "tests/harness/test_dimension_defects.py finds each by its dimension, under three seeds"
        for switch in (
            "nfkc-credentials",
            "bulk-patch-deletes",
            "creatorless-release-writable",
            "upload-checked-after-save",
            "patch-checks-sent-urls-only",
            "any-key-reads-drafts",
        )
    },
    **{
        switch: "a route-surface defect: the route suite finds it (tests/harness/"
        "test_route_defects.py); no historical report exploited it, so there is no PoC to replay"
        for switch in (
            "v2-json-suffix-write",
            "no-slash-create",
            "v1-detail-patch",
            "put-creates",
            "v1-set-delete",
        )
    },
}
# Switches whose PoCs depend on timing: which steps reopen depends on what the run sent in
# the seconds before (a valid v1 request by the same username), so only the form of the
# answer is held to (every PoC FIXED or VULNERABLE, none INCONCLUSIVE).
MOMENT_DEPENDENT: dict[str, str] = {
    "upload-burst-auth-cache": "a wrong key passes for three seconds after a valid v1 request by "
    "the same username: the PoCs whose steps follow a staff step reopen; "
    "tests/harness/test_dimension_defects.py finds it by its dimension",
}
# Which steps are VULNERABLE, where it matters which (the others must stay FIXED).
VULNERABLE_STEPS: dict[tuple[str, str], set[int]] = {
    ("risk-v1-method-override", "guest-fallthrough"): {2},  # wrong key + override
    ("risk-v1-method-override", "session-cookie-write"): {3},  # staff session + override
    ("risk-v1-nested-write", "guest-fallthrough"): {2},  # wrong key, nested rename
    ("pr2947-foreign-urls", "lookalike-host"): {3},
    ("issue11-v2-late-method-override", "override-after-auth"): {1},  # X-HTTP-Method
    ("issue11-v2-late-method-override", "query-method-override"): {2, 3},  # ?_method=
}
PROBE_DEFECTS_OF: dict[str, set[str]] = {
    "pr2946-guest-fallthrough": {"guest-fallthrough"},
    "pr3015-inactive-user": {"inactive-user"},
    "issue11-key-extension": {"key-extension", "guest-fallthrough"},
    "issue11-username-strip": {"username-strip"},
    "issue11-proxy-user-header": {"proxy-user-header"},
    "issue11-trusted-network": {"trusted-network"},
}


@dataclass(frozen=True)
class Bed:
    info: runner.TestbedInfo
    targets: Path


@dataclass(frozen=True)
class Run:
    code: int
    output: str
    results: dict[str, str]  # PoC id -> FIXED | VULNERABLE | INCONCLUSIVE | REFUSED
    steps: dict[str, dict[int, str]]  # PoC id -> step number -> verdict


@pytest.fixture(scope="module")
def bed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], Bed]]:
    """``bed("")`` is the clean testbed, ``bed("guest-fallthrough")`` that switch's one."""
    started: dict[str, tuple[runner.Testbed, Bed]] = {}

    def get(defect: str) -> Bed:
        if defect not in started:
            testbed = runner.Testbed(defects=[defect] if defect else [])
            info = testbed.start()
            directory = tmp_path_factory.mktemp(defect or "clean")
            started[defect] = (
                testbed,
                Bed(info, write_targets(directory, "bed", info.base_url, "local")),
            )
        return started[defect][1]

    yield get
    for testbed, _ in started.values():
        testbed.stop()


_POC = re.compile(r"^PoC (\S+): ")
_STEP = re.compile(r"^  (?:probe )?step (\d+)/\d+.*: (FIXED|VULNERABLE|INCONCLUSIVE|REFUSED)")
_RESULT = re.compile(r"^  => (\w+)")


def parse(output: str) -> tuple[dict[str, str], dict[str, dict[int, str]]]:
    results: dict[str, str] = {}
    steps: dict[str, dict[int, str]] = {}
    current = ""
    for line in output.splitlines():
        if match := _POC.match(line):
            current = match.group(1)
            steps[current] = {}
        elif (match := _STEP.match(line)) and current:
            steps[current][int(match.group(1))] = match.group(2)
        elif (match := _RESULT.match(line)) and current:
            results[current] = match.group(1)
    return results, steps


def run_repro(capsys: pytest.CaptureFixture[str], *args: str, bed: Bed | None = None) -> Run:
    target = ["--targets-file", str(bed.targets), "--target", "bed"] if bed else []
    code = repro.main([*args, *target])
    out, err = capsys.readouterr()
    return Run(code, out + err, *parse(out))


def _ids() -> set[str]:
    return {path.stem for path in POCS.glob("*.toml")}


def test_mapping_names_every_poc_and_every_defect() -> None:
    assert set(DEFECTS_OF) == _ids(), "map each PoC in pocs/ to the defects that reopen it"
    reopening = set().union(*DEFECTS_OF.values())
    assert reopening | set(NO_POC) | set(MOMENT_DEPENDENT) == DEFECT_NAMES, (
        "every switch reopens some PoC"
    )
    assert not reopening & set(NO_POC), "a switch with a PoC is no longer in NO_POC"


def test_every_poc_is_fixed_on_the_clean_testbed(
    bed: Callable[[str], Bed], capsys: pytest.CaptureFixture[str]
) -> None:
    run = run_repro(capsys, str(POCS), bed=bed(""))
    assert run.code == 0, run.output
    assert run.results == {poc: "FIXED" for poc in _ids()}
    probes = run_repro(capsys, str(POCS), "--form", "probe", bed=bed(""))
    assert {p: r for p, r in probes.results.items() if r != "REFUSED"} == {
        poc: "FIXED" for poc in PROBE_DEFECTS_OF
    }


@pytest.mark.parametrize("defect", sorted(DEFECT_NAMES))
def test_each_defect_reopens_exactly_its_pocs(
    bed: Callable[[str], Bed], capsys: pytest.CaptureFixture[str], defect: str
) -> None:
    run = run_repro(capsys, str(POCS), bed=bed(defect))
    if defect in MOMENT_DEPENDENT:
        assert set(run.results.values()) <= {"FIXED", "VULNERABLE"}, run.output
        return
    expected = {poc for poc, defects in DEFECTS_OF.items() if defect in defects}
    assert run.code == (0 if defect in NO_POC else 1), run.output
    assert {poc for poc, r in run.results.items() if r == "VULNERABLE"} == expected, run.output
    assert {poc for poc, r in run.results.items() if r != "VULNERABLE"} == _ids() - expected
    assert all(r == "FIXED" for p, r in run.results.items() if p not in expected), run.output
    for (poc, switch), numbers in VULNERABLE_STEPS.items():
        if switch == defect:
            flipped = {n for n, v in run.steps[poc].items() if v == "VULNERABLE"}
            assert flipped == numbers, (poc, run.steps[poc])
    # The read-only forms flip with the same switch.
    probes = run_repro(capsys, str(POCS), "--form", "probe", bed=bed(defect))
    assert {p for p, r in probes.results.items() if r == "VULNERABLE"} == {
        poc for poc, defects in PROBE_DEFECTS_OF.items() if defect in defects
    }


def test_production_runs_only_probes_and_refuses_the_rest(
    bed: Callable[[str], Bed], capsys: pytest.CaptureFixture[str]
) -> None:
    testbed = bed("guest-fallthrough")
    seen = len(testbed.info.logged_requests())
    run = run_repro(capsys, str(POCS), "--as-production", bed=testbed)
    arrived = testbed.info.logged_requests()[seen:]
    assert arrived, "nothing reached the testbed: the proof would be vacuous"
    assert [
        r
        for r in arrived
        if could_change_state(
            r["method"], ["X-HTTP-Method-Override"] if r["override"] else [], False
        )
    ] == []
    assert run.code == 1
    assert run.results["pr2946-guest-fallthrough"] == "VULNERABLE"
    assert (
        "form:       probe, 1 step(s) (production target: the read-only identity-probe form)"
        in (run.output)
    )
    assert run.results["pr3015-inactive-user"] == "FIXED"
    refused = {poc for poc, r in run.results.items() if r == "REFUSED"}
    assert refused == _ids() - set(PROBE_DEFECTS_OF)
    assert (
        "  => REFUSED: step 1 (no credentials: GET with override DELETE) could change state "
        "(header X-HTTP-Method-Override can turn a GET into a write) and target 'bed' is "
        "production; the PoC has no read-only [[probe]] form"
    ) in run.output


def test_base_url_and_principal_against_a_separately_started_testbed(
    bed: Callable[[str], Bed], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    admin, retired = ACCOUNT["admin"], ACCOUNT["retired"]
    monkeypatch.setenv("AUTHFUZZ_ADMIN_PASSWORD", admin.password)  # for the session steps
    files = [
        str(POCS / "pr2946-guest-fallthrough.toml"),
        str(POCS / "pr3015-session-cookie-write.toml"),
        str(POCS / "pr3015-inactive-user.toml"),
    ]
    principals = [
        "--principal",
        f"admin={admin.username}:{admin.api_key}:{admin.token}",
        "--principal",
        f"retired={retired.username}:{retired.api_key}@inactive",
    ]
    for defect, expected in (
        ("", {}),
        ("guest-fallthrough", {"pr2946-guest-fallthrough"}),
        ("session-cookie-write", {"pr3015-session-cookie-write"}),
    ):
        url = bed(defect).info.base_url
        run = run_repro(capsys, *files, "--base-url", url, *principals)
        assert f"against command-line (local) at {url}" in run.output
        assert run.code == (1 if expected else 0), run.output
        assert run.results == {
            Path(f).stem: "VULNERABLE" if Path(f).stem in expected else "FIXED" for f in files
        }
        assert admin.api_key not in run.output and admin.token not in run.output


def test_defects_option_starts_its_own_testbed(capsys: pytest.CaptureFixture[str]) -> None:
    poc = str(POCS / "pr2946-guest-fallthrough.toml")
    targets = ["--targets-file", str(REPO / "targets.toml")]
    run = run_repro(capsys, poc, "--defects", "guest-fallthrough", *targets)
    assert run.code == 1 and run.results == {"pr2946-guest-fallthrough": "VULNERABLE"}
    run = run_repro(capsys, poc, "--defects", "no-such-defect", *targets)
    assert run.code == 2
    assert run.output.strip().startswith(
        "authfuzz repro: error: cannot start the testbed: unknown defect no-such-defect"
    )
    assert run.output.count("\n") == 1


def test_unreachable_target_is_exit_3(capsys: pytest.CaptureFixture[str]) -> None:
    run = run_repro(
        capsys,
        str(POCS / "pr2946-guest-fallthrough.toml"),
        "--base-url",
        "http://127.0.0.1:9",
        "--principal",
        "a=a:k:t",
    )
    assert run.code == 3
    assert run.output.strip() == (
        "authfuzz repro: error: target 'command-line' at http://127.0.0.1:9 is unreachable: "
        "no answer (connection refused), after 6 tries; is it running?"
    )


def test_round_trip_finding_to_poc_file_to_repro(
    tmp_path_factory: pytest.TempPathFactory,
    bed: Callable[[str], Bed],
    capsys: pytest.CaptureFixture[str],
) -> None:
    gate = shared_gate_run(
        tmp_path_factory, "--defects", "guest-fallthrough", select="suites/test_auth_branches.py"
    )
    assert gate.returncode == 1, gate.output[-3000:]
    exported = gate.report_dir / "pocs"
    assert f"replay    authfuzz repro {gate.report_dir}/pocs/" in gate.output
    findings = [Finding.from_dict(f) for f in gate.findings()]
    assert findings
    for finding in findings:  # every finding of the suite became a file
        poc_id, _ = finding_to_poc(finding)
        assert (exported / f"{poc_id}.toml").is_file(), poc_id
    files = sorted(exported.glob("*.toml"))
    redactor = Redactor.for_principals(PRINCIPALS)
    for path in files:
        assert not redactor.contains_secret(path.read_text()), path

    vulnerable = run_repro(capsys, str(exported), bed=bed("guest-fallthrough"))
    assert vulnerable.code == 1, vulnerable.output
    assert set(vulnerable.results.values()) == {"VULNERABLE"}
    assert len(vulnerable.results) == len(files)
    fixed = run_repro(capsys, str(exported), bed=bed(""))
    assert fixed.code == 0, fixed.output
    assert set(fixed.results.values()) == {"FIXED"}
    # Production: each exported write finding whose credential travels in headers or the query
    # carries a read-only probe that still sees it; one that needs a form body (a POST) or a
    # session (a login POST) has none, and is refused rather than sent.
    production = run_repro(capsys, str(exported), "--as-production", bed=bed("guest-fallthrough"))
    probe_less = set()
    for path in files:
        poc = parse_poc(path.read_text(encoding="utf-8"), path)
        if not poc.probe and any(step.could_change_state() for step in poc.steps):
            probe_less.add(poc.id)
    for poc_id, result in production.results.items():
        expected = "REFUSED" if poc_id in probe_less else "VULNERABLE"
        assert result == expected, (poc_id, production.output)
    assert "VULNERABLE" in production.results.values()
    for run in (vulnerable, fixed, production):
        assert not redactor.contains_secret(
            re.sub(r"ApiKey admin:[0-9a-f]{40}", "", run.output)  # the fresh wrong keys
        )


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ((), 0),
        (("--defects", "guest-fallthrough"), 1),
        (("--as-production", "--defects", "inactive-user"), 1),
    ],
    ids=["clean", "guest-fallthrough", "production-inactive-user"],
)
def test_pocs_suite_is_part_of_the_gate(tmp_path: Path, args: tuple[str, ...], code: int) -> None:
    run = run_gate(tmp_path, *args, select="suites/test_pocs.py")
    assert run.returncode == code, run.output[-3000:]
    branches = {(f["branch"], f["oracle"]) for f in run.findings()}
    if "guest-fallthrough" in args:
        assert ("poc:pr2946-guest-fallthrough", "read-back") in branches
        assert ("poc:pr2946-guest-fallthrough", "identity-probe") in branches
        assert ("poc:risk-v1-method-override", "read-back") in branches
        assert ("poc:risk-v1-nested-write", "read-back") in branches
    if "--as-production" in args:
        assert branches == {("poc:pr3015-inactive-user", "identity-probe")}
    if code == 0:
        last = run.output.splitlines()[-1]  # pytest's totals (the summary says "0 failed")
        assert "passed" in last and "failed" not in last


ANONYMOUS_V2_PROBE = """\
id = "anonymous-v2-probe"
title = "an anonymous v2 read of an unpublished release"
api = "v2"

[references]
docs = "release-api.md 2.5, 5.2"

[[steps]]
method = "GET"
path = "/api/v2/downloads/release/{object.draft_release}/"
invariant = "identity-is-guest"
"""


def test_inconclusive_when_a_placeholder_cannot_be_filled(
    tmp_path: Path, bed: Callable[[str], Bed], capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "nobody.toml"
    path.write_text(
        ANONYMOUS_V2_PROBE.replace(
            'method = "GET"',
            'method = "GET"\nheaders = { Authorization = "Token {principal.nobody.token}" }',
        )
    )
    run = run_repro(capsys, str(path), bed=bed(""))
    assert run.code == 1
    assert run.results == {"anonymous-v2-probe": "INCONCLUSIVE"}
    assert (
        "step 1/1: INCONCLUSIVE (placeholder {principal.nobody.token} could not be filled: "
        "the target has no principal 'nobody' (known: admin, editor, user, retired))"
    ) in run.output


def test_inconclusive_when_the_target_answers_429(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "anonymous.toml"
    path.write_text(ANONYMOUS_V2_PROBE)
    # python.org's throttles on: v2 gives an anonymous client 100 counted requests a day.
    with runner.Testbed(throttle=True) as info:
        targets = write_targets(tmp_path, "throttled", info.base_url, "local", throttled=True)
        with requests.Session() as session:
            for _ in range(101):
                session.get(f"{info.base_url}/api/v2/downloads/os/")
        code = repro.main([str(path), "--targets-file", str(targets), "--target", "throttled"])
    output = capsys.readouterr().out
    assert code == 1, output
    assert parse(output)[0] == {"anonymous-v2-probe": "INCONCLUSIVE"}
    # The throttle asks for hours: not waited for, and said so.
    assert "step 1/1: INCONCLUSIVE (throttled (429), Retry-After " in output
    assert "status:     429" in output
