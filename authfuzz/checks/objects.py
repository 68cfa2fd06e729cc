"""The object dimension: a negative write aimed at an object of each provenance.

A permission that holds for the objects a check usually aims at (the canaries, made through
v2 a moment ago) can fail for others: rows v1 made, rows another staff principal made, legacy
rows, a published release, rows that were there before the run (``zoo``). Each is sent a PATCH
and a DELETE through v2 and a DELETE (and a PATCH, which HEAD refuses) through v1, under each
negative identity: none may change anything, anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from authfuzz.attempts import Attempt
from authfuzz.branches import Api
from authfuzz.checks.zoo import zoo
from authfuzz.client import ApiRequest
from authfuzz.engine.trial import AnswerCheck, Shot
from authfuzz.oracles import no_unauthenticated_write
from authfuzz.state import new_nonce
from authfuzz.workbench import Workbench
from authfuzz.writes import with_attempt

METHODS: dict[Api, tuple[str, ...]] = {Api.V1: ("PATCH", "DELETE"), Api.V2: ("PATCH", "DELETE")}


@dataclass(frozen=True)
class ObjectWrite:
    provenance: str
    resource: str
    method: str
    attempt: Attempt

    @property
    def key(self) -> str:
        return f"{self.provenance} {self.resource} {self.attempt.api.value} {self.method} {self.attempt.description}"

    def shoot(self, bench: Workbench) -> Shot:
        pk = zoo(bench).pk(self.provenance, self.resource, bench.reader.world())
        api = self.attempt.api
        path = f"/api/{api.value}/downloads/{self.resource}/{pk}/"
        body = {"name": f"authfuzz object {new_nonce()}"} if self.method == "PATCH" else None
        request = with_attempt(
            ApiRequest(self.method, path, json_body=body), self.attempt, bench.session_cookie
        )
        return Shot(
            request,
            no_unauthenticated_write.INVARIANT,
            self.attempt.branch_slug,
            f"{self.method} /api/{api.value}/downloads/{self.resource}/{{id}}/",
            labels=(self.attempt.description, *self.attempt.labels, f"object:{self.provenance}"),
            answer=AnswerCheck("read-back", no_unauthenticated_write.accepted(False)),
            order=2 if self.method == "PATCH" else 3,
            aim=frozenset({(self.resource, pk)}),
            last=self.method == "DELETE",
        )
