"""The release-file URL policy at HEAD (release-api.md section 3).

Kept apart from the models because the same rules run in three places (v1
validation, the v2 serializer, admin forms) and because each URL defect switch
bends exactly one of them.
"""

from __future__ import annotations

from typing import Any

from testbed.downloads.switches import defect_on

ALLOWED_PREFIX = "https://www.python.org/"
LEGACY_PREFIX = "http://www.python.org/"

# The six URL fields of ReleaseFile, and the suffix each sidecar must add to `url`.
SIDECAR_SUFFIXES = {
    "gpg_signature_file": ".asc",
    "sigstore_signature_file": ".sig",
    "sigstore_cert_file": ".crt",
    "sigstore_bundle_file": ".sigstore",
    "sbom_spdx2_file": ".spdx.json",
}
URL_FIELDS = ("url", *SIDECAR_SUFFIXES)

HTTPS_MESSAGE = f"Release file URLs must begin with '{ALLOWED_PREFIX}'."


def accepted_prefixes() -> tuple[str, ...]:
    """The prefixes a new value may start with, as bent by the active defects."""
    if defect_on("no-url-constraint"):
        return ("",)
    if defect_on("lookalike-host"):
        return (ALLOWED_PREFIX.rstrip("/"),)
    if defect_on("http-urls"):
        return (ALLOWED_PREFIX, LEGACY_PREFIX)
    return (ALLOWED_PREFIX,)


def release_file_url_errors(
    values: dict[str, Any], stored: dict[str, Any] | None, *, sidecars: bool = True
) -> dict[str, list[str]]:
    """Errors per field for a release file's URL values.

    ``stored`` holds the values already in the database for an existing row:
    an unchanged legacy value is exempt from the https rule, never from the
    sidecar rule. ``sidecars=False`` leaves the sidecar rule out (only the
    sidecar-check-json-only defect asks for that).
    """
    errors: dict[str, list[str]] = {}
    prefixes = accepted_prefixes()
    for field in URL_FIELDS:
        value = values.get(field) or ""
        if not value:
            continue
        if stored is not None and stored.get(field) == value:
            continue
        if not str(value).startswith(prefixes):
            errors.setdefault(field, []).append(HTTPS_MESSAGE)

    if sidecars:
        for field, messages in sidecar_url_errors(values).items():
            errors.setdefault(field, []).extend(messages)
    return errors


def sidecar_url_errors(values: dict[str, Any]) -> dict[str, list[str]]:
    """The sidecar rule alone: each non-empty sidecar is exactly ``url`` plus its suffix."""
    errors: dict[str, list[str]] = {}
    url = values.get("url") or ""
    if url and not defect_on("sidecar-mismatch"):
        for field, suffix in SIDECAR_SUFFIXES.items():
            value = values.get(field) or ""
            if value and value != f"{url}{suffix}":
                errors.setdefault(field, []).append(
                    f"Sidecar URL must match the artifact URL plus '{suffix}'."
                )
    return errors
