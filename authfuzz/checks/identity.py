"""A negative credential on a read of an unpublished release: which identity did it get?

Only staff can read an unpublished release, and at HEAD every bad credential gets 401 even on a
GET: so the answer says whether the server took the credential for staff (a bypass), without
any write. It is all a production target ever receives of the auth branches, and it runs
everywhere: the read is judged on its answer, and like every trial on the whole state too.
"""

from __future__ import annotations

from dataclasses import dataclass

from authfuzz.attempts import Attempt
from authfuzz.branches import Api
from authfuzz.client import ApiRequest
from authfuzz.engine.trial import AnswerCheck, Shot
from authfuzz.not_checked import NotApplicableError
from authfuzz.oracles import identity_probe, no_unauthenticated_write
from authfuzz.workbench import Workbench
from authfuzz.world import pk_from_uri
from authfuzz.writes import with_attempt


@dataclass(frozen=True)
class IdentityProbe:
    api: Api
    attempt: Attempt

    @property
    def key(self) -> str:
        return f"{self.api.value} {self.attempt.branch_slug} probe"

    def shoot(self, bench: Workbench) -> Shot:
        attempt, target = self.attempt, bench.target
        if attempt.form:
            raise NotApplicableError("form-body credentials need a POST, which could write")
        if attempt.override_via:
            raise NotApplicableError("a method override could write if the server were vulnerable")
        if attempt.session_of and target.is_production:
            raise NotApplicableError("getting a session cookie needs a login POST")
        secrets = set(target.principals.secrets())
        if target.is_production and any(value in secrets for _, value in attempt.query):
            raise NotApplicableError("would put a live credential in a URL, where proxies log it")
        draft = bench.draft_release()
        if draft is None:
            raise NotApplicableError("the target has no unpublished release to probe with")
        pk = pk_from_uri(str(draft["resource_uri"]))
        probe = ApiRequest("GET", f"/api/{self.api.value}/downloads/release/{pk}/")
        return Shot(
            with_attempt(probe, attempt, bench.session_cookie),
            no_unauthenticated_write.INVARIANT,
            attempt.branch_slug,
            f"GET /api/{self.api.value}/downloads/release/{{unpublished}}/",
            labels=(attempt.description, *attempt.labels),
            session_of=attempt.session_of,
            answer=AnswerCheck("identity-probe", identity_probe.revealed(str(draft["slug"]))),
            aim=frozenset({("release", pk)}),
        )


@dataclass(frozen=True)
class RevealRead:
    """The identity dimension: a read under a negative identity, which may see no more than an
    anonymous caller sees. Anonymous sees published releases only (release-api.md 2.5); so no
    unpublished release's slug may be in the answer, through any read
    (``strategies.dimensions.READS``): the draft's detail, the release list, the list filtered
    for drafts, v1's ``set/`` of a draft and a published release."""

    read: str
    attempt: Attempt

    @property
    def key(self) -> str:
        return f"identity {self.read} {self.attempt.api.value} {self.attempt.description} {'+'.join(self.attempt.labels)}"

    def shoot(self, bench: Workbench) -> Shot:
        api, attempt = self.attempt.api, self.attempt
        if attempt.form or attempt.override_via:
            raise NotApplicableError("needs a write to carry its credential")
        if attempt.session_of and bench.target.is_production:
            raise NotApplicableError("getting a session cookie needs a login POST")
        draft = bench.draft_release()
        if draft is None:
            raise NotApplicableError("the target has no unpublished release to probe with")
        known = bench.reader.world()
        hidden = sorted(
            e.slug for e in known.table("release").values() if not e.fields.get("is_published")
        )
        published = [e.pk for e in known.table("release").values() if e.fields.get("is_published")]
        pk = pk_from_uri(str(draft["resource_uri"]))
        base = f"/api/{api.value}/downloads/release/"
        query: tuple[tuple[str, str], ...] = (("limit", "0"),) if api is Api.V1 else ()
        if self.read == "release-detail":
            path = f"{base}{pk}/"
        elif self.read == "release-list":
            path = base
        elif self.read == "release-list-unpublished":
            path, query = base, (*query, ("is_published", "false"))
        elif self.read == "release-set" and api is Api.V1:
            path = f"{base}set/{pk};{published[0] if published else pk}/"
        else:
            raise NotApplicableError(f"{self.read} is not a read of {api.value}")
        request = with_attempt(ApiRequest("GET", path, query=query), attempt, bench.session_cookie)
        return Shot(
            request,
            no_unauthenticated_write.INVARIANT,
            attempt.branch_slug,
            f"GET {base}{'{draft}/' if self.read == 'release-detail' else ''}",
            labels=(attempt.description, *attempt.labels, f"identity:{self.read}"),
            session_of=attempt.session_of,
            answer=AnswerCheck("identity-probe", identity_probe.revealed_any(hidden)),
            aim=frozenset({("release", pk)}),
        )
