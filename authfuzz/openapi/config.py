"""How Schemathesis is set up for the gate: positive data, pinned phases, chosen checks.

Schemathesis's own checks were decided by running them all against the clean testbed (dev x5,
deep x1, with -n 2); this module is the one place that says which are on and why each other
one is off (the suite and the docs point here). The invariants are not Schemathesis checks:
the engine judges every case on the whole state read back.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import schemathesis
from schemathesis import Case, Response
from schemathesis.openapi.checks import UndefinedStatusCode

# On: none fired on the clean testbed. Off means off everywhere: a check that fires on the
# real API's legitimate behaviour would train people to ignore the gate.
BUILTIN_CHECKS_ON: tuple[str, ...] = (
    "status_code_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
)
BUILTIN_CHECKS_OFF: dict[str, str] = {
    "content_type_conformance": "the web server answers a malformed header (several negative "
    "branches send one on purpose) with its own text/plain 400 before the API sees it, as the "
    "real deployment's front end does with HTML",
    "not_a_server_error": "v1 answers 500 where the real API does too: database errors (a "
    "version beyond the integer column, a url over 200 characters, a second download_button file "
    "of an (os, release) pair) and non-ASCII whitespace inside the Authorization header; "
    "status_code_conformance's 'undocumented 500' is filtered for the same reason",
    "positive_data_acceptance": "tolerates 401/403 but not 400, and a schema-valid case with a "
    "negative attempt legitimately gets 400: from the web server for a malformed Authorization "
    "header (sent on purpose), from v1 which validates before it authorizes",
    "negative_data_rejection": "inert here: every case is generated in positive mode",
    "missing_required_header": "inert here: coverage-phase header probes are not generated in "
    "positive mode, and the credential is ours, not a spec parameter",
    "unsupported_method": "the spec's undocumented methods are covered by "
    "tests/testbed/test_spec_matches_testbed.py; the probes are negative-mode cases",
    "allow_header_conformance": "only judges OPTIONS responses, which are never sent",
    "ignored_auth": "re-sends cases outside the harness's client (no guard, budget or "
    "redaction) with one literal bad value; strategies.auth.negative_attempts supersedes it",
    "object_level_authorization": "needs several Schemathesis auth identities and sends its own "
    "requests outside the harness's client",
    "max_response_time": "timing is not a security property; the client has its own timeout",
}
STATEFUL_CHECKS_ON: tuple[str, ...] = ("use_after_free", "ensure_resource_availability")


def configure(
    schema: schemathesis.BaseSchema,
    *,
    base_url: str,
    max_examples: int,
    phases: Iterable[str],
    stateful: bool = False,
) -> None:
    """Positive data, our checks only, pinned phases, no example database, no spec credential."""
    schema.config.update(base_url=base_url)
    schema.config.generation.update(
        modes=[schemathesis.GenerationMode.POSITIVE],
        max_examples=max_examples,
        database="none",
        # The credential is the attempt's, never a value generated for the security scheme.
        with_security_parameters=False,
        # NUL in a name is a database-robustness topic (PostgreSQL refuses it), not ours.
        allow_x00=False,
    )
    schema.config.phases.update(phases=list(phases))
    # Only the links written in the spec: inferred links could chain a list's ids (someone
    # else's objects on a shared target) into a DELETE.
    schema.config.phases.stateful.inference.algorithms = []
    names = [*BUILTIN_CHECKS_ON, *(STATEFUL_CHECKS_ON if stateful else ())]
    schema.config.checks.update(included_check_names=names)
    if not schema.config.output.sanitization.enabled:
        raise ValueError("Schemathesis output sanitization must stay on: it masks Authorization")

    def filter_failure(
        context: schemathesis.HookContext, failure: Any, case: Case[Any], response: Response
    ) -> bool:
        # A 5xx is not_a_server_error's business, which is off (see BUILTIN_CHECKS_OFF): the
        # status check must not bring it back as "undocumented status code".
        return not (isinstance(failure, UndefinedStatusCode) and response.status_code >= 500)

    schema.hook(filter_failure)


def spec_subset(raw: Mapping[str, Any], keep: Callable[[str, str, dict[str, Any]], bool]) -> Any:
    """A copy of the spec with only the operations ``keep(path, method, operation)`` accepts.

    Links whose target is left out are dropped, so the subset still loads.
    """
    document = copy.deepcopy(dict(raw))
    paths: dict[str, Any] = {}
    kept_ids: set[str] = set()
    for path, item in document.get("paths", {}).items():
        methods = {
            method: body
            for method, body in item.items()
            if isinstance(body, dict) and "responses" in body and keep(path, method, body)
        }
        if methods:
            shared = {
                k: v for k, v in item.items() if not (isinstance(v, dict) and "responses" in v)
            }
            paths[path] = {**shared, **methods}
            kept_ids |= {str(body.get("operationId")) for body in methods.values()}
    for item in paths.values():
        for body in item.values():
            for response in (
                (body.get("responses") or {}).values() if isinstance(body, dict) else ()
            ):
                links = response.get("links") if isinstance(response, dict) else None
                if links:
                    response["links"] = {
                        name: link
                        for name, link in links.items()
                        if link.get("operationId") in kept_ids
                    }
                    if not response["links"]:
                        del response["links"]
    document["paths"] = paths
    return document
