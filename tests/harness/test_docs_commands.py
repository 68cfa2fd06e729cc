"""Every command in the README and docs/ is one that works, so none goes stale.

Each ``sh`` block of ``README.md`` and ``docs/*.md`` is split into commands, and each is held
to the real thing:

- ``authfuzz ...``: the subcommand and every option exist in that command's ``--help`` (the
  same checker as the example workflow's), and the commands that send nothing and change
  nothing (``repro --check``, ``explain``, ``export-auth``) are run and must exit 0; the rest
  (runs against targets, the testbed in the foreground) are exercised by their own tests;
- ``python bench/X.py ...``: the script exists and its ``--help`` lists every option used;
- anything else is one of the set-up's commands or an executable file of the repository.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness.test_github_actions_example import (
    Cli,
    _check_authfuzz,
    _check_options,
    parse_options,
    readme_setup_commands,
    shell_commands,
)

REPO = Path(__file__).resolve().parents[2]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
SAFE = ("explain", "export-auth")  # send nothing, write nothing
RUNNABLE = {("repro", "--check")}


def documented() -> list[tuple[str, list[str]]]:
    commands = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for block in re.findall(
            r"^```(?:sh|bash|shell)\n(.*?)^```", text, re.DOTALL | re.MULTILINE
        ):
            commands += [(page.name, argv) for argv in shell_commands(block)]
    return commands


COMMANDS = documented()


@pytest.fixture(scope="module")
def cli() -> Cli:
    return Cli()


def test_the_pages_have_commands_and_the_readme_fits_a_newcomer() -> None:
    names = {page for page, _ in COMMANDS}
    assert {"README.md", "gating.md", "local.md", "pocs.md", "benchmarks.md"} <= names
    lines = (REPO / "README.md").read_text(encoding="utf-8").count("\n")
    assert lines <= 250, f"README.md has {lines} lines; the detail belongs in docs/"


@pytest.mark.parametrize(
    ("page", "argv"), COMMANDS, ids=[f"{p}:{' '.join(a)[:60]}" for p, a in COMMANDS]
)
def test_every_documented_command_exists_as_written(
    page: str, argv: list[str], cli: Cli, tmp_path: Path
) -> None:
    setup = readme_setup_commands((REPO / "README.md").read_text(encoding="utf-8"))
    if argv[0] == "authfuzz":
        assert _check_authfuzz(argv, cli) == [], (page, argv)
        if argv[1] in SAFE or any((argv[1], flag) in RUNNABLE for flag in argv[2:]):
            # Files it writes (-o) land in a scratch directory; paths it reads are the repo's.
            writes = "-o" in argv or "--output" in argv
            env = {**os.environ, "AUTHFUZZ_TARGETS_FILE": str(REPO / "targets.toml")}
            done = subprocess.run(
                [sys.executable, "-m", "authfuzz.cli", *argv[1:]],
                cwd=tmp_path if writes else REPO, capture_output=True, text=True, timeout=120,
                env=env,
            )  # fmt: skip
            assert done.returncode == 0, (page, argv, done.stdout[-2000:], done.stderr[-2000:])
    elif argv[:2] in (["python", "bench"], ["python3", "bench"]) or (
        argv[0].startswith("python") and len(argv) > 1 and argv[1].startswith("bench/")
    ):
        script = REPO / argv[1]
        assert script.is_file(), (page, argv)
        done = subprocess.run(
            [sys.executable, str(script), "--help"], cwd=REPO, capture_output=True, text=True,
            timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, (page, argv, done.stderr[-2000:])
        assert _check_options(argv, 2, parse_options(done.stdout), argv[1]) == [], (page, argv)
    else:
        joined = shlex.join(argv)
        assert joined in setup or (REPO / argv[0]).is_file(), (
            page,
            argv,
        )


def _anchors(text: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens."""
    headings = re.findall(
        r"^#{1,6} (.+)$", re.sub(r"^```.*?^```", "", text, flags=re.S | re.M), re.M
    )
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def test_every_link_between_the_pages_lands() -> None:
    broken = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if "://" in target:
                continue
            path, _, anchor = target.partition("#")
            file = (page.parent / path).resolve() if path else page
            if not file.exists():
                broken.append(f"{page.name}: {target} (no such file)")
            elif anchor and file.suffix == ".md" and anchor not in _anchors(file.read_text()):
                broken.append(f"{page.name}: {target} (no such heading)")
    assert broken == []
