"""Where the checkout's parts are: the gate's suites, the spec, the default targets file.

authfuzz runs from a checkout (the suites are files, not an importable package), so these
paths hang off the package's parent directory. Kept free of imports, so the CLI can name
the suites before pytest starts without importing (and so freezing) any pytest plugin.
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SUITES = REPO / "suites"
DEFAULT_SPEC = REPO / "specs" / "pythondotorg.yaml"
TARGETS_FILE = REPO / "targets.toml"
