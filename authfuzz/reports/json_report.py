"""``findings.json``: the run's summary and every finding, for machines (and --baseline)."""

from __future__ import annotations

import json

from authfuzz.reports.view import ReportView

FILE = "findings.json"


def report(view: ReportView) -> str:
    document = {"summary": view.summary, "findings": [f.to_dict() for f in view.findings]}
    return json.dumps(document, indent=2, sort_keys=True) + "\n"
