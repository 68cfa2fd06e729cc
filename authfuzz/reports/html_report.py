"""One self-contained HTML page: the verdict, the coverage grid and the findings.

The page reads top to bottom as a reviewer works: the verdict and the figures, the
branch x operation grid, what was not checked, a table of contents of the finding groups,
then the groups. A build with many defects has hundreds of findings, most of them one bug
seen on many operations, so findings are grouped by (invariant, branch), the terminal's
grouping: each group shows its most direct finding in full and folds the rest into
``<details>`` elements, which the browser opens without any script.

Nothing on the page is loaded from anywhere: the CSS is inline, there is no
script, font or image, and a Content-Security-Policy forbids the browser from
fetching anything should a later edit slip. The only links are ``#anchors`` within the
page. Every string that comes from a run is HTML-escaped. Findings are already redacted
by the client; apart from them the page shows only the summary's known keys and the
matrix, so nothing else that could hold a secret reaches it.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from authfuzz.branches import Api, Branch
from authfuzz.coverage import EXERCISED, FINDING, SKIPPED, UNCHECKED, Cell, Matrix
from authfuzz.findings import Finding
from authfuzz.reports.view import ReportView
from authfuzz.run_summary import FindingGroup, group_findings, verdict_of

MISSING = "missing"  # a cell the run never reached: not a Cell status, only a grid state
_MARKS = {EXERCISED: "ok", FINDING: "XX", SKIPPED: "s", UNCHECKED: "??", MISSING: "--"}
_STATE_TEXT = {
    EXERCISED: "exercised, no finding",
    FINDING: "finding",
    SKIPPED: "skipped",
    UNCHECKED: "NOT checked (fault, throttle, budget or time)",
    MISSING: "NOT exercised",
}
_COLUMN_KINDS = {
    "C": "create (POST)",
    "U": "update (PUT)",
    "P": "partial update (PATCH)",
    "D": "delete",
    "B": "bulk delete",
}

FILE = "report.html"


@dataclass(frozen=True)
class ReportGroup:
    """One (invariant, branch) group as the page shows it; findings keep their run number.

    A finding's number is its place in the run's findings (findings.json and findings.md
    count the same way), so "finding 17" means one thing in every report.
    """

    anchor: str
    group: FindingGroup
    first: tuple[int, Finding]  # shown in full
    rest: tuple[tuple[int, Finding], ...]  # folded


def report_groups(findings: list[Finding]) -> list[ReportGroup]:
    """The findings by (invariant, branch), in the terminal summary's order and choice of first."""
    members: dict[tuple[str, str], list[tuple[int, Finding]]] = {}
    for number, finding in enumerate(findings, 1):
        members.setdefault((finding.invariant, finding.branch), []).append((number, finding))
    groups = []
    for index, group in enumerate(group_findings(findings), 1):
        numbered = members[(group.invariant, group.branch)]
        first = next(entry for entry in numbered if entry[1] is group.first)
        rest = tuple(entry for entry in numbered if entry is not first)
        groups.append(ReportGroup(f"group-{index}", group, first, rest))
    return groups


@dataclass(frozen=True)
class GridRow:
    branch: str
    description: str
    cells: tuple[Cell | None, ...]  # one per column; None: not exercised


@dataclass(frozen=True)
class Grid:
    """One API's branch x operation matrix, ordered as ``Matrix.render()`` orders it."""

    api: str
    columns: tuple[str, ...]
    rows: tuple[GridRow, ...]

    def state(self, cell: Cell | None) -> str:
        return MISSING if cell is None else cell.status


def matrix_grids(matrix: Matrix) -> list[Grid]:
    """The matrix as ordered grids: ``Matrix.render()``'s ordering, as data.

    APIs in ``Api`` order, columns sorted with ``probe`` last, rows in ``Branch``
    order for the API. Unlike the text rendering, cells of an API or branch the
    enums do not know (a report from a newer version) are kept, after the known ones.
    """
    known_apis = [api.value for api in Api]
    apis = known_apis + sorted(set(matrix.columns) - set(known_apis))
    grids = []
    for api in apis:
        columns = matrix.columns.get(api)
        if not columns:
            continue
        ordered = tuple(sorted(columns, key=lambda c: (c == "probe", c)))
        branches: list[tuple[str, str]] = []
        if api in known_apis:
            branches = [(b.slug, b.description) for b in Branch.for_api(Api(api))]
        seen = {slug for slug, _ in branches}
        extra = sorted({b for (a, b, _) in matrix.cells if a == api and b not in seen})
        branches += [(slug, "") for slug in extra]
        rows = tuple(
            GridRow(slug, description, tuple(matrix.cells.get((api, slug, c)) for c in ordered))
            for slug, description in branches
        )
        grids.append(Grid(api, ordered, rows))
    return grids


def skipped_reasons(grids: list[Grid]) -> dict[str, list[str]]:
    """Skip reason -> the cells it covers (``v1 legacy-form probe``), sorted."""
    reasons: dict[str, set[str]] = {}
    for grid in grids:
        for row in grid.rows:
            for column, cell in zip(grid.columns, row.cells, strict=True):
                if cell is not None and cell.status in (SKIPPED, UNCHECKED):
                    where = f"{grid.api} {row.branch} {column}"
                    reasons.setdefault(cell.reason or "no reason given", set()).add(where)
    return {reason: sorted(where) for reason, where in sorted(reasons.items())}


def column_title(column: str) -> str:
    if column == "probe":
        return "identity probe: a GET of an unpublished release"
    resource, _, kind = column.partition(":")
    return f"{resource}: {_COLUMN_KINDS.get(kind, kind)}"


_CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  margin: 0; padding: 24px 32px 48px; color: #1d232b; background: #f6f7f9; }
h1 { font-size: 20px; margin: 0 0 12px; font-weight: 600; color: #4a5564; }
h2 { font-size: 19px; margin: 36px 0 12px; border-bottom: 1px solid #d5d9df; padding-bottom: 4px; }
h3 { font-size: 16px; margin: 0 0 10px; }
code, pre, .mono { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; }
.verdict { display: inline-block; font-size: 56px; font-weight: 800; letter-spacing: 4px;
  padding: 4px 28px; border-radius: 10px; color: #fff; margin: 0 0 16px; }
.verdict.pass { background: #1f8a3f; }
.verdict.fail { background: #c62828; }
.summary { display: flex; flex-wrap: wrap; gap: 12px; margin: 0; }
.summary div { background: #fff; border: 1px solid #d5d9df; border-radius: 8px; padding: 8px 16px;
  min-width: 130px; }
.summary dt { font-size: 12px; text-transform: uppercase; letter-spacing: .5px; color: #5b6675; }
.summary dd { margin: 0; font-size: 22px; font-weight: 600; overflow-wrap: anywhere; }
article.finding, details.finding { background: #fff; border: 1px solid #e3b7b7;
  border-left: 6px solid #c62828; border-radius: 8px; padding: 14px 18px; margin: 0 0 16px; }
article.finding h4 { font-size: 15px; margin: 0 0 10px; }
article.finding dl, details.finding dl { display: grid; grid-template-columns: max-content 1fr;
  gap: 4px 14px; margin: 0 0 10px; }
article.finding dt, details.finding dt { font-weight: 600; color: #5b6675; }
article.finding dd, details.finding dd { margin: 0; overflow-wrap: anywhere; }
article.finding p.label, details.finding p.label { margin: 10px 0 4px; font-weight: 600;
  color: #5b6675; }
section.group { margin: 0 0 28px; }
section.group h3 { font-size: 17px; margin: 24px 0 4px; }
.count { display: inline-block; background: #c62828; color: #fff; border-radius: 10px;
  padding: 0 9px; font-size: 13px; margin-left: 6px; vertical-align: 2px; }
details.more { margin: 0 0 8px; }
details.more > summary { cursor: pointer; font-weight: 600; color: #1a5fb4; margin: 0 0 10px; }
details.finding { padding: 8px 18px; margin: 0 0 8px; }
details.finding > summary { cursor: pointer; overflow-wrap: anywhere; }
details.finding[open] > summary { margin: 0 0 10px; }
nav.contents ol { background: #fff; border: 1px solid #d5d9df; border-radius: 8px;
  padding: 10px 16px 10px 40px; margin: 0; }
nav.contents li { margin: 3px 0; }
nav.contents a, p.top a { color: #1a5fb4; }
nav.contents .via, p.top { color: #5b6675; font-size: 13px; }
pre { background: #1e2329; color: #e8ecf1; padding: 10px 12px; border-radius: 6px; margin: 0;
  white-space: pre-wrap; overflow-wrap: anywhere; font-size: 13px; }
.scroll { max-width: 100%; overflow-x: auto; }
pre.routes { white-space: pre; overflow-wrap: normal; overflow-x: auto; max-width: 100%; }
.run-number { font-weight: 400; font-size: 12px; color: #5b6470; margin-left: 8px; }
nav.jump { margin: 14px 0 0; font-size: 13px; color: #5b6675; }
nav.jump a { color: #1a5fb4; }
.none { color: #1f8a3f; font-weight: 600; }
table.matrix { border-collapse: separate; border-spacing: 2px; background: #fff;
  border: 1px solid #d5d9df; border-radius: 8px; padding: 6px; margin: 0 0 18px; font-size: 13px; }
table.matrix caption { text-align: left; font-weight: 700; font-size: 16px; padding: 0 0 6px; }
table.matrix th { font-weight: 600; padding: 3px 6px; white-space: nowrap; }
table.matrix thead th { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace;
  font-size: 12px; }
table.matrix tbody th { text-align: left; font-family: ui-monospace, "DejaVu Sans Mono", Menlo,
  Consolas, monospace; }
td.cell { width: 58px; height: 24px; text-align: center; border-radius: 3px; font-weight: 700;
  font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12px; }
td.exercised { background: #2e9e4f; color: #fff; }
td.finding { background: #d32f2f; color: #fff; }
td.skipped { background: #9aa3ad; color: #fff; cursor: help; }
td.not-checked { background: #e65100; color: #fff; cursor: help; }
td.missing { color: #6b4a00; background: repeating-linear-gradient(45deg, #ffc94d 0 5px,
  #ffe6a6 5px 10px); outline: 1px solid #e0a800; }
.legend { display: flex; flex-wrap: wrap; gap: 14px; align-items: center; margin: 0 0 10px;
  padding: 0; list-style: none; font-size: 13px; }
.legend li { display: flex; align-items: center; gap: 6px; }
.legend td.cell { display: inline-block; width: 34px; line-height: 22px; }
.legend table { border-spacing: 0; }
.note { color: #4a5564; font-size: 13px; margin: 4px 0; }
ul.skips { margin: 4px 0 0; padding-left: 20px; font-size: 13px; }
ul.skips code { background: #eceff3; padding: 0 4px; border-radius: 3px; }
""".strip()

# No network, no script: the page may only use its own inline style.
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; form-action 'none'"


def render(
    findings: list[Finding],
    summary: dict[str, object],
    matrix: Matrix,
    routes: str = "",
    dimensions: str = "",
) -> str:
    verdict = verdict_of(findings, summary)
    groups = report_groups(findings)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        f"<title>authfuzz report: {verdict}</title>",
        f"<style>\n{_CSS}\n</style>",
        "</head>",
        "<body>",
        "<header>",
        "<h1>authfuzz security gate</h1>",
        f'<p class="verdict {"pass" if verdict == "PASS" else "fail"}" id="verdict">{verdict}</p>',
        _summary(findings, summary),
        _jump(findings, groups, summary),
        "</header>",
        "<main>",
        _coverage(matrix),
        _routes(routes),
        _dimensions(dimensions),
        _not_checked(summary),
        _contents(groups, len(findings)),
        _findings(groups, len(findings)),
        "</main>",
        "</body>",
        "</html>",
        "",
    ]
    return "\n".join(parts)


def report(view: ReportView) -> str:
    space = view.dimensions.render_detailed() if view.dimensions else ""
    return render(view.findings, view.summary, view.matrix, view.routes_text, space)


def _routes(text: str) -> str:
    """The route-surface matrix (spelling x method), as the end screen shows it."""
    if not text:
        return ""
    return (
        '<section id="routes"><h2>Coverage: route surface (spelling x method)</h2>'
        f'<pre class="routes">{escape(text)}</pre></section>'
    )


def _dimensions(text: str) -> str:
    """The input space's coverage (dimension x cell), every cell as exercised or not."""
    if not text:
        return ""
    return (
        '<section id="dimensions"><h2>Coverage: the input space (dimension x cell)</h2>'
        f'<pre class="routes">{escape(text)}</pre></section>'
    )


def _summary(findings: list[Finding], summary: dict[str, object]) -> str:
    # Only these keys: the summary may grow fields the page has no business showing.
    values = {
        "why": summary.get("reason") or None,
        "target": summary.get("target"),
        "target state": summary.get("target_state_line") or None,
        "findings": len(findings),
        "tests": _tests(summary),
        "not checked": _not_checked_count(summary),
        "profile": summary.get("profile"),
        "defects": summary.get("defects") or None,
        "started": summary.get("started_at") or None,
        "requests": summary.get("requests"),
        "budget left": summary.get("budget_left"),
        "seconds": summary.get("seconds"),
        "replay": "authfuzz repro pocs/ (the folder beside this page)" if findings else None,
        "poc files": _pocs(summary) if findings else None,
    }
    cells = "".join(
        f'<div><dt>{name}</dt><dd id="summary-{name.replace(" ", "-")}">{escape(str(value))}</dd></div>'
        for name, value in values.items()
        if value is not None
    )
    return f'<dl class="summary">{cells}</dl>'


def _pocs(summary: dict[str, object]) -> str | None:
    from authfuzz.poc.export import describe

    account = summary.get("pocs")
    return describe(account) if isinstance(account, dict) else None


def _tests(summary: dict[str, object]) -> str | None:
    tests = summary.get("tests")
    if not isinstance(tests, dict):
        return None
    text = f"{tests.get('passed', 0)} passed, {tests.get('failed', 0)} failed, "
    text += f"{tests.get('skipped', 0)} skipped"
    return text + (f", {tests['not_run']} NOT run" if tests.get("not_run") else "")


def _not_checked_count(summary: dict[str, object]) -> int | None:
    data = summary.get("not_checked")
    return int(data.get("count", 0)) if isinstance(data, dict) and data.get("count") else None


def _not_checked_tests(summary: dict[str, object]) -> list[dict[str, object]]:
    data = summary.get("not_checked")
    tests = data.get("tests", []) if isinstance(data, dict) else []
    return [t for t in tests if isinstance(t, dict)] if isinstance(tests, list) else []


def _not_checked(summary: dict[str, object]) -> str:
    """Checks a fault, throttle, budget or the time limit stopped: why the run is not clean."""
    tests = _not_checked_tests(summary)
    if not tests:
        return ""
    items = "".join(
        f"<li><code>{escape(str(t.get('nodeid')))}</code>: {escape(str(t.get('cause')))}: "
        f"{escape(str(t.get('reason')))}</li>"
        for t in tests
    )
    return (
        f'<section id="not-checked"><h2>Not checked ({len(tests)})</h2>'
        '<p class="note">These checks could not reach a verdict. They are neither findings nor '
        "passes, and the run is not clean until they run.</p>"
        f'<ul class="skips">{items}</ul></section>'
    )


def _jump(findings: list[Finding], groups: list[ReportGroup], summary: dict[str, object]) -> str:
    links = ['<a href="#coverage">coverage</a>']
    unchecked = len(_not_checked_tests(summary))
    if unchecked:
        links.append(f'<a href="#not-checked">not checked ({unchecked})</a>')
    if groups:
        links.append(f'<a href="#contents">finding groups ({len(groups)})</a>')
    links.append(f'<a href="#findings">findings ({len(findings)})</a>')
    return f'<nav class="jump">Jump to: {" &middot; ".join(links)}</nav>'


def _contents(groups: list[ReportGroup], total: int) -> str:
    """The table of contents: one anchor link per group, with its counts."""
    if not groups:
        return ""
    items = []
    for entry in groups:
        group = entry.group
        items.append(
            f'<li><a href="#{entry.anchor}">{escape(group.invariant)}: branch '
            f"<code>{escape(group.branch)}</code></a> "
            f'<span class="group-count">{_plural(group.count, "finding")}</span> '
            f'<span class="via">on {_plural(len(group.operations), "operation")} via '
            f"{escape(', '.join(group.oracles))}</span></li>"
        )
    return (
        '<nav class="contents" id="contents">'
        f"<h2>Findings by invariant and branch: {_plural(len(groups), 'group')}, "
        f"{_plural(total, 'finding')}</h2>"
        f"<ol>{''.join(items)}</ol></nav>"
    )


def _findings(groups: list[ReportGroup], total: int) -> str:
    if not groups:
        return (
            '<section id="findings"><h2>Findings</h2>'
            '<p class="none">No findings: no invariant was broken.</p></section>'
        )
    out = [f'<section id="findings"><h2>Findings ({total})</h2>']
    for index, entry in enumerate(groups, 1):
        group = entry.group
        number, first = entry.first
        out.append(
            f'<section class="group" id="{entry.anchor}" data-count="{group.count}">'
            f"<h3>{index}. {escape(group.invariant)}: branch <code>{escape(group.branch)}</code>"
            f'<span class="count">{_plural(group.count, "finding")}</span></h3>'
            f'<p class="note">On {_plural(len(group.operations), "operation")} via '
            f"{escape(', '.join(group.oracles))}."
            + (
                f" The most direct finding is shown in full; the other {len(entry.rest)} are "
                "folded below it."
                if entry.rest
                else ""
            )
            + "</p>"
        )
        # Numbered within the group (3.1, 3.2...); the run-wide number, as findings.json and
        # findings.md count, stays in the anchor and the label.
        out.append(
            f'<article class="finding" id="finding-{number}">'
            f"<h4>{index}.1 {escape(first.invariant)}: branch "
            f"<code>{escape(first.branch)}</code> on <code>{escape(first.operation)}</code>"
            f' <code class="code">{escape(first.code)}</code>'
            f'<span class="run-number">finding {number}</span></h4>'
            f"{_finding_body(first)}</article>"
        )
        if entry.rest:
            out.append(
                f'<details class="more"><summary>{len(entry.rest)} more in this group</summary>'
            )
            out += [
                f'<details class="finding" id="finding-{n}"><summary>{index}.{k} '
                f"<code>{escape(f.operation)}</code>: status {escape(str(f.status))} via "
                f"{escape(f.oracle)}{_attempt(f)}"
                f'<span class="run-number">finding {n}</span></summary>{_finding_body(f)}</details>'
                for k, (n, f) in enumerate(entry.rest, 2)
            ]
            out.append("</details>")
        out.append('<p class="top"><a href="#contents">back to the contents</a></p></section>')
    out.append("</section>")
    return "\n".join(out)


def _finding_body(finding: Finding) -> str:
    """Everything about one finding: what, how it was seen, the request and its replay."""
    rows = [
        ("invariant", f"{finding.invariant} ({finding.oracle})"),
        ("branch", finding.branch),
        ("attempt", "; ".join(finding.labels)),
        ("operation", finding.operation),
        ("what", finding.summary),
        ("status", str(finding.status)),
        ("read-back", finding.evidence),
        ("target", finding.target),
    ]
    details = "".join(
        f"<dt>{escape(name)}</dt><dd>{escape(value)}</dd>" for name, value in rows if value
    )
    return (
        f"<dl>{details}</dl>"
        '<p class="label">Request (redacted)</p>'
        f'<pre class="request">{escape(finding.request)}</pre>'
        '<p class="label">Reproduce (export the AUTHFUZZ_* variables first)</p>'
        f'<pre class="curl">{escape(finding.curl)}</pre>'
    )


def _attempt(finding: Finding) -> str:
    return f" ({escape('; '.join(finding.labels))})" if finding.labels else ""


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _legend() -> str:
    items = "".join(
        f'<li><table><tr><td class="cell {state}">{escape(mark)}</td></tr></table>'
        f"{escape(_STATE_TEXT[state])}</li>"
        for state, mark in _MARKS.items()
    )
    return f'<ul class="legend">{items}</ul>'


def _grid_table(grid: Grid) -> str:
    head = "".join(
        f'<th scope="col" title="{escape(column_title(c))}">{escape(c)}</th>' for c in grid.columns
    )
    body = []
    for row in grid.rows:
        cells = []
        for column, cell in zip(grid.columns, row.cells, strict=True):
            state = grid.state(cell)
            title = f"{grid.api} {row.branch} {column}: {_STATE_TEXT[state]}"
            if cell is not None and cell.status in (SKIPPED, UNCHECKED):
                title = f"{title} ({cell.reason or 'no reason given'})"
            cells.append(
                f'<td class="cell {state}" title="{escape(title)}">{escape(_MARKS[state])}</td>'
            )
        body.append(
            f'<tr><th scope="row" title="{escape(row.description)}">{escape(row.branch)}</th>'
            f"{''.join(cells)}</tr>"
        )
    return (
        # On a phone the grid scrolls inside its own box; the page itself never runs wide.
        f'<div class="scroll"><table class="matrix" id="matrix-{escape(grid.api)}" '
        f'data-api="{escape(grid.api)}">'
        f"<caption>{escape(grid.api)}</caption>"
        f'<thead><tr><th scope="col">branch</th>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def _coverage(matrix: Matrix) -> str:
    grids = matrix_grids(matrix)
    out = ['<section id="coverage"><h2>Coverage: branch x operation</h2>']
    if not grids:
        out.append('<p class="note">No coverage was recorded in this run.</p></section>')
        return "\n".join(out)
    out.append(_legend())
    out += [_grid_table(grid) for grid in grids]
    out.append(
        '<p class="note">Columns: C create, U update (PUT), P partial update (PATCH), D delete, '
        "B bulk delete; probe: identity probe (a GET of an unpublished release).</p>"
    )
    missing = sum(cell is None for grid in grids for row in grid.rows for cell in row.cells)
    if missing:
        out.append(
            f'<p class="note" id="missing-count"><strong>{missing} cell(s) NOT exercised</strong> '
            "(<code>--</code>): the gate has no evidence for them.</p>"
        )
    reasons = skipped_reasons(grids)
    if reasons:
        items = "".join(
            f"<li>{escape(reason)}: {', '.join(f'<code>{escape(w)}</code>' for w in where)}</li>"
            for reason, where in reasons.items()
        )
        out.append(
            f'<h3>Skipped and unchecked cells</h3><ul class="skips" id="skipped">{items}</ul>'
        )
    out.append("</section>")
    return "\n".join(out)
