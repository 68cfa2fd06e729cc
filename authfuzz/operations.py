"""Write operations of the target, read from the OpenAPI spec.

The spec's ``x-authfuzz-api``, ``x-authfuzz-resource`` and ``x-authfuzz-kind``
extensions say what each operation does, so adding an endpoint to the spec
adds it to the gate (and to the coverage matrix) without touching code.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from authfuzz.branches import Api
from authfuzz.spec import read_spec

WRITE_KINDS = ("create", "update", "partial_update", "destroy", "bulk_destroy")
_KIND_CODES = {
    "create": "C",
    "update": "U",
    "partial_update": "P",
    "destroy": "D",
    "bulk_destroy": "B",
}
_RESOURCE_CODES = {"os": "os", "release": "rel", "release_file": "file"}


@dataclass(frozen=True)
class Operation:
    operation_id: str
    api: Api
    resource: str  # os | release | release_file
    kind: str  # one of WRITE_KINDS
    method: str
    path: str  # template, e.g. /api/v2/downloads/os/{id}/

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def column(self) -> str:
        """A short matrix column heading such as ``os:C`` or ``file:B``."""
        return f"{_RESOURCE_CODES.get(self.resource, self.resource)}:{_KIND_CODES[self.kind]}"

    @property
    def needs_object(self) -> bool:
        return "{id}" in self.path


class SpecError(ValueError):
    """The spec cannot be read or lacks the metadata the gate needs."""


@cache
def write_operations(spec: Path) -> tuple[Operation, ...]:
    try:
        document: Any = read_spec(Path(spec))
    except (OSError, yaml.YAMLError) as error:
        raise SpecError(f"{spec}: cannot read the OpenAPI spec: {error}") from None
    operations = []
    for path, item in (document.get("paths") or {}).items():
        for method, body in item.items():
            if not isinstance(body, dict) or "x-authfuzz-kind" not in body:
                continue
            kind = body["x-authfuzz-kind"]
            if kind not in WRITE_KINDS:
                continue
            operations.append(
                Operation(
                    operation_id=body.get("operationId", f"{method}_{path}"),
                    api=Api(body["x-authfuzz-api"]),
                    resource=body["x-authfuzz-resource"],
                    kind=kind,
                    method=method.upper(),
                    path=path,
                )
            )
    if not operations:
        raise SpecError(f"{spec}: no write operations carry x-authfuzz-kind")
    return tuple(
        sorted(operations, key=lambda op: (op.api.value, op.resource, WRITE_KINDS.index(op.kind)))
    )
