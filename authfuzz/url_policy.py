"""The release-file URL policy, as the gate states it (release-api.md section 3).

This is the invariant, not a model of any implementation: a stored URL field
is acceptable only if it is empty or begins, byte for byte, with the target's
``url_prefix``; and a sidecar that is set, while ``url`` is set, must equal
``url`` plus its suffix. No parsing and no normalisation, on purpose: every
normalising check is a place where a look-alike value slips through.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SIDECAR_SUFFIXES: dict[str, str] = {
    "gpg_signature_file": ".asc",
    "sigstore_signature_file": ".sig",
    "sigstore_cert_file": ".crt",
    "sigstore_bundle_file": ".sigstore",
    "sbom_spdx2_file": ".spdx.json",
}
URL_FIELDS: tuple[str, ...] = ("url", *SIDECAR_SUFFIXES)


@dataclass(frozen=True)
class Violation:
    field: str
    value: Any
    rule: str  # "prefix" or "sidecar"

    def describe(self, url_prefix: str) -> str:
        if self.rule == "prefix":
            return f"{self.field} = {self.value!r} does not begin with {url_prefix!r}"
        suffix = SIDECAR_SUFFIXES[self.field]
        return f"{self.field} = {self.value!r} is not url + {suffix!r}"


def value_allowed(value: Any, url_prefix: str) -> bool:
    """One field on its own: empty, or a string that begins with the prefix."""
    if value is None or value == "":
        return True
    return isinstance(value, str) and value.startswith(url_prefix)


def violations(fields: Mapping[str, Any], url_prefix: str) -> list[Violation]:
    """Every way a release file's URL fields break the policy (empty list: acceptable)."""
    found = [
        Violation(name, fields.get(name), "prefix")
        for name in URL_FIELDS
        if name in fields and not value_allowed(fields.get(name), url_prefix)
    ]
    url = fields.get("url") or ""
    if url:
        for name, suffix in SIDECAR_SUFFIXES.items():
            value = fields.get(name) or ""
            if value and value != f"{url}{suffix}" and all(v.field != name for v in found):
                found.append(Violation(name, value, "sidecar"))
    return found
