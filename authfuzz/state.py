"""Reading state back as a trusted staff principal, and the canary objects writes aim at.

Verification never trusts a status code: after every attempted write the
harness reads the objects it could have touched, through v2 with the trusted
principal's token (staff sees unpublished releases; failed auth is not
throttled, successful staff reads are counted in the staff bucket).
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from authfuzz.client import ApiRequest, ApiResponse, Client, Purpose, send_write
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
    # Custody's own reader: its requests put the target back as it was, so they are not
    # registered as the run's creations, not held against the request budget and not
    # themselves guarded as destructive (``Client.send(custody=True)``).
    custody: bool = False

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Hypothesis's printer walks a dataclass's fields itself, ignoring ``repr=False``."""
        printer.text(repr(self))

    def _auth(self) -> tuple[tuple[str, str], ...]:
        return (("Authorization", f"Token {self.trusted.token}"),)

    def url(self, resource: str, pk: int) -> str:
        """The object's v2 URL, as v2 bodies reference related objects."""
        return f"{self.client.base_url}{V2}/{resource}/{pk}/"

    def _send(self, request: ApiRequest) -> ApiResponse:
        with self.client.purpose.reading():
            return self.client.send(request, custody=self.custody)

    def _send_write(self, request: ApiRequest, took_effect: Callable[[], bool]) -> ApiResponse:
        return send_write(self.client, request, took_effect, custody=self.custody)

    def detail(self, resource: str, pk: int) -> dict[str, Any] | None:
        fresh = self._fresh(resource)
        if fresh is not None:
            return next((o for o in fresh if pk_from_uri(o["resource_uri"]) == pk), None)
        response = self._send(ApiRequest("GET", f"{V2}/{resource}/{pk}/", headers=self._auth()))
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
        fresh = self._fresh(resource)
        if fresh is not None and set(filters) <= _LOCAL_FILTERS:
            return self._register(
                resource, [obj for obj in fresh if all(_matches(obj, k, v) for k, v in query)]
            )
        response = self._send(
            ApiRequest("GET", f"{V2}/{resource}/", headers=self._auth(), query=query)
        )
        if response.fault is not None:
            raise _unanswered(f"the read-back of {resource} {dict(query)}", response)
        if response.status != 200:
            raise ReadBackError(f"read-back of {resource} {dict(query)} answered {response.status}")
        data: list[dict[str, Any]] = response.json()
        if not query:
            self.client.fresh_lists[resource] = (self.client.sent, data)
        return self._register(resource, data)

    def _register(self, resource: str, data: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The run's objects among ``data``, now with their ids (see Ledger.owns)."""
        if not self.custody:
            for obj in data:
                if (resource, str(obj.get("slug", ""))) in self.client.ledger.slugs:
                    self.client.ledger.add_pk(resource, pk_from_uri(obj["resource_uri"]))
        return data

    def _fresh(self, resource: str) -> list[dict[str, Any]] | None:
        """The whole list of ``resource`` if it is the last thing this process sent (custody
        reads every list a risky request could reach just after it; the check's read-back that
        follows needs no request of its own). Anything sent since makes it stale, and custody
        never reads from it: its own reads are the ground truth, also of what other processes
        did meanwhile."""
        if self.custody:
            return None
        entry = self.client.fresh_lists.get(resource)
        if entry is None or entry[0] != self.client.sent:
            return None
        return entry[1]

    def create(self, resource: str, body: dict[str, Any]) -> dict[str, Any]:
        """Create an object (``body`` has a unique ``slug``); a lost answer is settled by slug."""
        slug = str(body["slug"])
        request = ApiRequest("POST", f"{V2}/{resource}/", headers=self._auth(), json_body=body)
        found: list[dict[str, Any]] = []

        def took_effect() -> bool:
            found[:] = self.find(resource, slug=slug)
            return bool(found)

        response = self._send_write(request, took_effect)
        if response.fault is not None and (found or took_effect()):
            data = found[0]
        elif response.fault is not None:
            raise _unanswered(f"creating {resource} {slug!r}", response)
        elif response.status != 201:
            raise ReadBackError(
                f"the trusted principal could not create {resource} {slug!r} "
                f"(status {response.status}: {self.client.redact(response.text[:200])})"
            )
        else:
            data = response.json()
        if not self.custody:
            self.client.ledger.add_pk(resource, pk_from_uri(data["resource_uri"]), slug)
        return data

    def patch(self, resource: str, pk: int, fields: dict[str, Any]) -> dict[str, Any]:
        """Set ``fields`` of an object (custody puts values back this way)."""
        request = ApiRequest(
            "PATCH", f"{V2}/{resource}/{pk}/", headers=self._auth(), json_body=fields
        )

        def took_effect() -> bool:
            now = self.detail(resource, pk) or {}
            return all(now.get(k) == v for k, v in fields.items())

        response = self._send_write(request, took_effect)
        if response.fault is not None and not took_effect():
            raise _unanswered(f"putting back {resource} {pk}", response)
        if response.fault is None and response.status != 200:
            raise ReadBackError(
                f"{resource} {pk} could not be put back (status {response.status}: "
                f"{self.client.redact(response.text[:200])})"
            )
        if response.fault is None:
            try:  # v2 answers a PATCH with the object as a read shows it: no second request
                data = response.json()
            except ValueError:
                data = None
            if isinstance(data, dict) and data.get("resource_uri"):
                return data
        return self.detail(resource, pk) or {}

    def delete(self, resource: str, pk: int) -> bool:
        """Delete an object; True once it is gone (a lost answer is settled by reading)."""
        request = ApiRequest("DELETE", f"{V2}/{resource}/{pk}/", headers=self._auth())
        response = self._send_write(request, lambda: self.detail(resource, pk) is None)
        if response.fault is None:
            return response.status in (204, 404)
        return self.detail(resource, pk) is None


# Filters a fresh list can answer as the server would (v2, exact lookups).
_LOCAL_FILTERS = frozenset({"slug", "name", "os", "release", "is_published"})


def _matches(obj: dict[str, Any], key: str, value: str) -> bool:
    field_value = obj.get(key)
    if key in ("os", "release"):
        return (
            isinstance(field_value, str)
            and bool(field_value)
            and (str(pk_from_uri(field_value)) == value)
        )
    if isinstance(field_value, bool):
        return str(field_value).lower() == value.lower()
    return str(field_value) == value


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
    with reader.client.purpose.of(Purpose.CANARY):
        return _create_canaries(reader, url_prefix)


def _create_canaries(reader: Reader, url_prefix: str) -> CanarySet:
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
        with contextlib.suppress(Exception, NotChecked), reader.client.purpose.of(Purpose.CLEAN_UP):
            reader.delete(resource, canaries.pk(resource))
