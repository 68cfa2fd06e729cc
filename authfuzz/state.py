"""Reading state back as a trusted staff principal, and the canary objects writes aim at.

Verification never trusts a status code: after every attempted write the
harness reads the objects it could have touched, through v2 with the trusted
principal's token (staff sees unpublished releases; failed auth is not
throttled, successful staff reads are counted in the staff bucket).
"""

from __future__ import annotations

import contextlib
import secrets
from dataclasses import dataclass
from typing import Any

from authfuzz.client import ApiRequest, ApiResponse, Client, send_write
from authfuzz.not_checked import Cause, NotChecked
from authfuzz.principals import Principal

V2 = "/api/v2/downloads"


class ReadBackError(RuntimeError):
    """The trusted principal could not read; without read-back the gate cannot judge."""


def _unanswered(what: str, response: ApiResponse) -> NotChecked:
    cause = Cause.THROTTLE if response.status == 429 else Cause.FAULT
    return NotChecked(f"{what} got no answer: {response.fault}", cause)


def new_nonce() -> str:
    return secrets.token_hex(6)


def pk_from_uri(uri: str) -> int:
    return int(uri.rstrip("/").rsplit("/", 1)[-1])


@dataclass
class Reader:
    client: Client
    trusted: Principal

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Hypothesis's printer walks a dataclass's fields itself, ignoring ``repr=False``."""
        printer.text(repr(self))

    def _auth(self) -> tuple[tuple[str, str], ...]:
        return (("Authorization", f"Token {self.trusted.token}"),)

    def detail(self, resource: str, pk: int) -> dict[str, Any] | None:
        response = self.client.send(
            ApiRequest("GET", f"{V2}/{resource}/{pk}/", headers=self._auth())
        )
        if response.fault is not None:
            raise _unanswered(f"the read-back of {resource} {pk}", response)
        if response.status == 404:
            return None
        if response.status != 200:
            raise ReadBackError(f"read-back of {resource} {pk} answered {response.status}")
        data: dict[str, Any] = response.json()
        return data

    def find(self, resource: str, **filters: str | int) -> list[dict[str, Any]]:
        query = tuple((k, str(v)) for k, v in filters.items())
        response = self.client.send(
            ApiRequest("GET", f"{V2}/{resource}/", headers=self._auth(), query=query)
        )
        if response.fault is not None:
            raise _unanswered(f"the read-back of {resource} {dict(query)}", response)
        if response.status != 200:
            raise ReadBackError(f"read-back of {resource} {dict(query)} answered {response.status}")
        data: list[dict[str, Any]] = response.json()
        return data

    def create(self, resource: str, body: dict[str, Any]) -> dict[str, Any]:
        """Create an object (``body`` has a unique ``slug``); a lost answer is settled by slug."""
        slug = str(body["slug"])
        request = ApiRequest("POST", f"{V2}/{resource}/", headers=self._auth(), json_body=body)
        found: list[dict[str, Any]] = []

        def took_effect() -> bool:
            found[:] = self.find(resource, slug=slug)
            return bool(found)

        response = send_write(self.client, request, took_effect)
        if response.fault is not None and (found or took_effect()):
            return found[0]
        if response.fault is not None:
            raise _unanswered(f"creating a canary {resource}", response)
        if response.status != 201:
            raise ReadBackError(
                f"the trusted principal could not create a canary {resource} "
                f"(status {response.status}: {self.client.redact(response.text[:200])})"
            )
        data: dict[str, Any] = response.json()
        return data

    def delete(self, resource: str, pk: int) -> bool:
        """Delete an object; True once it is gone (a lost answer is settled by reading)."""
        request = ApiRequest("DELETE", f"{V2}/{resource}/{pk}/", headers=self._auth())
        response = send_write(self.client, request, lambda: self.detail(resource, pk) is None)
        if response.fault is None:
            return response.status in (204, 404)
        return self.detail(resource, pk) is None


@dataclass
class CanarySet:
    """One OS, one unpublished release and one file of it, owned by one worker."""

    nonce: str
    os: dict[str, Any]
    release: dict[str, Any]
    release_file: dict[str, Any]

    def pk(self, resource: str) -> int:
        return pk_from_uri(getattr(self, resource)["resource_uri"])

    def object(self, resource: str) -> dict[str, Any]:
        data: dict[str, Any] = getattr(self, resource)
        return data


def create_canaries(reader: Reader, url_prefix: str) -> CanarySet:
    nonce = new_nonce()
    base = reader.client.base_url
    os_obj = reader.create(
        "os", {"name": f"authfuzz canary {nonce}", "slug": f"authfuzz-os-{nonce}"}
    )
    release = reader.create(
        "release",
        {
            "name": f"authfuzz canary {nonce}",
            "slug": f"authfuzz-release-{nonce}",
            "version": 3,
            "is_published": False,
            "show_on_download_page": False,
        },
    )
    url = f"{url_prefix}ftp/authfuzz/{nonce}/canary.tgz"
    release_file = reader.create(
        "release_file",
        {
            "name": f"authfuzz canary {nonce}",
            "slug": f"authfuzz-file-{nonce}",
            "os": f"{base}{V2}/os/{pk_from_uri(os_obj['resource_uri'])}/",
            "release": f"{base}{V2}/release/{pk_from_uri(release['resource_uri'])}/",
            # No sidecars: a PATCH of `url` alone must be judged on the URL policy only.
            "url": url,
        },
    )
    return CanarySet(nonce, os_obj, release, release_file)


def remove_canaries(reader: Reader, canaries: CanarySet) -> None:
    """Best effort: deleting the release removes its files; the OS goes separately."""
    for resource in ("release_file", "release", "os"):
        with contextlib.suppress(Exception, NotChecked):
            reader.delete(resource, canaries.pk(resource))
