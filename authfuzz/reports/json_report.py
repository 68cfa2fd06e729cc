from __future__ import annotations

import json
from pathlib import Path

from authfuzz.findings import Finding


def write(path: Path, findings: list[Finding], summary: dict[str, object]) -> None:
    document = {"summary": summary, "findings": [f.to_dict() for f in findings]}
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
