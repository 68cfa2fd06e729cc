"""A negative credential against one write operation of the spec, and the positive control.

The request is the operation's valid staff write aimed at the bench's canaries, dressed in the
attempt's credential (``writes``): only the credential can explain a refusal. A negative
attempt may change nothing at all, anywhere; the control (a valid staff credential) must have
exactly its documented effect, or the gate is blind.
"""

from __future__ import annotations

from dataclasses import dataclass

from authfuzz.attempts import Attempt
from authfuzz.engine.trial import Allowance, AnswerCheck, Shot
from authfuzz.not_checked import NotApplicableError
from authfuzz.operations import Operation
from authfuzz.oracles import no_unauthenticated_write
from authfuzz.state import new_nonce
from authfuzz.workbench import Workbench
from authfuzz.writes import aimed_at, created_slug, with_attempt, write_request

# The moment within a batch: creates and updates first, deletes last, so that a delete cannot
# take away the object a later write's evidence would be on.
ORDER = {"create": 1, "update": 2, "partial_update": 3, "destroy": 4, "bulk_destroy": 5}


@dataclass(frozen=True)
class NegativeWrite:
    operation: Operation
    attempt: Attempt
    tag: str = ""  # tells apart two trials of the same operation and branch (sub-forms)

    @property
    def key(self) -> str:
        labels = "+".join(self.attempt.labels)
        return f"{self.operation.operation_id} {self.attempt.branch_slug} {labels} {self.tag}"

    def shoot(self, bench: Workbench) -> Shot:
        if bench.target.is_production:
            raise NotApplicableError("production target: writes are replaced by identity probes")
        canaries = bench.canaries()
        operation, attempt = self.operation, self.attempt
        request = write_request(
            operation, canaries, new_nonce(), bench.target.url_prefix, bench.client.base_url
        )
        dressed = with_attempt(request, attempt, bench.session_cookie)
        sent_as_read = dressed.method.upper() in ("GET", "HEAD")
        return Shot(
            dressed,
            no_unauthenticated_write.INVARIANT,
            attempt.branch_slug,
            operation.label,
            labels=(attempt.description, *attempt.labels),
            session_of=attempt.session_of,
            answer=AnswerCheck("read-back", no_unauthenticated_write.accepted(sent_as_read)),
            order=ORDER[operation.kind],
            aim=aimed_at(operation, canaries),
        )


@dataclass(frozen=True)
class Control:
    """The operation with a valid staff credential: its documented effect, and nothing else."""

    operation: Operation
    attempt: Attempt

    @property
    def key(self) -> str:
        return f"{self.operation.operation_id} control"

    def shoot(self, bench: Workbench) -> Shot:
        canaries = bench.canaries()
        operation = self.operation
        nonce = new_nonce()
        request = write_request(
            operation, canaries, nonce, bench.target.url_prefix, bench.client.base_url
        )
        aim = aimed_at(operation, canaries)
        if operation.kind == "create":
            allowed = Allowance(
                creates=frozenset({(operation.resource, created_slug(operation.resource, nonce))})
            )
        elif operation.kind in ("destroy", "bulk_destroy"):
            allowed = Allowance(deletes=aim)
        else:
            allowed = Allowance(changes=aim)
        return Shot(
            with_attempt(request, self.attempt, bench.session_cookie),
            no_unauthenticated_write.INVARIANT,
            "valid-staff",
            operation.label,
            labels=(self.attempt.description,),
            allowed=allowed,
            required=True,
            order=ORDER[operation.kind],
            aim=aim,
        )
