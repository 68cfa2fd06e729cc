"""A URL case written as trusted staff through one write path, in one body format.

The write paths are the four ways a release file's URLs can be set: v1 POST, v2 POST, v2 PUT
and v2 PATCH. Trusted staff is the strongest writer there is: if staff cannot store a foreign
URL, nobody can. Everything but the URL fields is valid, so only the URL policy can explain a
rejection; and the case may travel in any body format its API parses
(``authfuzz.travel.BODY_FORMATS``): a URL rule that runs for one parser only is a hole in the
others.

What is judged is the whole state read back (``authfuzz.engine``): no release file anywhere may
hold URL fields the policy rejects where it did not before. A create may make its own object;
a PUT or PATCH may change its own *slot*, a release file of the URL pool that no other trial of
its batch writes, so that no later write in a batch can put a legal value over an earlier
one's foreign value. The pool (files without sidecars, so that a ``url`` alone is judged on the
prefix rule) lives on an OS and a release of its own, made once per process and removed with
two deletes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol

from authfuzz.branches import Api
from authfuzz.client import ApiRequest, Purpose
from authfuzz.engine.trial import Allowance, AnswerCheck, Shot
from authfuzz.not_checked import NotApplicableError, NotChecked
from authfuzz.oracles import no_foreign_url, no_undocumented_write
from authfuzz.state import Reader, new_nonce
from authfuzz.url_policy import SIDECAR_SUFFIXES, URL_FIELDS
from authfuzz.vocabulary import V1, V2
from authfuzz.workbench import Workbench
from authfuzz.world import pk_from_uri

POOL = "url pool"
POOL_SIZE = 32  # the most PUT/PATCH trials one check sends in a batch


class WritePath(Enum):
    V1_POST = ("v1", "POST")
    V2_POST = ("v2", "POST")
    V2_PUT = ("v2", "PUT")
    V2_PATCH = ("v2", "PATCH")

    @property
    def api(self) -> Api:
        return Api(self.value[0])

    @property
    def method(self) -> str:
        return self.value[1]

    @property
    def slug(self) -> str:
        return f"{self.value[0]}-{self.value[1].lower()}"

    @property
    def creates(self) -> bool:
        return self.method == "POST"


class UrlCase(Protocol):
    """What a URL case must say (strategies.urls.UrlCase fits)."""

    @property
    def field(self) -> str: ...
    @property
    def category(self) -> str: ...
    @property
    def fields(self) -> Mapping[str, object]: ...
    @property
    def accepted(self) -> bool: ...


def covering(categories: Sequence[str]) -> list[tuple[WritePath, str, str]]:
    """The explicit URL cases: every (field, category) once, the path turning with both, so
    that every (path, field) and every (path, category) pair is in it too."""
    paths = list(WritePath)
    return [
        (paths[(f + c) % len(paths)], field, category)
        for f, field in enumerate(URL_FIELDS)
        for c, category in enumerate(categories)
    ]


@dataclass(frozen=True)
class UrlWrite:
    path: WritePath
    case: UrlCase
    body_format: str = "json"
    slot: int = 0  # the pool file a PUT or PATCH writes; unique within its check

    @property
    def key(self) -> str:
        return f"{self.path.slug} {self.case.field} {self.case.category} {self.body_format} {self.slot}"

    def shoot(self, bench: Workbench) -> Shot:
        if bench.target.is_production:
            raise NotApplicableError(
                "production target: URL writes are never attempted; the stored-URL sweep runs instead"
            )
        pool = url_pool(bench)
        path, case = self.path, self.case
        auth = bench.staff_auth(path.api)
        if path.creates:
            slug = f"authfuzz-url-{new_nonce()}"
            body: dict[str, Any] = {
                "name": f"authfuzz url {slug}",
                "slug": slug,
                **pool.refs(path.api, bench.client.base_url),
                **case.fields,
            }
            where = f"{V1 if path.api is Api.V1 else V2}/release_file/"
            allowed = Allowance(creates=frozenset({("release_file", slug)}))
            aim: frozenset[tuple[str, int]] = frozenset()
        else:
            current = pool.files[self.slot % len(pool.files)]
            pk = pk_from_uri(current["resource_uri"])
            if path.method == "PUT":
                body = {
                    **{k: current[k] for k in ("name", "slug", "os", "release", "url")},
                    **{name: "" for name in SIDECAR_SUFFIXES},  # only the case's sidecars
                    **case.fields,
                }
            else:
                body = dict(case.fields)
            where = f"{V2}/release_file/{pk}/"
            allowed = Allowance(changes=frozenset({("release_file", pk)}))
            aim = frozenset({("release_file", pk)})
        request = ApiRequest(
            path.method, where, headers=auth, json_body=body, body_format=self.body_format
        )
        return Shot(
            request,
            no_undocumented_write.INVARIANT,
            f"{path.slug}:{case.field}",
            f"{path.method} {where if path.creates else V2 + '/release_file/{id}/'}",
            labels=(
                f"field:{case.field}",
                f"category:{case.category}",
                f"body:{self.body_format}",
            ),
            allowed=allowed,
            answer=AnswerCheck("read-back", no_foreign_url.accepted_rejected(case.accepted)),
            # A legal value first: written last, it would hide a foreign one stored before it.
            order=0 if case.accepted else 1,
            aim=aim,
            detail=f"field {case.field}, category {case.category}",
        )


def url_pool(bench: Workbench) -> _Pool:
    """The process's pool of release files that URL writes may change, one slot a trial."""
    return bench.kept(POOL, lambda: _make_pool(bench, POOL_SIZE), _Pool.remove, _Pool.keys)


def slot(bench: Workbench, n: int) -> dict[str, Any]:
    """The pool file of slot ``n``, as it was made."""
    files = url_pool(bench).files
    return files[n % len(files)]


@dataclass
class _Pool:
    reader: Reader
    os: int
    release: int
    files: list[dict[str, Any]]

    def keys(self) -> list[tuple[str, int]]:
        return [("os", self.os), ("release", self.release)] + [
            ("release_file", pk_from_uri(f["resource_uri"])) for f in self.files
        ]

    def refs(self, api: Api, base_url: str) -> dict[str, str]:
        if api is Api.V1:
            return {"os": f"{V1}/os/{self.os}/", "release": f"{V1}/release/{self.release}/"}
        return {
            "os": f"{base_url}{V2}/os/{self.os}/",
            "release": f"{base_url}{V2}/release/{self.release}/",
        }

    def remove(self) -> None:
        """Two deletes: the OS and the release take every file with them."""
        for resource, pk in (("release", self.release), ("os", self.os)):
            with contextlib.suppress(Exception, NotChecked):
                self.reader.delete(resource, pk)


def _make_pool(bench: Workbench, size: int, *, sidecars: bool = False) -> _Pool:
    """``size`` files on an OS and a release of their own; with ``sidecars``, each with all
    five sidecars matching its url, as a release publishes a file."""
    reader, prefix = bench.reader, bench.target.url_prefix
    nonce = new_nonce()
    with bench.client.purpose.of(Purpose.CANARY):
        os_obj = reader.create(
            "os", {"name": f"authfuzz url pool {nonce}", "slug": f"authfuzz-url-pool-os-{nonce}"}
        )
        release = reader.create(
            "release",
            {
                "name": f"authfuzz url pool {nonce}",
                "slug": f"authfuzz-url-pool-{nonce}",
                "version": 3,
                "is_published": False,
                "show_on_download_page": False,
            },
        )
        pool = _Pool(
            reader, pk_from_uri(os_obj["resource_uri"]), pk_from_uri(release["resource_uri"]), []
        )
        try:
            for n in range(size):
                url = f"{prefix}ftp/authfuzz/{nonce}/slot-{n}.tgz"
                matching = {k: url + s for k, s in SIDECAR_SUFFIXES.items()} if sidecars else {}
                pool.files.append(
                    reader.create(
                        "release_file",
                        {
                            "name": f"authfuzz url slot {n} {nonce}",
                            "slug": f"authfuzz-url-slot-{n}-{nonce}",
                            "os": reader.url("os", pool.os),
                            "release": reader.url("release", pool.release),
                            "url": url,
                            **matching,
                        },
                    )
                )
        except BaseException:
            pool.remove()
            raise
    return pool


# -- the URL dimension: one field of a published file's URLs changed, alone ---------------------

SIDECAR_POOL = "url sidecar pool"
SIDECAR_POOL_SIZE = 10  # one slot a way, and the file whose URL the last one takes


@dataclass(frozen=True)
class UrlEdit:
    """Trusted staff changes the URL fields of a file whose five sidecars match its url, one
    way at a time (``strategies.dimensions.URL_WAYS``): a field alone, the url while the
    sidecars stay, a sidecar while the url stays, another file's url. Each on a slot of its
    own. Whatever the server accepts, no release file may then break the policy."""

    way: str
    slot: int

    @property
    def key(self) -> str:
        return f"url {self.way} {self.slot}"

    def shoot(self, bench: Workbench) -> Shot:
        if bench.target.is_production:
            raise NotApplicableError("production target: URL writes are never attempted")
        pool = bench.kept(
            SIDECAR_POOL,
            lambda: _make_pool(bench, SIDECAR_POOL_SIZE, sidecars=True),
            _Pool.remove,
            _Pool.keys,
        )
        if self.way == "sidecar-without-url":
            return self._sidecar_without_url(bench, pool)
        files = pool.files
        current = files[self.slot % len(files)]
        other = files[(self.slot + 1) % len(files)]
        pk = pk_from_uri(current["resource_uri"])
        fresh = f"{bench.target.url_prefix}ftp/authfuzz/{new_nonce()}/moved.tgz"
        method, body = "PATCH", _url_edit(self.way, current, other, fresh)
        if self.way in ("url-changed-sidecars-kept", "sidecar-changed-url-kept"):
            method = "PUT"
            body = {**{k: current[k] for k in ("name", "slug", "os", "release")}, **body}
        where = f"{V2}/release_file/{pk}/"
        request = ApiRequest(method, where, headers=bench.staff_auth(Api.V2), json_body=body)
        return Shot(
            request,
            no_undocumented_write.INVARIANT,
            f"v2-{method.lower()}:{self.way}",
            f"{method} {V2}/release_file/{{id}}/",
            labels=(f"url:{self.way}",),
            allowed=Allowance(changes=frozenset({("release_file", pk)})),
            aim=frozenset({("release_file", pk)}),
            detail=f"way {self.way}",
        )

    def _sidecar_without_url(self, bench: Workbench, pool: _Pool) -> Shot:
        """A v1 create with no url and an http:// signature URL (v2 requires a url)."""
        slug = f"authfuzz-url-{new_nonce()}"
        legacy = "http://" + bench.target.url_prefix.split("://", 1)[-1]
        body = {
            "name": f"authfuzz url {slug}",
            "slug": slug,
            **pool.refs(Api.V1, bench.client.base_url),
            "gpg_signature_file": f"{legacy}ftp/authfuzz/{new_nonce()}/file.tgz.asc",
        }
        where = f"{V1}/release_file/"
        request = ApiRequest("POST", where, headers=bench.staff_auth(Api.V1), json_body=body)
        return Shot(
            request,
            no_undocumented_write.INVARIANT,
            f"v1-post:{self.way}",
            f"POST {where}",
            labels=(f"url:{self.way}",),
            allowed=Allowance(creates=frozenset({("release_file", slug)})),
            detail=f"way {self.way}",
        )


def _url_edit(
    way: str, current: dict[str, Any], other: dict[str, Any], fresh: str
) -> dict[str, Any]:
    """The body of one way: a new artifact URL alone, a sidecar of another artifact alone,
    the other file's url with sidecars that match it."""
    if way == "alone:url" or way == "url-changed-sidecars-kept":
        return {"url": fresh}
    if way.startswith("alone:"):
        field = way.split(":", 1)[1]
        return {field: fresh + SIDECAR_SUFFIXES[field]}
    if way == "sidecar-changed-url-kept":
        return {"url": current["url"], "gpg_signature_file": fresh + ".asc"}
    url = str(other["url"])
    return {"url": url, **{name: url + suffix for name, suffix in SIDECAR_SUFFIXES.items()}}
