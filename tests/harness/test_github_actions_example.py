"""examples/github-actions.yml: valid YAML that calls only commands that exist.

The checker below takes the parsed workflow and returns its problems, one line
each. Its oracles are the real ones, never a copy: subcommands and options come
from the ``--help`` output of the real command, targets and the secrets they
need from ``authfuzz.targets.load_target`` on the repository's targets.toml,
and the other commands from the README's set-up section. The negative tests
feed it doctored workflows to show that each rule can fail.
"""

from __future__ import annotations

import copy
import functools
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml

from authfuzz.targets import TargetsFileError, load_target

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "github-actions.yml"
README = REPO / "README.md"
TARGETS = REPO / "targets.toml"

# What ``authfuzz run`` and ``authfuzz repro`` use without --target (both --help texts say so;
# test_the_default_target_is_the_one_help_names keeps this honest).
DEFAULT_TARGET = "testbed"
SEPARATORS = {"&&", "||", ";", "|", "&"}
SECRET_EXPRESSION = re.compile(r"^\$\{\{\s*secrets\.[A-Za-z_][A-Za-z0-9_]*\s*\}\}$")
PLACEHOLDER = "placeholder-from-ci-secrets"  # stands in for a secret while targets load


# --- the real command's --help ------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    takes_value: bool
    choices: frozenset[str] | None  # None: any value


def _help(*args: str) -> str:
    # ``python -m authfuzz.cli`` is the console script's own entry point (checked below), run
    # with this interpreter so the test sees the checkout it is testing.
    result = subprocess.run(
        [sys.executable, "-m", "authfuzz.cli", *args, "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _section(text: str, heading: str) -> list[str]:
    """The lines of an argparse help section (``heading:``) up to the next blank line."""
    lines = text.splitlines()
    start = lines.index(heading) + 1
    section = []
    for line in lines[start:]:
        if not line.strip():
            break
        section.append(line)
    return section


def parse_commands(top_help: str) -> frozenset[str]:
    """Subcommand names from the epilog's ``commands:`` section."""
    names = set()
    for line in _section(top_help, "commands:"):
        match = re.match(r"^  (\S+)\s{2,}\S", line)
        if match:
            names.add(match.group(1))
    return frozenset(names)


def parse_options(help_text: str) -> dict[str, Option]:
    """Option strings from the ``options:`` section: ``--target TARGET``, ``-h, --help``, ..."""
    options: dict[str, Option] = {}
    for line in _section(help_text, "options:"):
        match = re.match(r"^  (-\S.*?)(?:\s{2,}\S.*)?$", line)
        if not match:
            continue  # the wrapped help text of the option above
        for spelling in match.group(1).split(", "):
            name, _, metavar = spelling.partition(" ")
            choices = None
            if metavar.startswith("{") and metavar.endswith("}"):
                choices = frozenset(metavar[1:-1].split(","))
            options[name] = Option(takes_value=bool(metavar), choices=choices)
    return options


class Cli:
    """``authfuzz --help`` and ``authfuzz COMMAND --help``, each run once."""

    @functools.cached_property
    def top_help(self) -> str:
        return _help()

    @functools.cached_property
    def commands(self) -> frozenset[str]:
        return parse_commands(self.top_help)

    @functools.cached_property
    def top_options(self) -> dict[str, Option]:
        return parse_options(self.top_help)

    def __init__(self) -> None:
        self._helps: dict[str, str] = {}

    def help(self, command: str) -> str:
        if command not in self._helps:
            self._helps[command] = _help(command)
        return self._helps[command]

    def options(self, command: str) -> dict[str, Option]:
        return parse_options(self.help(command))


# --- shell and README ----------------------------------------------------------------------


def shell_commands(script: str) -> list[list[str]]:
    """The simple commands of a shell script, as token lists; comments dropped."""
    script = re.sub(r"\\\r?\n", " ", script)  # line continuations
    commands: list[list[str]] = []
    for line in script.splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        current: list[str] = []
        for token in lexer:
            if token in SEPARATORS:
                if current:
                    commands.append(current)
                current = []
            else:
                current.append(token)
        if current:
            commands.append(current)
    return commands


def readme_setup_commands(readme: str) -> frozenset[str]:
    """The commands in the README's first section (its set-up), one exact string each."""
    sections = re.split(r"^## ", readme, flags=re.MULTILINE)
    assert len(sections) > 1, "README.md has no '## ' section"
    blocks = re.findall(r"^```(?:sh|bash|shell)\n(.*?)^```", sections[1], re.DOTALL | re.MULTILINE)
    commands = frozenset(shlex.join(c) for block in blocks for c in shell_commands(block))
    assert commands, "README.md's set-up section has no sh block"
    return commands


# --- the workflow ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Invocation:
    where: str  # "job <id>, step <n> (<name>)"
    argv: list[str]  # from "authfuzz" on
    env: Mapping[str, Any]  # the step's env


def _steps(workflow: Mapping[Any, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    jobs = workflow.get("jobs")
    if not isinstance(jobs, dict):
        return
    for job_id, job in jobs.items():
        steps = job.get("steps") if isinstance(job, dict) else None
        for number, step in enumerate(steps if isinstance(steps, list) else [], start=1):
            name = step.get("name", step.get("uses", "")) if isinstance(step, dict) else ""
            yield f"job {job_id}, step {number} ({name})", step


def authfuzz_invocations(workflow: Mapping[Any, Any]) -> list[Invocation]:
    found = []
    for where, step in _steps(workflow):
        if isinstance(step, dict) and isinstance(step.get("run"), str):
            for command in shell_commands(step["run"]):
                if command[0] == "authfuzz":
                    found.append(Invocation(where, command, step.get("env") or {}))
    return found


def check_structure(workflow: Any) -> list[str]:
    if not isinstance(workflow, dict):
        return ["the workflow is not a mapping"]
    problems = []
    # YAML 1.1 reads the bare key `on` as the boolean true; GitHub reads it as "on".
    if "on" not in workflow and True not in workflow:
        problems.append("no 'on' (triggers)")
    jobs = workflow.get("jobs")
    if not isinstance(jobs, dict) or not jobs:
        return [*problems, "no 'jobs'"]
    for job_id, job in jobs.items():
        if not isinstance(job, dict):
            problems.append(f"job {job_id}: not a mapping")
            continue
        if "runs-on" not in job:
            problems.append(f"job {job_id}: no 'runs-on'")
        if not isinstance(job.get("steps"), list) or not job["steps"]:
            problems.append(f"job {job_id}: no 'steps'")
    for where, step in _steps(workflow):
        if not isinstance(step, dict):
            problems.append(f"{where}: not a mapping")
        elif ("uses" in step) == ("run" in step):
            problems.append(f"{where}: needs exactly one of 'uses' and 'run'")
    return problems


def check_commands(
    workflow: Mapping[Any, Any], cli: Cli, readme_commands: frozenset[str]
) -> list[str]:
    """Every command is an authfuzz call the real CLI accepts, or a README set-up command."""
    problems = []
    for where, step in _steps(workflow):
        script = step.get("run") if isinstance(step, dict) else None
        if not isinstance(script, str):
            continue
        if "${{" in script:
            # Expressions are pasted into the script before the shell sees it: secrets would
            # be on a command line, inputs could inject commands. They belong in env.
            problems.append(f"{where}: a ${{{{ }}}} expression in run (use the step's env)")
        for command in shell_commands(script):
            if command[0] == "authfuzz":
                problems += [f"{where}: {p}" for p in _check_authfuzz(command, cli)]
            elif shlex.join(command) not in readme_commands:
                problems.append(
                    f"{where}: {shlex.join(command)!r} is neither an authfuzz command nor one "
                    f"of the README's set-up commands {sorted(readme_commands)}"
                )
    return problems


def _check_authfuzz(argv: list[str], cli: Cli) -> list[str]:
    if len(argv) < 2:
        return ["'authfuzz' without a subcommand (it only prints its help and exits 2)"]
    if argv[1].startswith("-"):
        return _check_options(argv, 1, cli.top_options, "authfuzz")
    if argv[1] not in cli.commands:
        return [
            f"unknown subcommand 'authfuzz {argv[1]}' (authfuzz --help lists {sorted(cli.commands)})"
        ]
    return _check_options(argv, 2, cli.options(argv[1]), f"authfuzz {argv[1]}")


def _check_options(
    argv: list[str], start: int, options: Mapping[str, Option], prog: str
) -> list[str]:
    problems = []
    index = start
    while index < len(argv):
        token = argv[index]
        index += 1
        if token == "--":
            break  # the rest goes to pytest
        if not token.startswith("-") or token == "-":
            continue  # a positional argument
        name, equals, value = token.partition("=")
        if not equals and not token.startswith("--") and len(token) > 2:
            name, value, equals = token[:2], token[2:], "="  # -n2
        option = options.get(name)
        if option is None:
            problems.append(f"{prog} has no option {name!r} (see '{prog} --help')")
            continue
        if not option.takes_value:
            if equals:
                problems.append(f"{prog} {name} takes no value")
            continue
        if not equals:
            if index >= len(argv):
                problems.append(f"{prog} {name} needs a value")
                break
            value = argv[index]
            index += 1
        if option.choices is not None and value not in option.choices:
            problems.append(f"{prog} {name} {value!r}: not one of {sorted(option.choices)}")
    return problems


def _option_value(argv: list[str], name: str) -> str | None:
    for index, token in enumerate(argv):
        if token == "--":
            return None
        if token == name and index + 1 < len(argv):
            return argv[index + 1]
        if token.startswith(name + "="):
            return token.partition("=")[2]
    return None


def _load(targets_file: Path, name: str, env: Mapping[str, str]) -> str | None:
    """The loader's one-line error with exactly ``env`` as the environment, or None."""
    with mock.patch.dict(os.environ, env, clear=True):
        try:
            load_target(targets_file, name)
        except TargetsFileError as error:
            return str(error)
    return None


def check_targets(workflow: Mapping[Any, Any], targets_file: Path = TARGETS) -> list[str]:
    """Every target exists, and every secret it needs comes from ``secrets`` in the step's env."""
    problems = []
    for call in authfuzz_invocations(workflow):
        if len(call.argv) < 2 or call.argv[1] not in ("run", "repro"):
            continue
        name = _option_value(call.argv, "--target") or DEFAULT_TARGET
        file_option = _option_value(call.argv, "--targets-file")
        path = REPO / file_option if file_option else targets_file
        env = {str(key): PLACEHOLDER for key in call.env}
        error = _load(path, name, env)
        if error is not None:
            problems.append(f"{call.where}: {error}")
            continue
        for key, value in call.env.items():
            if isinstance(value, str) and SECRET_EXPRESSION.match(value):
                continue
            # Is this variable one the target reads? The loader says so by failing without it.
            without = {k: v for k, v in env.items() if k != str(key)}
            if _load(path, name, without) is not None:
                problems.append(
                    f"{call.where}: {key} is a literal; a secret must come from "
                    "${{ secrets.NAME }}"
                )
    return problems


def check_no_shared_secrets(workflow: Mapping[Any, Any]) -> list[str]:
    """Secrets go in the env of the step that needs them, not to every step of a job."""
    problems = []
    scopes: list[tuple[str, Any]] = [("workflow", workflow.get("env"))]
    jobs = workflow.get("jobs")
    if isinstance(jobs, dict):
        scopes += [
            (f"job {job_id}", job.get("env"))
            for job_id, job in jobs.items()
            if isinstance(job, dict)
        ]
    for scope, env in scopes:
        for key, value in (env or {}).items():
            if isinstance(value, str) and "secrets." in value:
                problems.append(f"{scope}: env {key} holds a secret; give it to the step only")
    return problems


def check_workflow(workflow: Any, cli: Cli, readme_commands: frozenset[str]) -> list[str]:
    problems = check_structure(workflow)
    if problems:
        return problems
    return (
        check_commands(workflow, cli, readme_commands)
        + check_targets(workflow)
        + check_no_shared_secrets(workflow)
    )


# --- tests ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cli() -> Cli:
    return Cli()


@pytest.fixture(scope="module")
def readme_commands() -> frozenset[str]:
    return readme_setup_commands(README.read_text(encoding="utf-8"))


@pytest.fixture
def workflow() -> Any:
    return yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))


def test_the_example_is_valid(workflow: Any, cli: Cli, readme_commands: frozenset[str]) -> None:
    assert check_workflow(workflow, cli, readme_commands) == []


def test_the_example_runs_the_gate_on_each_target(workflow: Any) -> None:
    """Not a vacuous pass: the checker saw the calls the example is for."""
    calls = authfuzz_invocations(workflow)
    targets = {_option_value(c.argv, "--target") or DEFAULT_TARGET for c in calls}
    assert targets == {"testbed", "staging", "production"}
    assert all(c.argv[1] == "run" for c in calls)
    testbed = [c for c in calls if _option_value(c.argv, "--target") is None]
    assert testbed and all(not c.env for c in testbed), "the testbed job needs no secrets"
    staging = [c for c in calls if _option_value(c.argv, "--target") == "staging"]
    assert all("--as-production" in c.argv for c in staging), "staging gets the read-only check"


def test_the_example_uses_the_readme_install(
    workflow: Any, readme_commands: frozenset[str]
) -> None:
    scripts = [s["run"] for _, s in _steps(workflow) if "run" in s]
    used = {shlex.join(c) for script in scripts for c in shell_commands(script)}
    assert "python3 -m pip install -e ." in used & readme_commands


def test_help_is_read_from_the_console_script(cli: Cli) -> None:
    """``python -m authfuzz.cli`` is what the ``authfuzz`` script runs, and its help parses."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["scripts"]["authfuzz"] == "authfuzz.cli:main"
    assert {"run", "repro", "testbed"} <= cli.commands
    run = cli.options("run")
    assert run["--target"] == Option(takes_value=True, choices=None)
    assert run["--as-production"] == Option(takes_value=False, choices=None)
    assert run["--profile"].choices == frozenset({"ci", "dev", "deep"})
    assert "-n" in run and "-h" in run and "--help" in run


def test_the_default_target_is_the_one_help_names(cli: Cli) -> None:
    for command in ("run", "repro"):
        assert f"(default: {DEFAULT_TARGET})" in " ".join(cli.help(command).split())


def test_shell_commands() -> None:
    script = (
        "# a comment\n"
        "python3 -m pip install -e . && authfuzz run \\\n"
        "  --target staging  # trailing comment\n"
        "authfuzz run -- -k 'a b'; echo done\n"
    )
    assert shell_commands(script) == [
        ["python3", "-m", "pip", "install", "-e", "."],
        ["authfuzz", "run", "--target", "staging"],
        ["authfuzz", "run", "--", "-k", "a b"],
        ["echo", "done"],
    ]


def _step(workflow: Any, job: str, name: str) -> dict[str, Any]:
    for step in workflow["jobs"][job]["steps"]:
        if step.get("name") == name:
            return step  # type: ignore[no-any-return]
    raise AssertionError(f"no step {name!r} in job {job}")


def _doctor_run(workflow: Any, job: str, name: str, run: str) -> Any:
    doctored = copy.deepcopy(workflow)
    _step(doctored, job, name)["run"] = run
    return doctored


def _doctor_env(workflow: Any, job: str, name: str, key: str, value: str | None) -> Any:
    doctored = copy.deepcopy(workflow)
    env = _step(doctored, job, name)["env"]
    if value is None:
        del env[key]
    else:
        env[key] = value
    return doctored


PR_GATE = ("testbed", "Gate against the embedded testbed")
STAGING_GATE = ("deploy-gate", "Gate staging (production-safe)")
PRODUCTION_GATE = ("deploy-gate", "Gate production")


@pytest.mark.parametrize(
    ("doctor", "expected"),
    [
        (
            lambda w: _doctor_run(w, *PR_GATE, "authfuzz nosuch"),
            "unknown subcommand 'authfuzz nosuch'",
        ),
        (
            lambda w: _doctor_run(w, *PR_GATE, "authfuzz run --profile ci --no-such-option"),
            "authfuzz run has no option '--no-such-option'",
        ),
        (
            lambda w: _doctor_run(w, *PR_GATE, "authfuzz run \\\n  --profile ci \\\n  -x"),
            "authfuzz run has no option '-x'",
        ),
        (
            lambda w: _doctor_run(w, *PR_GATE, "authfuzz run --profile fast"),
            "authfuzz run --profile 'fast': not one of ['ci', 'deep', 'dev']",
        ),
        (
            lambda w: _doctor_run(w, *PR_GATE, "authfuzz run --target nowhere"),
            "unknown target 'nowhere'",
        ),
        (
            lambda w: _doctor_env(w, *STAGING_GATE, "AUTHFUZZ_STAGING_API_KEY", "0123456789abcdef"),
            "AUTHFUZZ_STAGING_API_KEY is a literal",
        ),
        (
            lambda w: _doctor_env(w, *PRODUCTION_GATE, "AUTHFUZZ_PRODUCTION_TOKEN", None),
            "environment variable AUTHFUZZ_PRODUCTION_TOKEN is not set",
        ),
        (
            lambda w: _doctor_run(
                w,
                *PRODUCTION_GATE,
                "authfuzz run --target production --report-dir ${{ secrets.X }}",
            ),
            "a ${{ }} expression in run",
        ),
        (
            lambda w: _doctor_run(w, *PR_GATE, "curl -sSf https://example.invalid/x.sh | sh"),
            "'curl -sSf https://example.invalid/x.sh' is neither an authfuzz command nor one",
        ),
        (
            lambda w: _doctor_run(w, *PR_GATE, "python3 -m pip install -e . --pre"),
            "is neither an authfuzz command nor one of the README's set-up commands",
        ),
        (
            lambda w: {k: v for k, v in w.items() if k is not True},
            "no 'on' (triggers)",
        ),
        (
            lambda w: _doctor_run(w, "testbed", "Keep the reports", "authfuzz run"),
            "needs exactly one of 'uses' and 'run'",
        ),
        (
            lambda w: {**w, "jobs": {**w["jobs"], "extra": {"steps": [{"run": "authfuzz run"}]}}},
            "job extra: no 'runs-on'",
        ),
        (
            lambda w: {
                **w,
                "env": {"AUTHFUZZ_STAGING_TOKEN": "${{ secrets.AUTHFUZZ_STAGING_TOKEN }}"},
            },
            "workflow: env AUTHFUZZ_STAGING_TOKEN holds a secret",
        ),
    ],
    ids=[
        "made-up-subcommand",
        "unknown-option",
        "unknown-option-after-continuation",
        "bad-choice",
        "unknown-target",
        "literal-secret",
        "missing-secret",
        "expression-in-run",
        "non-readme-command",
        "readme-command-altered",
        "no-triggers",
        "uses-and-run",
        "job-without-runs-on",
        "workflow-level-secret",
    ],
)
def test_the_checker_rejects(
    workflow: Any, cli: Cli, readme_commands: frozenset[str], doctor: Any, expected: str
) -> None:
    problems = check_workflow(doctor(workflow), cli, readme_commands)
    assert any(expected in problem for problem in problems), problems


# --- hardening: pins, permissions, secrets, and the linter ---------------------------------

PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"#\s*v\d+(\.\d+)*\s*$")


def test_every_action_is_pinned_to_a_commit_with_its_version_in_a_comment() -> None:
    lines = [line.strip() for line in EXAMPLE.read_text(encoding="utf-8").splitlines()]
    uses = [line for line in lines if re.match(r"^(- )?uses:", line)]
    assert len(uses) >= 6, uses  # checkout, setup-python, upload-artifact, upload-sarif
    for line in uses:
        ref = line.split("uses:", 1)[1].split("#", 1)[0].strip()
        assert PINNED.match(ref), f"not pinned to a commit: {line}"
        assert VERSION_COMMENT.search(line), f"no '# vX.Y.Z' comment: {line}"
    assert not any("upload-sarif@" in line and "# v3" in line for line in uses), "current v4"


def test_the_workflow_grants_nothing_and_each_job_the_least_it_needs(workflow: Any) -> None:
    assert workflow["permissions"] == {}
    jobs = workflow["jobs"]
    assert jobs["testbed"]["permissions"] == {"contents": "read"}
    assert jobs["deploy-gate"]["permissions"] == {
        "contents": "read",
        "security-events": "write",
        "actions": "read",
    }
    for name, job in jobs.items():
        for step in job["steps"]:
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False, name


def test_secrets_are_passed_by_name_never_inherited(workflow: Any) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    assert not re.search(r"^\s*secrets:\s*inherit\s*$", text, re.MULTILINE)
    called = workflow[True]["workflow_call"]["secrets"]  # YAML reads "on" as True
    assert set(called) == {
        "AUTHFUZZ_STAGING_API_KEY", "AUTHFUZZ_STAGING_TOKEN",
        "AUTHFUZZ_PRODUCTION_API_KEY", "AUTHFUZZ_PRODUCTION_TOKEN",
    }  # fmt: skip
    for job in workflow["jobs"].values():
        assert "env" not in job, "a secret in a job's env reaches every step"
        for step in job["steps"]:
            for value in (step.get("env") or {}).values():
                assert "secrets." not in str(value) or "authfuzz run" in step.get("run", "")


def test_zizmor_finds_nothing_even_pedantic() -> None:
    """The workflow linter (a dev dependency, from PyPI), offline, at its strictest."""
    zizmor = shutil.which("zizmor")
    if zizmor is None:
        pytest.fail("zizmor is not installed: python3 -m pip install -e '.[dev]'")
    done = subprocess.run(
        [zizmor, "--offline", "--persona", "pedantic", str(EXAMPLE)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No findings" in done.stdout + done.stderr
