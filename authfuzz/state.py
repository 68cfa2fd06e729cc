"""Reading state back, and writing it, as staff.

Verification never trusts a status code: the harness reads what the target holds, through v2
with a staff token (staff sees unpublished releases; failed auth is not throttled, successful
staff reads are counted in that principal's daily bucket). It writes as the trusted principal
and reads as ``reads_as`` (``Principals.reader``: another staff principal when the target has
one), so reads and writes spend two buckets. The reader keeps the whole
world it last read, and keeps it true through its own writes, so that the check engine's next
read costs nothing while nothing else was sent.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from authfuzz.client.client import Client
from authfuzz.client.messages import ApiRequest, ApiResponse
from authfuzz.client.resend import send_write
from authfuzz.not_checked import NotChecked
from authfuzz.principals import Principal
from authfuzz.vocabulary import RESOURCES, V2, detail_path, token_header, unanswered_cause
from authfuzz.world import World, pk_from_uri


class ReadBackError(RuntimeError):
    """The trusted principal could not read; without read-back the gate cannot judge."""


def _unanswered(what: str, response: ApiResponse) -> NotChecked:
    cause = unanswered_cause(response.status)
    return NotChecked(f"{what} got no answer: {response.fault}", cause)


def new_nonce() -> str:
    return secrets.token_hex(6)


@dataclass
class Known:
    """The whole world as last read or written, and ``client.sent`` at that moment: while nothing
    else has been sent it is still the truth of this process's view, and the readers' own writes
    keep it so (what a create or a patch answers, what a delete takes with it)."""

    world: World | None = None
    at: int = -1


@dataclass
class Reader:
    client: Client
    trusted: Principal
    # Custody's own reader: its requests put the target back as it was, so they are not
    # registered as the run's creations, not held against the request budget and not
    # themselves guarded as destructive (``Client.send(custody=True)``).
    custody: bool = False
    # The whole world as last read or written, shared by the readers of one client (custody's
    # and the checks' read the same through the same principal).
    known: Known = field(default_factory=lambda: Known(), repr=False)
    # Whose token reads (None: the trusted principal's own).
    reads_as: Principal | None = None

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Hypothesis's printer walks a dataclass's fields itself, ignoring ``repr=False``."""
        printer.text(repr(self))

    def __repr__(self) -> str:
        reads = f", reads as {self.reading.name!r}" if self.reading is not self.trusted else ""
        return f"Reader({self.trusted.name!r}{reads}{', custody' if self.custody else ''})"

    @property
    def reading(self) -> Principal:
        return self.reads_as or self.trusted

    def _auth(self) -> tuple[tuple[str, str], ...]:
        return (token_header(self.trusted.token or ""),)

    def _read_auth(self) -> tuple[tuple[str, str], ...]:
        return (token_header(self.reading.token or ""),)

    def url(self, resource: str, pk: int) -> str:
        """The object's v2 URL, as v2 bodies reference related objects."""
        return self.client.base_url + detail_path("v2", resource, pk)

    # -- the whole world ------------------------------------------------------------------------

    def world(self, resources: Iterable[str] = RESOURCES) -> World:
        """Every object of ``resources``: one list read each, unless nothing was sent since the
        last whole read and this reader's own writes since are known."""
        wanted = tuple(resources)
        if self._known() is not None:
            assert self.known.world is not None
            return self.known.world.only(wanted)
        world = World.from_lists({resource: self.find(resource) for resource in wanted})
        if set(wanted) == set(RESOURCES):
            self.known.world, self.known.at = world, self.client.sent
        return world

    def check_writer(self) -> None:
        """One read with the trusted principal's own token when another principal reads: a
        refused writer token is one line now, not every check failing later."""
        if self.reading is self.trusted:
            return
        path = f"{V2}/os/"
        response = self._send(
            ApiRequest("GET", path, headers=self._auth(), query=(("slug", new_nonce()),))
        )
        if response.fault is not None:
            raise _unanswered(f"the check of {self.trusted.name!r}'s token", response)
        if response.status != 200:
            raise ReadBackError(self._refused(path, response, self.trusted))

    def forget(self) -> None:
        """The next ``world`` reads the target: what is known may be older than a lock just
        taken (another process may have written meanwhile)."""
        self.known.at = -1

    def sharing(self, *, custody: bool) -> Reader:
        """Another reader of the same client and principal that knows what this one knows."""
        return Reader(self.client, self.trusted, custody, self.known, self.reads_as)

    def known_world(self) -> World | None:
        """The whole world as this reader knows it now without a request, if it does."""
        return self._known()

    def _known(self) -> World | None:
        return self.known.world if self.known.at == self.client.sent else None

    def _after_write(self, known: World | None, change: Callable[[World], World]) -> None:
        """Keep the known world true after this reader's own write, or forget it."""
        if known is not None:
            self.known.world, self.known.at = change(known), self.client.sent

    # -- requests -------------------------------------------------------------------------------

    def _send(self, request: ApiRequest) -> ApiResponse:
        known = self._known()
        with self.client.purpose.reading():
            response = self.client.send(request, custody=self.custody)
        if known is not None:  # a read changes nothing: what was known still is
            self.known.at = self.client.sent
        return response

    def _send_write(self, request: ApiRequest, took_effect: Callable[[], bool]) -> ApiResponse:
        return send_write(self.client, request, took_effect, custody=self.custody)

    def detail(self, resource: str, pk: int) -> dict[str, Any] | None:
        response = self._send(
            ApiRequest("GET", f"{V2}/{resource}/{pk}/", headers=self._read_auth())
        )
        if response.fault is not None:
            raise _unanswered(f"the read-back of {resource} {pk}", response)
        if response.status == 404:
            return None
        if response.status != 200:
            raise ReadBackError(self._refused(f"{V2}/{resource}/{pk}/", response))
        data: dict[str, Any] = self._json(f"{V2}/{resource}/{pk}/", response, dict)
        return data

    def find(self, resource: str, **filters: str | int) -> list[dict[str, Any]]:
        query = tuple((k, str(v)) for k, v in filters.items())
        response = self._send(
            ApiRequest("GET", f"{V2}/{resource}/", headers=self._read_auth(), query=query)
        )
        if response.fault is not None:
            raise _unanswered(f"the read-back of {resource} {dict(query)}", response)
        if response.status != 200:
            raise ReadBackError(self._refused(f"{V2}/{resource}/", response))
        data: list[dict[str, Any]] = self._json(f"{V2}/{resource}/", response, list)
        return self._register(resource, data)

    def _refused(self, path: str, response: ApiResponse, asked: Principal | None = None) -> str:
        """One line: what the reading principal's read got, and what to check."""
        name = (asked or self.reading).name
        who = f"the staff principal {name!r}"
        if response.status in (401, 403):
            return (
                f"GET {path} as {who} answered {response.status}: its v2 token is refused; "
                f"check principal {name!r}'s token (or token_env) in the targets file"
            )
        return (
            f"GET {path} as {who} answered {response.status} "
            f"({_content_type(response)}){_first_bytes(response)}: is base_url the API's root "
            "(the part before /api/v1/ and /api/v2/)?"
        )

    def _json(self, path: str, response: ApiResponse, shape: type) -> Any:
        """The answer's JSON, if it is the shape the API gives; else one line saying what came."""
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, shape):
            raise ReadBackError(
                f"GET {path} as the staff principal {self.reading.name!r} answered "
                f"{response.status} {_content_type(response)}, not a JSON "
                f"{'list' if shape is list else 'object'}{_first_bytes(response)}: is base_url "
                "the API's root (the part before /api/v1/ and /api/v2/)?"
            )
        return data

    def _register(self, resource: str, data: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The run's objects among ``data``, now with their ids (see Ledger.owns)."""
        if not self.custody:
            for obj in data:
                if (resource, str(obj.get("slug", ""))) in self.client.ledger.slugs:
                    self.client.ledger.add_pk(resource, pk_from_uri(obj["resource_uri"]))
        return data

    def create(self, resource: str, body: dict[str, Any]) -> dict[str, Any]:
        """Create an object (``body`` has a unique ``slug``); a lost answer is settled by slug."""
        slug = str(body["slug"])
        request = ApiRequest("POST", f"{V2}/{resource}/", headers=self._auth(), json_body=body)
        found: list[dict[str, Any]] = []

        def took_effect() -> bool:
            found[:] = self.find(resource, slug=slug)
            return bool(found)

        known = self._known()
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
        self._after_write(known, lambda world: world.with_object(resource, data))
        return data

    def patch(self, resource: str, pk: int, fields: dict[str, Any]) -> dict[str, Any]:
        """Set ``fields`` of an object (custody puts values back this way)."""
        request = ApiRequest(
            "PATCH", f"{V2}/{resource}/{pk}/", headers=self._auth(), json_body=fields
        )

        def took_effect() -> bool:
            now = self.detail(resource, pk) or {}
            return all(now.get(k) == v for k, v in fields.items())

        known = self._known()
        response = self._send_write(request, took_effect)
        if response.fault is not None and not took_effect():
            raise _unanswered(f"putting back {resource} {pk}", response)
        if response.fault is None and response.status != 200:
            raise ReadBackError(
                f"{resource} {pk} could not be put back (status {response.status}: "
                f"{self.client.redact(response.text[:200])})"
            )
        data: Any = None
        if response.fault is None:
            try:  # v2 answers a PATCH with the object as a read shows it: no second request
                data = response.json()
            except ValueError:
                data = None
        if not (isinstance(data, dict) and data.get("resource_uri")):
            data = self.detail(resource, pk) or {}
            known = None
        if data:
            self._after_write(known, lambda world: world.with_object(resource, data))
        return dict(data)

    def delete(self, resource: str, pk: int) -> bool:
        """Delete an object; True once it is gone (a lost answer is settled by reading)."""
        request = ApiRequest("DELETE", f"{V2}/{resource}/{pk}/", headers=self._auth())
        known = self._known()
        response = self._send_write(request, lambda: self.detail(resource, pk) is None)
        if response.status == 429 and self.detail(resource, pk) is not None:
            raise _unanswered(f"deleting {resource} {pk} as {self.trusted.name!r}", response)
        if response.fault is None:
            gone = response.status in (204, 404)
        else:
            gone = self.detail(resource, pk) is None
            known = None
        if gone:
            self._after_write(known, lambda world: world.without(resource, pk))
        return gone


def _content_type(response: ApiResponse) -> str:
    return response.headers.get("content-type", "no content type").split(";")[0].strip()


def _first_bytes(response: ApiResponse, limit: int = 60) -> str:
    """The start of the body, on one line (a read by the trusted principal carries no
    secret in its body, and the end screen's redactor scrubs any that slipped in)."""
    text = " ".join(response.text.split())
    if not text:
        return ", empty body"
    return f", starting {text[:limit]!r}" + ("..." if len(text) > limit else "")
