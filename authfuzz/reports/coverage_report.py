"""``coverage.txt``: every grid in its detailed form (the end screen shows the summary)."""

from __future__ import annotations

from authfuzz.reports.view import ReportView

FILE = "coverage.txt"


def report(view: ReportView) -> str:
    routes, space = view.routes_text, view.dimensions
    return (
        view.matrix.render_detailed()
        + (f"\n\nroute surface\n{routes}" if routes else "")
        + (f"\n\ninput space (dimension x cell)\n{space.render_detailed()}" if space else "")
        + "\n"
    )
