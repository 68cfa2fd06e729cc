"""The historical defects of the real API, as switches that are off by default.

Each switch is the smallest deviation from HEAD that reproduces one report, so
that a harness test failing against it proves the harness detects exactly that
class of bug. The names are part of the command-line interface.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Defect:
    name: str
    summary: str
    reference: str


DEFECTS: tuple[Defect, ...] = (
    Defect(
        "guest-fallthrough",
        "v1: a known username with a wrong key (or with no ApiKey row) authenticates as that user",
        "Feb 2026 bypass, fixed by pythondotorg#2946",
    ),
    Defect(
        "legacy-credentials",
        "v1: username/api_key in the query string or form body are read as credentials",
        "fixed by pythondotorg#3015",
    ),
    Defect(
        "session-cookie-write",
        "v1: a staff session cookie without an API key may write",
        "fixed by pythondotorg#3015",
    ),
    Defect(
        "inactive-user",
        "v1: an inactive user's valid API key is accepted",
        "fixed by pythondotorg#3015",
    ),
    Defect(
        "unscoped-bulk-delete",
        "release-file bulk delete without a usable release filter deletes every file",
        "fixed by pythondotorg#3015 (v1) and #3016 (v2)",
    ),
    Defect(
        "no-url-constraint",
        "release-file URL fields accept any host (no prefix rule, no database constraint)",
        "fixed by pythondotorg#2947",
    ),
    Defect(
        "http-urls",
        "release-file URL fields accept new http://www.python.org/ values",
        "fixed by pythondotorg#3014",
    ),
    Defect(
        "sidecar-mismatch",
        "signature and SBOM URLs may point at any python.org path, not url + suffix",
        "fixed by pythondotorg#3014",
    ),
    Defect(
        "lookalike-host",
        "the URL prefix check (and the database constraint) lack the trailing slash, "
        "so https://www.python.org.evil.example/ passes",
        "hypothetical regression of pythondotorg#2947",
    ),
    Defect(
        "v2-basic-auth",
        "v2: HTTP Basic with a user's password is accepted next to the token",
        "new defect class (issue 11): a second, password-based scheme on the token-only API",
    ),
    Defect(
        "key-extension",
        "v1: the key comparison stops at the stored key's length, so the key plus a suffix passes",
        "new defect class (issue 11): a truncating comparison accepts longer credentials",
    ),
    Defect(
        "username-strip",
        "v1: whitespace around the username (a second space, a tab, before the colon) is stripped",
        "new defect class (issue 11): credential normalisation widens what the header accepts",
    ),
    Defect(
        "proxy-user-header",
        "v2: an X-Forwarded-User header names the user, as if a proxy had authenticated it",
        "new defect class (issue 11): trusting an identity header the client can send itself",
    ),
    Defect(
        "trusted-network",
        "v1: no key needed from 10.0.0.0/8, with the client address taken from X-Real-IP",
        "new defect class (issue 11): network trust keyed on a client-controlled header",
    ),
    Defect(
        "override-after-auth",
        "v2: an X-HTTP-Method header is applied after authentication and permission checks",
        "new defect class (issue 11): a method override that runs after the checks it evades",
    ),
    Defect(
        "query-method-override",
        "v2: a _method query parameter is applied after authentication and permission checks",
        "new defect class (issue 11): the same late override, from the query string",
    ),
    Defect(
        "sidecar-check-json-only",
        "v1: the sidecar URL rule reads the raw body as JSON, so XML and YAML bodies skip it",
        "new defect class (issue 11): a validation rule that depends on the body format",
    ),
    Defect(
        "v2-json-suffix-write",
        "v2: the .json route of a release_file detail lets any signed-in user PUT, PATCH, DELETE",
        "new defect class (route surface): a format-suffix alias with a weaker permission",
    ),
    Defect(
        "no-slash-create",
        "v2: /api/v2/downloads/release without its slash is served, and any signed-in user "
        "may POST there",
        "new defect class (route surface): a slash-less alias caught before the redirect",
    ),
    Defect(
        "v1-detail-patch",
        "v1: release detail accepts PATCH, and any valid API key may update (drafts included)",
        "new defect class (route surface): a method re-enabled after pythondotorg#3015",
    ),
    Defect(
        "put-creates",
        "v2: PUT to a detail id that does not exist creates the object there (upsert)",
        "new defect class (route surface): DRF 2's PUT-as-create brought back",
    ),
    Defect(
        "v1-set-delete",
        "v1: os set/<pk>;<pk>/ accepts DELETE and deletes them for any valid API key",
        "new defect class (route surface): a bulk route with no authorization call",
    ),
    Defect(
        "download-button-handover",
        "v1: a release-file POST with download_button=true clears the button of its "
        "(os, release)'s current file in validation, before authorization, even when refused",
        "new defect class (issue 18): a side effect in the validation step, which Tastypie "
        "runs before the authorization decision, written on a sibling row",
    ),
    Defect(
        "nested-release-by-slug",
        "v1: a release given as {slug, ...} in a release-file POST is updated (or created) "
        "by that slug while hydrating, before authorization, even when refused",
        "new defect class (issue 18): a related object resolved with a write "
        "(update_or_create) instead of a read, landing on the release the body names",
    ),
    Defect(
        "latest-handover-on-delete",
        "v1: DELETE of the latest release first marks the newest other release of its version "
        "(drafts included) is_latest, before the delete authorization, even when refused",
        "new defect class (issue 18): a field the request never sent, written on another "
        "row, behind the read check mistaken for the delete check",
    ),
    Defect(
        "url-swap-keeps-sidecars",
        "v2: a staff update to a URL another file holds swaps the two files' urls, leaving that "
        "file's signature and SBOM URLs pointing at the other artifact",
        "new defect class (issue 18): a URL change written by a queryset update that skips "
        "validation, on a file other than the one the body was validated against",
    ),
    Defect(
        "nfkc-credentials",
        "v1: the ApiKey header is re-decoded as UTF-8 and NFKC-normalised before the lookup, "
        "so a fullwidth (or other compatibility) spelling of the key passes",
        "new defect class (issue 19, credential bytes): a fix for the 500 on non-ASCII keys "
        "that normalises the whole credential as Django normalises usernames",
    ),
    Defect(
        "bulk-patch-deletes",
        'v1: release_file list takes PATCH {"objects": [...], "deleted_objects": [...]}; '
        "the deleted_objects are removed with no delete authorization",
        "new defect class (issue 19, body): Tastypie's own list-level body form, whose "
        "deletions were moved into one queryset delete that skips obj_delete's check",
    ),
    Defect(
        "creatorless-release-writable",
        "v2: a release may be updated or deleted by its creator; rows with no creator (seeded, "
        "legacy, made through v1) match the anonymous caller, whose pk is None too",
        "new defect class (issue 19, object provenance): an ownership rule comparing "
        "creator_id with request.user.pk, true for None == None",
    ),
    Defect(
        "upload-burst-auth-cache",
        "v1: release_file remembers an uploader by username for 3 s after a valid request, and "
        "the next request naming that username passes whatever key it carries",
        "new defect class (issue 19, moment): an authentication cache keyed by the username "
        "alone, so the key of the request that hits it is never compared",
    ),
    Defect(
        "upload-checked-after-save",
        "v2: release-file creates are authorized on the saved file; a refused one's rollback "
        "fails outside a transaction (500) and the file stays",
        "new defect class (issue 19, answer): an object check placed after serializer.save(), "
        "undone with set_rollback(), which only works under ATOMIC_REQUESTS",
    ),
    Defect(
        "patch-checks-sent-urls-only",
        "v2: a release-file PATCH checks only the URL fields it sends, so the url alone "
        "(leaving the sidecars) or a sidecar alone is stored against the sidecar rule",
        "new defect class (issue 19, URL): partial validation of the request body instead "
        "of the object as it will be stored",
    ),
    Defect(
        "any-key-reads-drafts",
        "v1: any valid API key, staff or not, reads an unpublished release's detail; "
        "the list and set/ still hide drafts",
        "new defect class (issue 19, differential identity): 'has an API key' taken for "
        "'is a release manager', though every account gets a key",
    ),
)

DEFECT_NAMES: frozenset[str] = frozenset(d.name for d in DEFECTS)


class UnknownDefectError(ValueError):
    """Raised for a defect name the testbed does not know; the message lists the valid ones."""


def parse_defects(value: str | Iterable[str] | None) -> frozenset[str]:
    """Turn ``"a,b"`` (or an iterable of names) into a validated set of defect names."""
    if value is None:
        return frozenset()
    names = value.split(",") if isinstance(value, str) else list(value)
    cleaned = {name.strip() for name in names if name.strip()}
    unknown = sorted(cleaned - DEFECT_NAMES)
    if unknown:
        valid = ", ".join(d.name for d in DEFECTS)
        raise UnknownDefectError(
            f"unknown defect {', '.join(unknown)!s}; valid defects are: {valid}"
        )
    return frozenset(cleaned)


def describe() -> str:
    """A table of the switches for ``--help`` and docs/local.md."""
    width = max(len(d.name) for d in DEFECTS)
    return "\n".join(f"  {d.name:<{width}}  {d.summary}" for d in DEFECTS)
