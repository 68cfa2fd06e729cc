"""The moment dimension: a negative write right after, or beside, another request.

A server that remembers (a cache of who authenticated a moment ago, a session that outlives
its request, a connection that keeps its user) can let a bad credential through only at the
right moment. So the staff username's wrong key (v1) or a wrong token (v2) is sent right after
a valid request by the same principal, right after a failed one, and while a valid one is in
flight on another connection; the valid request reads the same resource. The batch's read
judges what the negative write did, whatever came before it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from authfuzz.attempts import Attempt
from authfuzz.branches import Api
from authfuzz.checks.auth_writes import NegativeWrite
from authfuzz.client import ApiRequest
from authfuzz.engine.trial import Shot
from authfuzz.operations import Operation
from authfuzz.workbench import Workbench


@dataclass(frozen=True)
class MomentWrite:
    moment: str  # "after-valid", "after-failed" or "in-flight"
    operation: Operation
    attempt: Attempt  # the negative credential
    failed: Attempt  # a credential that fails, for "after-failed"

    @property
    def key(self) -> str:
        return f"moment {self.moment} {self.operation.operation_id} {self.attempt.description}"

    def shoot(self, bench: Workbench) -> Shot:
        shot = NegativeWrite(self.operation, self.attempt, self.moment).shoot(bench)
        api = self.operation.api
        listing = f"/api/{api.value}/downloads/{self.operation.resource}/"
        query = (("limit", "1"),) if api is Api.V1 else ()
        valid = ApiRequest("GET", listing, headers=bench.staff_auth(api), query=query)
        labels = (*shot.labels, f"moment:{self.moment}")
        if self.moment == "after-valid":
            return replace(shot, prelude=(valid,), labels=labels)
        if self.moment == "after-failed":
            failed = ApiRequest("GET", listing, headers=self.failed.headers, query=query)
            return replace(shot, prelude=(failed,), labels=labels)
        return replace(shot, beside=valid, labels=labels)
