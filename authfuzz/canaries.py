"""The canaries: one OS, one unpublished release and one file of it, owned by one process.

The auth checks aim their writes at them: a valid body for an object the run owns, so that
only the credential can explain a refusal and a vulnerable server damages nothing of anyone
else's. The file carries matching sidecars (a signature and an SBOM), so that a write which
changes ``url`` and leaves them behind stores a mismatch the URL policy sees.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

from authfuzz.client import Purpose
from authfuzz.not_checked import NotChecked
from authfuzz.state import Reader, new_nonce
from authfuzz.vocabulary import CASCADES, REMOVAL_ORDER, RESOURCES
from authfuzz.world import pk_from_uri


@dataclass
class CanarySet:
    nonce: str
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)  # resource -> v2 object

    def pk(self, resource: str) -> int:
        return pk_from_uri(self.objects[resource]["resource_uri"])

    def object(self, resource: str) -> dict[str, Any]:
        return self.objects[resource]

    def pks(self) -> frozenset[tuple[str, int]]:
        return frozenset((resource, self.pk(resource)) for resource in self.objects)

    @property
    def os(self) -> dict[str, Any]:
        return self.objects["os"]

    @property
    def release(self) -> dict[str, Any]:
        return self.objects["release"]

    @property
    def release_file(self) -> dict[str, Any]:
        return self.objects["release_file"]


def create_canaries(reader: Reader, url_prefix: str) -> CanarySet:
    canaries = CanarySet(new_nonce())
    with reader.client.purpose.of(Purpose.CANARY):
        for resource in RESOURCES:
            _make(reader, canaries, resource, url_prefix)
    return canaries


def renew(reader: Reader, canaries: CanarySet, resource: str, url_prefix: str) -> None:
    """Make the canary of ``resource`` again (it was deleted), and what its delete cascaded to."""
    with reader.client.purpose.of(Purpose.CANARY):
        for name in RESOURCES:
            if name in CASCADES[resource]:
                _make(reader, canaries, name, url_prefix)


def _make(reader: Reader, canaries: CanarySet, resource: str, url_prefix: str) -> None:
    tag = f"{canaries.nonce}-{new_nonce()[:4]}"
    name = f"authfuzz canary {tag}"
    body: dict[str, Any] = {"name": name, "slug": f"authfuzz-{resource.replace('_', '-')}-{tag}"}
    if resource == "release":
        body.update(version=3, is_published=False, show_on_download_page=False)
    if resource == "release_file":
        url = f"{url_prefix}ftp/authfuzz/{tag}/canary.tgz"
        body.update(
            os=reader.url("os", canaries.pk("os")),
            release=reader.url("release", canaries.pk("release")),
            url=url,
            gpg_signature_file=f"{url}.asc",
            sbom_spdx2_file=f"{url}.spdx.json",
        )
    canaries.objects[resource] = reader.create(resource, body)


def remove_canaries(reader: Reader, canaries: CanarySet) -> None:
    """Best effort: deleting the release removes its files; the OS goes separately."""
    for resource in REMOVAL_ORDER:
        if resource not in canaries.objects:
            continue
        with contextlib.suppress(Exception, NotChecked), reader.client.purpose.of(Purpose.CLEAN_UP):
            reader.delete(resource, canaries.pk(resource))
