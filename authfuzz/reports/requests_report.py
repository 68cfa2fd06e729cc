"""``requests.json``: what the run spent, per throttle bucket, per test and per purpose.

For whoever plans runs against a throttled target: ``bench/economy.py`` reads it, and the
cost table of the throttle plan (``authfuzz/throttles/costs.py``) is made from it.
"""

from __future__ import annotations

import json

from authfuzz.reports.view import ReportView

FILE = "requests.json"


def report(view: ReportView) -> str:
    summary, by_test, purposes_by_test = view.summary, view.spent_by_test, view.purposes_by_test
    data = {
        # The run's verdict, as in every other output: spend figures of an interrupted or
        # refused run are not a full run's, and the cost table must not learn from them.
        "verdict": summary.get("verdict"),
        "reason": summary.get("reason"),
        "requests": summary.get("requests"),
        "requests_custody": summary.get("requests_custody"),
        "by_bucket": summary.get("requests_by_bucket"),
        "by_test": {
            nodeid: dict(sorted(spent.items())) for nodeid, spent in sorted(by_test.items())
        },
        # The same, by throttle bucket and purpose ("v2 admin: read-back"): what proves a
        # verdict costs more than the attempt itself, and this says how much.
        "purposes_by_test": {
            nodeid: dict(sorted(spent.items()))
            for nodeid, spent in sorted(purposes_by_test.items())
        },
    }
    return json.dumps(data, indent=2) + "\n"
