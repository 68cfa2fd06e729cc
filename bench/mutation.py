"""The gate's mutation score: small mistakes nobody here designed, in the testbed's own code.

cosmic-ray (a mutation tool, ``pip install -e '.[mutation]'``) writes the mistakes: for every
place its operators apply in the testbed's authentication, permission, routing, serializer and
validation code (``MODULES``), one mutant, a copy of the testbed with that one change (a
comparison turned round, an ``and`` made ``or``, a ``True`` made ``False``, a condition negated,
an exception type swapped, a decorator removed...). Each mutant is served and the ``ci`` gate
runs against it, stopping at its first failure (``-x``): a mutant the gate fails is *killed*,
one it passes *survived*.

What no request can observe is not the gate's to catch: a mutation inside code that runs only
while a defect switch is on (``if defect_on(...)`` bodies, a guard's other side, functions
documented as "Defect ...") is set aside as equivalent by construction, and the count says so; so is a mutation inside a
type annotation of a module that postpones their evaluation (``from __future__ import
annotations``).
A mutation of the ``defect_on(...)`` test itself is kept: it turns a historical bug back on.
Every other survivor must be reviewed in ``bench/mutation_review.toml``: equivalent, with the
reason no request could observe it; "no invariant", with the reason the change is observable yet
every invariant the gate holds still holds (a read filter answering 400 for an empty value
grants no one anything); or a blind spot, with the gate's fix and its test. The score counts
only the mutants that break an invariant, or may: killed ones and blind spots.

The mutants run in copies of the repository (one per ``--workers``), never in this checkout:
cosmic-ray changes the file on disk, runs the command and puts the file back.

    python bench/mutation.py                       # every mutant, 2 workers (about an hour)
    python bench/mutation.py --sample 60 --seed 3  # a quick sample
    python bench/mutation.py --session S.sqlite    # resume, or re-report, a session
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
REVIEW = REPO / "bench" / "mutation_review.toml"
MODULES = (
    "testbed/downloads/api_v1/authentication.py",
    "testbed/downloads/api_v1/authorization.py",
    "testbed/downloads/api_v1/resources.py",
    "testbed/downloads/api_v1/urls.py",
    "testbed/downloads/api_v2/authentication.py",
    "testbed/downloads/api_v2/permissions.py",
    "testbed/downloads/api_v2/serializers.py",
    "testbed/downloads/api_v2/views.py",
    "testbed/downloads/api_v2/urls.py",
    "testbed/downloads/api_v2/filters.py",
    "testbed/downloads/url_rules.py",
    "testbed/downloads/models.py",
)
GATE = (
    "{python} -m pytest suites -x -q -p no:cacheprovider --hypothesis-profile ci "
    "--hypothesis-seed 1 --progress-every 0 --report-dir {report}"
)
TIMEOUT = 600.0  # a gate run that takes this long is broken (a mutant that hangs the server)


# -- which mutants no request can observe ------------------------------------------------------


def _calls_defect_on(node: ast.AST) -> bool:
    return any(
        isinstance(n, ast.Call) and getattr(n.func, "id", "") == "defect_on" for n in ast.walk(node)
    )


def _lines(nodes: list[ast.stmt] | list[ast.expr]) -> set[int]:
    return {
        line
        for n in nodes
        for line in range(n.lineno, (getattr(n, "end_lineno", None) or n.lineno) + 1)
    }


def defect_only(source: str) -> tuple[set[int], list[tuple[int, int, int]]]:
    """Lines that run only while a defect switch is on, and (line, start col, end col) spans of
    the conditions that matter only then (``defect_on(...) and X``: X)."""
    tree = ast.parse(source)
    lines: set[int] = set()
    spans: list[tuple[int, int, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and (ast.get_docstring(node) or "").startswith("Defect "):
            lines |= _lines(node.body)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            doc = ast.get_docstring(node) or ""
            if doc.startswith("Defect "):
                lines |= _lines([*node.decorator_list, *node.body])
            body = [
                s for s in node.body if not (isinstance(s, ast.Expr) and s is node.body[0] and doc)
            ]
            first = body[0] if body else None
            if (
                isinstance(first, ast.If)
                and isinstance(first.test, ast.UnaryOp)
                and isinstance(first.test.op, ast.Not)
                and _calls_defect_on(first.test)
                and first.body
                and isinstance(first.body[-1], ast.Return)
            ):
                lines |= _lines(body[1:])  # a guard: the rest runs only with the switch on
        test = getattr(node, "test", None)
        if isinstance(node, ast.If | ast.IfExp) and test is not None and _calls_defect_on(test):
            negated = isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)
            branch = node.orelse if negated else node.body
            lines |= _lines(branch if isinstance(branch, list) else [branch])
            if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
                for value in test.values:
                    if not _calls_defect_on(value) and value.lineno == value.end_lineno:
                        spans.append((value.lineno, value.col_offset, value.end_col_offset or 0))
    return lines, spans


def annotations(source: str) -> list[tuple[int, int, int, int]]:
    """(line, col, end line, end col) of every annotation, in a module whose annotations are
    never evaluated (``from __future__ import annotations``): ``X | None`` made ``X + None``
    there changes a string nobody reads."""
    tree = ast.parse(source)
    postponed = any(
        isinstance(n, ast.ImportFrom)
        and n.module == "__future__"
        and any(a.name == "annotations" for a in n.names)
        for n in tree.body
    )
    if not postponed:
        return []
    found: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.arg) and node.annotation is not None:
            found.append(node.annotation)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns:
            found.append(node.returns)
        elif isinstance(node, ast.AnnAssign):
            found.append(node.annotation)
    return [
        (n.lineno, n.col_offset, n.end_lineno or n.lineno, n.end_col_offset or 0) for n in found
    ]


def equivalent_by_construction(source: str, line: int, col: int) -> bool:
    lines, spans = defect_only(source)
    return (
        line in lines
        or any(at == line and a <= col < b for at, a, b in spans)
        or any(
            (line, col) >= (a, ac) and (line, col) < (b, bc) for a, ac, b, bc in annotations(source)
        )
    )


# -- a mutant's identity, for the review list -------------------------------------------------


@dataclass(frozen=True)
class Mutant:
    job_id: str
    module: str
    operator: str
    occurrence: int
    line: int
    col: int
    text: str  # the source line, stripped

    @property
    def key(self) -> str:
        """Stable across runs while the line and the operator are (line numbers move)."""
        return f"{self.module} | {self.operator} | {self.text}"


def mutants(session: Path) -> list[Mutant]:
    from cosmic_ray.work_db import WorkDB, use_db

    out = []
    sources: dict[str, list[str]] = {}
    with use_db(str(session), WorkDB.Mode.open) as db:
        for item in db.work_items:
            spec = item.mutations[0]
            module = str(spec.module_path)
            text = sources.setdefault(module, (REPO / module).read_text().splitlines())
            line, col = spec.start_pos
            out.append(
                Mutant(
                    item.job_id,
                    module,
                    spec.operator_name,
                    spec.occurrence,
                    line,
                    col,
                    text[line - 1].strip(),
                )
            )
    return out


# -- running -------------------------------------------------------------------------------------


def _copy(into: Path) -> Path:
    """The committed tree plus this checkout's changes, without caches or reports."""
    shutil.copytree(
        REPO,
        into,
        ignore=shutil.ignore_patterns(
            ".git", "__pycache__", "*.egg-info", "authfuzz-report*", ".mypy_cache", ".ruff_cache"
        ),
    )
    return into


def _gate(copy: Path, report: Path) -> list[str]:
    return GATE.format(python=sys.executable, report=report).split()


def _run(copy: Path, mutant: Mutant, report: Path) -> dict[str, object]:
    command = [
        sys.executable, "-m", "cosmic_ray.cli", "mutate-and-test",
        mutant.module, mutant.operator, str(mutant.occurrence), " ".join(_gate(copy, report)),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(copy)}
    env = {k: v for k, v in env.items() if not k.startswith("PYTEST_XDIST")}
    try:
        done = subprocess.run(
            command, cwd=copy, capture_output=True, text=True, timeout=TIMEOUT, env=env
        )
    except subprocess.TimeoutExpired:
        return {
            "test_outcome": "killed",
            "worker_outcome": "timeout",
            "diff": "",
            "output": "timeout",
        }
    try:
        result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {
            "test_outcome": "incompetent",
            "worker_outcome": "exception",
            "diff": "",
            "output": done.stderr[-2000:],
        }
    return result


def _baseline(copy: Path) -> None:
    with tempfile.TemporaryDirectory() as report:
        env = {**os.environ, "PYTHONPATH": str(copy)}
        done = subprocess.run(
            _gate(copy, Path(report)),
            cwd=copy,
            capture_output=True,
            text=True,
            env=env,
            timeout=TIMEOUT,
        )
    if done.returncode != 0:
        sys.exit(f"the gate does not pass the unmutated testbed:\n{done.stdout[-3000:]}")


def _store(session: Path, job_id: str, result: dict[str, object], lock: threading.Lock) -> None:
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import TestOutcome, WorkerOutcome, WorkResult

    outcome = WorkResult(
        worker_outcome=WorkerOutcome(str(result.get("worker_outcome", "normal"))),
        test_outcome=TestOutcome(str(result.get("test_outcome", "incompetent"))),
        output=str(result.get("output", ""))[-4000:],
        diff=str(result.get("diff", "")),
    )
    with lock, use_db(str(session), WorkDB.Mode.open) as db:
        db.set_result(job_id, outcome)


def _done(session: Path) -> dict[str, dict[str, str]]:
    from cosmic_ray.work_db import WorkDB, use_db

    with use_db(str(session), WorkDB.Mode.open) as db:
        return {
            job_id: {
                "outcome": str(r.test_outcome.value if r.test_outcome else r.worker_outcome.value),
                "diff": r.diff or "",
            }
            for job_id, r in db.results
        }


def init(session: Path) -> None:
    config = session.with_suffix(".toml")
    modules = ", ".join(f'"{m}"' for m in MODULES)
    config.write_text(
        f"[cosmic-ray]\nmodule-path = [{modules}]\ntimeout = {TIMEOUT}\nexcluded-modules = []\n"
        'test-command = "false"\n[cosmic-ray.distributor]\nname = "local"\n'
    )
    subprocess.run(
        [sys.executable, "-m", "cosmic_ray.cli", "init", str(config), str(session)],
        cwd=REPO,
        check=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", type=int, default=2, help="copies run in parallel (default 2)")
    parser.add_argument("--sample", type=int, help="only this many mutants, drawn with --seed")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--session", type=Path, help="cosmic-ray session database to create or resume"
    )
    parser.add_argument(
        "--report-only", action="store_true", help="print the session's results, run nothing"
    )
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="authfuzz-mutation-"))
    session = args.session or scratch / "session.sqlite"
    if not session.exists():
        init(session)
    everything = mutants(session)
    sources = {m: (REPO / m).read_text() for m in {x.module for x in everything}}
    kept = [
        m for m in everything if not equivalent_by_construction(sources[m.module], m.line, m.col)
    ]
    done = _done(session)
    todo = [m for m in kept if m.job_id not in done]
    if args.sample is not None:
        todo = random.Random(args.seed).sample(todo, min(args.sample, len(todo)))
    print(
        f"{len(everything)} mutants in {len(MODULES)} modules; {len(everything) - len(kept)} "
        f"equivalent by construction (reachable only with a defect switch on, or in an "
        f"annotation never evaluated); {len(kept)} to judge: "
        f"{sum(m.job_id in done for m in kept)} already in the session, {len(todo)} to run now",
        flush=True,
    )
    if todo and not args.report_only:
        copies = [_copy(scratch / f"copy{n}") for n in range(args.workers)]
        _baseline(copies[0])
        queue = list(reversed(todo))
        lock = threading.Lock()
        started = time.monotonic()
        count = [0]

        def work(copy: Path) -> None:
            while True:
                with lock:
                    if not queue:
                        return
                    mutant = queue.pop()
                report = copy / "report"
                result = _run(copy, mutant, report)
                _store(session, mutant.job_id, result, lock)
                with lock:
                    count[0] += 1
                    elapsed = time.monotonic() - started
                    print(
                        f"[{count[0]}/{len(todo)} {elapsed:5.0f} s] {result.get('test_outcome')}: "
                        f"{mutant.module}:{mutant.line} {mutant.operator.split('/')[-1]}",
                        flush=True,
                    )

        threads = [threading.Thread(target=work, args=(c,)) for c in copies]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    return report(session, kept, args.sample is not None)


def report(session: Path, kept: list[Mutant], sampled: bool) -> int:
    done = _done(session)
    review = tomllib.loads(REVIEW.read_text()) if REVIEW.exists() else {}
    reviewed = review.get("mutant", {})
    ran = [m for m in kept if m.job_id in done]
    outcomes = Counter(done[m.job_id]["outcome"] for m in ran)
    survivors = [m for m in ran if done[m.job_id]["outcome"] == "survived"]
    verdict = {m.key: reviewed.get(m.key, {}).get("verdict") for m in survivors}
    equivalent = [m for m in survivors if verdict[m.key] == "equivalent"]
    unguarded = [m for m in survivors if verdict[m.key] == "no invariant"]
    blind = [m for m in survivors if m not in equivalent and m not in unguarded]
    # An incompetent mutant (cosmic-ray could not apply or run it) says nothing either way.
    killed = outcomes["killed"]
    judged = killed + len(blind)
    score = 100.0 * killed / judged if judged else 0.0
    print()
    print(
        f"ran {len(ran)} of {len(kept)} mutants{' (a sample)' if sampled else ''}: "
        + ", ".join(f"{k} {n}" for k, n in outcomes.most_common())
    )
    print(
        f"survivors reviewed: {len(equivalent)} equivalent (no request can tell), "
        f"{len(unguarded)} observable but breaking no invariant of the gate"
    )
    print(
        f"mutation score: {killed}/{judged} mutants that break an invariant killed = "
        f"{score:.1f}% (goal 95%)"
    )
    unreviewed = [m for m in blind if m.key not in reviewed]
    for m in blind:
        verdict = reviewed.get(m.key, {}).get("verdict", "UNREVIEWED")
        print(f"\n  {verdict}: {m.module}:{m.line} {m.operator}\n    key: {m.key}")
        for diff_line in done[m.job_id]["diff"].splitlines():
            if diff_line.startswith(("+", "-")) and not diff_line.startswith(("+++", "---")):
                print(f"    {diff_line}")
    if unreviewed:
        print(f"\n{len(unreviewed)} survivor(s) not in {REVIEW.relative_to(REPO)}")
    return 0 if score >= 95.0 and not unreviewed else 1


if __name__ == "__main__":
    sys.exit(main())
