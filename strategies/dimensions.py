"""The input space of a negative attempt, named by principle and covered by construction.

The gate used to be told classes of mistake (a wrong key, a query credential, a sidecar rule)
and to send a form of each. A mistake nobody has named is still a mistake *along* something
a request varies in; this module names those things, the dimensions, and gives each its
cells. Every cell has explicit examples, sent in every run (never left to a random draw), and
the coverage report shows each dimension's cells as exercised or not
(``suites/test_dimensions.py`` sends them; the engine judges them on the whole state):

- **credential bytes**: every character class a parser or a comparison may treat differently,
  in the username, the key and the token: the right credential re-spelt (fullwidth and other
  compatibility forms, upper case, a control character, a NUL, a non-ASCII letter, a
  thousand characters more) and a plain ASCII near miss;
- **body**: every writable field alone (a PATCH, or a PUT, of each single field of each
  resource), nested and hyperlinked related objects, the ids of other objects, unknown fields,
  and Tastypie's own list body forms (``objects`` and ``deleted_objects``);
- **object**: objects of every provenance (made through v1, through v2, by another staff
  principal, legacy rows with empty optional fields, a published release whose file holds the
  download button, and rows that were there before the run), not only the run's canaries;
- **moment**: right after a valid request by the same username, right after a failed one, and
  while another request is in flight;
- **answer**: after a rejection of each kind (a 4xx, a 5xx, a connection the client drops
  before the answer), only the state read back decides;
- **url**: every way a stored release-file URL can stop matching the policy: each URL field
  written alone, the artifact URL changed while its sidecars are not, a sidecar changed while
  the URL is not, another file's URL taken over;
- **identity**: the same reads under every negative identity (each principal and each branch's
  example): whatever one sees beyond what an anonymous caller sees (an unpublished release or
  its files) is a finding, whatever the branch is called.

This module is the search side only: what to send, as data and attempts. Which objects a cell
aims at are made by ``authfuzz.checks`` (the canaries, the object zoo); nothing here sends.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from authfuzz.attempts import Attempt
from authfuzz.branches import Api, Branch
from authfuzz.principals import Principals, Role
from strategies.headers import apikey, authorization, token
from strategies.keys import one_char_off


@dataclass(frozen=True)
class Dimension:
    name: str
    question: str  # what it varies, in words (the coverage report's heading)
    cells: tuple[str, ...]


# -- credential bytes -----------------------------------------------------------------------

CHARACTER_CLASSES: tuple[str, ...] = (
    "ascii",  # one character off, plain ASCII
    "non-ascii",  # a Latin-1 letter in place of one
    "fullwidth",  # every character in its fullwidth form (NFKC folds it back)
    "compatibility",  # mathematical letters and digits (NFKC folds them back too)
    "case",  # upper case (a case-insensitive compare)
    "control",  # a control character in the middle
    "nul",  # a NUL at the end (a C string ends there)
    "overlong",  # a thousand characters more (a compare that stops at the stored length)
)


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def _mathematical(text: str) -> str:
    """Letters and digits as MATHEMATICAL BOLD ones: NFKC reads them as the plain ones."""

    def bold(c: str) -> str:
        if c.isdigit() and c.isascii():
            return chr(0x1D7CE + int(c))
        if "a" <= c <= "z":
            return chr(0x1D41A + ord(c) - ord("a"))
        if "A" <= c <= "Z":
            return chr(0x1D400 + ord(c) - ord("A"))
        return c

    return "".join(bold(c) for c in text)


RESPELL: dict[str, Callable[[str], str]] = {
    "ascii": lambda v: (
        one_char_off(v)
        if all(c in "0123456789abcdef" for c in v)
        else v[:-1] + ("a" if v[-1] != "a" else "b")
    ),
    "non-ascii": lambda v: v[:-1] + "\u00e9",
    "fullwidth": _fullwidth,
    "compatibility": _mathematical,
    "case": lambda v: v.upper() if v.upper() != v else v.lower(),
    "control": lambda v: v[: len(v) // 2] + "\x01" + v[len(v) // 2 :],
    "nul": lambda v: v + "\x00",
    "overlong": lambda v: v + v[-1] * 1000,
}


def respelt(value: str, character_class: str) -> str:
    out = RESPELL[character_class](value)
    assert out != value, (value, character_class)
    if character_class in ("fullwidth", "compatibility"):
        assert unicodedata.normalize("NFKC", out) == value  # the point of the class
    return out


def credential_bytes(principals: Principals, api: Api) -> list[tuple[str, Attempt]]:
    """(cell, attempt): the trusted staff principal's own credential, one part re-spelt in one
    character class; v1 varies the username and the key, v2 the token."""
    staff = principals.trusted()
    if staff is None:
        return []
    cells: list[tuple[str, Attempt]] = []
    for character_class in CHARACTER_CLASSES:
        if api is Api.V1 and staff.api_key:
            user = respelt(staff.username, character_class)
            key = respelt(staff.api_key, character_class)
            cells.append(
                (
                    f"username:{character_class}",
                    Attempt(
                        api,
                        Branch.USERNAME_VARIANT,
                        f"the staff username in {character_class} bytes, with its key",
                        headers=authorization(apikey(user, staff.api_key)),
                        labels=(f"bytes:username:{character_class}",),
                    ),
                )
            )
            cells.append(
                (
                    f"key:{character_class}",
                    Attempt(
                        api,
                        Branch.WRONG_KEY,
                        f"the staff key in {character_class} bytes",
                        headers=authorization(apikey(staff.username, key)),
                        labels=(f"bytes:key:{character_class}",),
                    ),
                )
            )
        if api is Api.V2 and staff.token:
            cells.append(
                (
                    f"token:{character_class}",
                    Attempt(
                        api,
                        Branch.BAD_TOKEN,
                        f"the staff token in {character_class} bytes",
                        headers=authorization(token(respelt(staff.token, character_class))),
                        labels=(f"bytes:token:{character_class}",),
                    ),
                )
            )
    return cells


# -- who presents a negative attempt of the other dimensions ----------------------------------


def negative_identities(principals: Principals, api: Api) -> list[tuple[str, Attempt]]:
    """The identities the body, object, answer and moment cells are sent under: no credential
    at all; a valid credential of a non-staff user (authenticated, not allowed to write); and,
    on v1, the staff username with a wrong key (the February 2026 branch) or, on v2, a wrong
    token."""
    out: list[tuple[str, Attempt]] = [
        (
            "anonymous",
            Attempt(api, Branch.NO_CREDENTIALS, "no credentials", labels=("identity:anonymous",)),
        )
    ]
    users = [
        p for p in principals.with_role(Role.USER) if (p.api_key if api is Api.V1 else p.token)
    ]
    if users:
        user = users[0]
        value = (
            apikey(user.username, user.api_key or "") if api is Api.V1 else token(user.token or "")
        )
        headers = authorization(value)
        out.append(
            (
                "non-staff",
                Attempt(
                    api,
                    Branch.NON_STAFF,
                    f"{user.name}'s valid credential",
                    headers=headers,
                    labels=("identity:non-staff",),
                ),
            )
        )
    staff = principals.trusted()
    if staff is not None and api is Api.V1 and staff.api_key:
        out.append(
            (
                "wrong-key",
                Attempt(
                    api,
                    Branch.WRONG_KEY,
                    "the staff username with a wrong key",
                    headers=authorization(apikey(staff.username, one_char_off(staff.api_key))),
                    labels=("identity:wrong-key",),
                ),
            )
        )
    if staff is not None and api is Api.V2 and staff.token:
        out.append(
            (
                "bad-token",
                Attempt(
                    api,
                    Branch.BAD_TOKEN,
                    "a wrong token",
                    headers=authorization(token(one_char_off(staff.token))),
                    labels=("identity:bad-token",),
                ),
            )
        )
    return out


# -- the body ---------------------------------------------------------------------------------

# Every field a write may set, per resource (release-api.md 1.4), with a valid value that
# differs from the one the gate's objects have: ``{nonce}`` and ``{url}`` are filled in.
WRITABLE: dict[str, dict[str, object]] = {
    "os": {"name": "authfuzz field {nonce}", "slug": "authfuzz-field-{nonce}"},
    "release": {
        "name": "authfuzz field {nonce}",
        "slug": "authfuzz-field-{nonce}",
        "version": 2,
        "is_published": True,
        "is_latest": True,
        "pre_release": True,
        "show_on_download_page": True,
        "release_date": "2030-01-01T00:00:00Z",
        "release_notes_url": "https://docs.python.org/3/whatsnew/{nonce}.html",
        "release_page": None,
    },
    "release_file": {
        "name": "authfuzz field {nonce}",
        "slug": "authfuzz-field-{nonce}",
        "os": "{other_os}",
        "release": "{other_release}",
        "description": "authfuzz {nonce}",
        "is_source": True,
        "download_button": True,
        "url": "{url}",
        "gpg_signature_file": "{url}.asc",
        "sigstore_signature_file": "{url}.sig",
        "sigstore_cert_file": "{url}.crt",
        "sigstore_bundle_file": "{url}.sigstore",
        "sbom_spdx2_file": "{url}.spdx.json",
        "md5_sum": "0" * 32,
        "sha256_sum": "0" * 64,
        "filesize": 1234,
    },
}
# The body shapes beyond one field: how a body can reach an object the request does not name.
BODY_SHAPES: tuple[str, ...] = (
    "nested-by-slug",  # v1: a related object named by its slug, with fields to set
    "nested-with-uri",  # v1: a related object by its URI, with fields to set
    "other-ids",  # a release file pointing at objects that are not the run's
    "unknown-fields",  # fields no resource has: an id, a creator, is_staff
    "tastypie-objects",  # v1 list PATCH/PUT with {"objects": [...]}
    "tastypie-deleted-objects",  # v1 list PATCH with {"deleted_objects": [...]}
)


def field_cells() -> list[tuple[str, str, object]]:
    """(resource, field, value template) of every writable field."""
    return [
        (resource, field, value)
        for resource, fields in WRITABLE.items()
        for field, value in fields.items()
    ]


# -- object, moment, answer, url, identity ---------------------------------------------------

PROVENANCES: tuple[str, ...] = ("v2", "v1", "other-staff", "legacy", "published", "seeded")
MOMENTS: tuple[str, ...] = ("after-valid", "after-failed", "in-flight")
ANSWERS: tuple[str, ...] = ("4xx", "5xx", "dropped")
URL_WAYS: tuple[str, ...] = (
    *(
        f"alone:{field}"
        for field in WRITABLE["release_file"]
        if field == "url" or field.endswith("_file")
    ),
    "url-changed-sidecars-kept",
    "sidecar-changed-url-kept",
    "other-file-url",
    # A create whose url is left empty (v1 takes it: the column allows ''), with an http://
    # sidecar: the one non-https prefix the database's constraint admits, so only the
    # application's rule stands between it and storage, and a rule that stops at the first
    # empty field never reaches the sidecar (found by bench/mutation.py, url_rules.py:56).
    "sidecar-without-url",
)
# Files of unpublished releases are public at HEAD, in both APIs (release-api.md, known and
# accepted): the reads are the release's own.
READS: tuple[str, ...] = (
    "release-detail",
    "release-list",
    "release-list-unpublished",
    "release-set",
)

DIMENSIONS: tuple[Dimension, ...] = (
    Dimension(
        "credential-bytes",
        "the character classes of a credential's bytes (part:class)",
        tuple(f"{part}:{c}" for part in ("username", "key", "token") for c in CHARACTER_CLASSES),
    ),
    Dimension(
        "body",
        "every writable field alone, and the body shapes that reach other objects",
        (*(f"{r}.{f}" for r, f, _ in field_cells()), *BODY_SHAPES),
    ),
    Dimension("object", "the provenance of the object a write aims at", PROVENANCES),
    Dimension("moment", "what happened just before, or beside, the attempt", MOMENTS),
    Dimension("answer", "the kind of rejection after which the state decides", ANSWERS),
    Dimension("url", "the ways a stored URL can stop matching the policy", URL_WAYS),
    Dimension("identity", "the reads a negative identity may not see more through", READS),
)
DIMENSION = {d.name: d for d in DIMENSIONS}


# -- the body's templates -------------------------------------------------------------------


@dataclass(frozen=True)
class BodyCell:
    """One cell's request, as templates ``authfuzz.checks.bodies`` fills (its docstring lists
    the placeholders)."""

    dimension: str  # "body" or "answer"
    cell: str
    api: Api
    method: str
    path: str
    body: object = None
    read_timeout: float | None = None  # "dropped": hang up before the answer


def _plain(api: Api, resource: str) -> str:
    return f"/api/{api.value}/downloads/{resource}/"


def _detail(api: Api, resource: str, provenance: str = "v2") -> str:
    return f"/api/{api.value}/downloads/{resource}/{{pk:{provenance}:{resource}}}/"


def _value(template: object) -> object:
    """A WRITABLE value with its related objects named: another OS and release (seeded)."""
    return (
        {"{other_os}": "{ref:seeded:os}", "{other_release}": "{ref:seeded:release}"}.get(
            template, template
        )
        if isinstance(template, str)
        else template
    )


def create_body(resource: str, release: str = "published") -> dict[str, object]:
    """A valid create of ``resource``: a release file goes to the canary OS and the release of
    provenance ``release`` (by default the published one: v1 lets a guest's body name only a
    release a guest can see, so a check before authorization gets to run)."""
    if resource == "os":
        return {"name": "authfuzz body {nonce}", "slug": "authfuzz-body-{nonce}"}
    if resource == "release":
        return {"name": "authfuzz body {nonce}", "slug": "authfuzz-body-{nonce}", "version": 3}
    return {
        "name": "authfuzz body {nonce}",
        "slug": "authfuzz-body-{nonce}",
        "os": "{ref:v2:os}",
        "release": f"{{ref:{release}:release}}",
        "url": "{url}",
    }


def body_cells() -> list[BodyCell]:
    """Every writable field alone (a PATCH of the canary through each API, and a create that
    sets it), and every body shape that reaches an object the request does not name."""
    cells: list[BodyCell] = []
    for resource, field, template in field_cells():
        value = _value(template)
        name = f"{resource}.{field}"
        for api in Api:
            cells.append(
                BodyCell("body", name, api, "PATCH", _detail(api, resource), {field: value})
            )
            cells.append(
                BodyCell(
                    "body",
                    name,
                    api,
                    "POST",
                    _plain(api, resource),
                    {**create_body(resource), field: value},
                )
            )
    v1, v2 = Api.V1, Api.V2
    files, releases, oses = (_plain(v1, r) for r in ("release_file", "release", "os"))
    cells += [
        BodyCell("body", "nested-by-slug", v1, "POST", files, {**create_body("release_file"), "release": {"slug": "{slug:published:release}", "name": "authfuzz renamed {nonce}", "is_published": False}}),
        BodyCell("body", "nested-by-slug", v1, "POST", files, {**create_body("release_file"), "os": {"slug": "{slug:v2:os}", "name": "authfuzz renamed {nonce}"}}),
        BodyCell("body", "nested-with-uri", v1, "POST", files, {**create_body("release_file"), "release": {"resource_uri": "{uri:published:release}", "name": "authfuzz renamed {nonce}"}}),
        BodyCell("body", "other-ids", v2, "POST", _plain(v2, "release_file"), {**create_body("release_file"), "os": "{ref:seeded:os}", "release": "{ref:seeded:release}"}),
        BodyCell("body", "other-ids", v2, "PATCH", _detail(v2, "release_file"), {"release": "{ref:seeded:release}"}),
        BodyCell("body", "other-ids", v1, "POST", files, {**create_body("release_file"), "release": "{ref:seeded:release}"}),
        BodyCell("body", "unknown-fields", v2, "PATCH", _detail(v2, "release"), {"id": "{pk:seeded:release}", "pk": "{pk:seeded:release}", "resource_uri": "{ref:seeded:release}", "creator": 1, "is_staff": True, "name": "authfuzz unknown {nonce}"}),
        BodyCell("body", "unknown-fields", v1, "POST", oses, {"id": "{pk:seeded:os}", "name": "authfuzz unknown {nonce}", "slug": "authfuzz-unknown-{nonce}"}),
        BodyCell("body", "unknown-fields", v1, "POST", releases, {"resource_uri": "{uri:seeded:release}", "name": "authfuzz unknown {nonce}", "slug": "authfuzz-unknown-{nonce}"}),
        BodyCell("body", "tastypie-objects", v1, "PATCH", files, {"objects": [create_body("release_file")]}),
        BodyCell("body", "tastypie-objects", v1, "PUT", oses, {"objects": [create_body("os")]}),
        BodyCell("body", "tastypie-objects", v1, "PATCH", releases, {"objects": [create_body("release")]}),
        BodyCell("body", "tastypie-deleted-objects", v1, "PATCH", files, {"objects": [], "deleted_objects": ["{uri:v2:release_file}"]}),
        BodyCell("body", "tastypie-deleted-objects", v1, "PATCH", releases, {"objects": [], "deleted_objects": ["{uri:legacy:release}"]}),
    ]  # fmt: skip
    return cells


def answer_cells() -> list[BodyCell]:
    """Writes each kind of rejection answers: invalid (4xx), a database error (5xx: v1 runs no
    field validation, so an overlong name or an out-of-range number reaches the database), and
    one whose connection the client drops before the answer."""
    v1, v2 = Api.V1, Api.V2
    files = _plain(v1, "release_file")
    return [
        BodyCell("answer", "4xx", v2, "POST", _plain(v2, "release_file"), {"name": "authfuzz answer {nonce}"}),
        BodyCell("answer", "4xx", v1, "POST", files, {**create_body("release_file"), "url": "https://downloads.invalid/{nonce}.tgz"}),
        BodyCell("answer", "4xx", v2, "PATCH", _detail(v2, "release"), {"version": 999}),
        BodyCell("answer", "5xx", v1, "POST", files, {**create_body("release_file"), "name": "authfuzz {nonce} " + "x" * 300}),
        BodyCell("answer", "5xx", v1, "POST", _plain(v1, "release"), {**create_body("release"), "version": 99_999_999_999}),
        BodyCell("answer", "dropped", v1, "POST", _plain(v1, "os"), create_body("os"), read_timeout=0.001),
        BodyCell("answer", "dropped", v2, "POST", _plain(v2, "os"), create_body("os"), read_timeout=0.001),
        BodyCell("answer", "dropped", v1, "DELETE", _detail(v1, "release_file"), read_timeout=0.001),
    ]  # fmt: skip
