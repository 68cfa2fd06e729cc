"""The body and answer dimensions: a negative write whose body is the variable.

A body is a template (``strategies.dimensions``): placeholders name the objects it reaches, and
each send fills them with the objects as they are then:

- ``{nonce}``: fresh on every send; ``{url}``: a legal artifact URL of its own;
- ``{pk:PROVENANCE:RESOURCE}``, ``{ref:...}``, ``{uri:...}``, ``{slug:...}``: an object of the
  object zoo (``v2`` is the canaries): its id, its reference as the request's API writes it (a
  v1 URI, a v2 URL), its v1 URI, its slug.

A string that is one placeholder and nothing else takes the value's own type (an id stays a
number). The path is a template too. What the write may change is nothing, anywhere; the
engine reads the whole state.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from authfuzz.attempts import Attempt
from authfuzz.checks.zoo import Zoo, zoo
from authfuzz.client import ApiRequest
from authfuzz.engine.trial import AnswerCheck, Shot
from authfuzz.not_checked import NotApplicableError
from authfuzz.oracles import no_unauthenticated_write
from authfuzz.state import new_nonce
from authfuzz.vocabulary import V1, V2
from authfuzz.workbench import Workbench
from authfuzz.writes import with_attempt

_PLACEHOLDER = re.compile(r"\{(nonce|url|(?:pk|ref|uri|slug):[\w-]+:[\w-]+)\}")
_ORDER = {"POST": 1, "PUT": 2, "PATCH": 3, "DELETE": 4}


@dataclass(frozen=True)
class BodyWrite:
    cell: str  # the dimension's cell, for the coverage report
    method: str
    path: str  # template
    body: Any  # template (JSON), or None
    attempt: Attempt
    read_timeout: float | None = None  # the answer dimension: hang up before the answer
    dimension: str = "body"

    @property
    def key(self) -> str:
        return f"{self.dimension} {self.cell} {self.method} {self.path} {self.attempt.description}"

    def shoot(self, bench: Workbench) -> Shot:
        objects = zoo(bench)
        values = _Values(bench, objects, self.attempt.api.value)
        path = str(values.fill(self.path))
        request = ApiRequest(
            self.method, path, json_body=values.fill(self.body), read_timeout=self.read_timeout
        )
        dressed = with_attempt(request, self.attempt, bench.session_cookie)
        return Shot(
            dressed,
            no_unauthenticated_write.INVARIANT,
            self.attempt.branch_slug,
            f"{self.method} {self.path}",
            labels=(
                self.attempt.description,
                *self.attempt.labels,
                f"{self.dimension}:{self.cell}",
            ),
            session_of=self.attempt.session_of,
            answer=None
            if self.read_timeout is not None
            else AnswerCheck(
                "read-back", no_unauthenticated_write.accepted(dressed.method in ("GET", "HEAD"))
            ),
            order=_ORDER.get(self.method, 0),
            hangs_up=self.read_timeout is not None,
        )


class _Values:
    def __init__(self, bench: Workbench, objects: Zoo, api: str) -> None:
        self.bench, self.objects, self.api = bench, objects, api
        self.nonce = new_nonce()

    def fill(self, template: Any) -> Any:
        if isinstance(template, dict):
            return {self.fill(k): self.fill(v) for k, v in template.items()}
        if isinstance(template, list):
            return [self.fill(v) for v in template]
        if not isinstance(template, str):
            return template
        whole = _PLACEHOLDER.fullmatch(template)
        if whole:
            return self._value(whole.group(1))
        return _PLACEHOLDER.sub(lambda m: str(self._value(m.group(1))), template)

    def _value(self, name: str) -> Any:
        if name == "nonce":
            return self.nonce
        if name == "url":
            return f"{self.bench.target.url_prefix}ftp/authfuzz/{self.nonce}/body.tgz"
        kind, provenance, resource = name.split(":")
        world = self.bench.reader.world()
        pk = self.objects.pk(provenance, resource, world)
        if kind == "pk":
            return pk
        if kind == "uri" or (kind == "ref" and self.api == "v1"):
            return f"{V1}/{resource}/{pk}/"
        if kind == "ref":
            return f"{self.bench.client.base_url}{V2}/{resource}/{pk}/"
        known = world.by_pk(resource, pk)
        if known is None:
            raise NotApplicableError(f"{resource} {pk} of provenance {provenance} is gone")
        return known.slug
