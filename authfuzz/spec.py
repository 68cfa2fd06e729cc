"""The OpenAPI spec as a document: parsed once per process, with libyaml where PyYAML has it.

Three readers need it (the write operations, the route table, the Schemathesis suite), and
PyYAML's pure-Python parser took about a second for the spec, in every gate process and for
each reader. The document is shared: readers must not change it (``copy.deepcopy`` first).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

# libyaml's loader when PyYAML was built with it (the wheels are), else the pure-Python one:
# the same safe subset of YAML either way.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def read_spec(path: Path) -> Any:
    """The parsed spec at ``path`` (raises ``OSError`` or ``yaml.YAMLError``)."""
    return yaml.load(Path(path).read_text(encoding="utf-8"), Loader=_LOADER)
