"""The objects every kind of check aims at, kept for the run: one bench per process.

Canaries (an OS, a release and a file the run owns), the unpublished release identity probes
read, staff session cookies, and whatever a kind of check keeps between its trials (the
bulk-delete scene, the URL pool). Made on first use, removed at close, and made again when the
engine saw a trial change them (``repair``). The bench sends nothing of its own accord and
judges nothing: the engine (``authfuzz.engine``) does that.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any, TypeVar

from authfuzz.branches import Api
from authfuzz.canaries import CanarySet, create_canaries, remove_canaries, renew
from authfuzz.client import Client, Purpose
from authfuzz.not_checked import NotApplicableError
from authfuzz.principals import Principal
from authfuzz.state import Reader
from authfuzz.targets import Target
from authfuzz.vocabulary import CASCADES, RESOURCES, api_key_header, token_header

T = TypeVar("T")
Key = tuple[str, int]
Pairs = tuple[tuple[str, str], ...]


@dataclass
class _Kept:
    value: Any
    remove: Callable[[Any], None]
    pks: Callable[[Any], Collection[Key]]
    # Makes again in place what a trial was allowed to delete (else the whole value goes).
    mend: Callable[[Any, set[Key]], None] | None = None


@dataclass
class Workbench:
    target: Target
    client: Client
    _canaries: CanarySet | None = field(default=None, init=False)
    _draft: dict[str, Any] | None = field(default=None, init=False)
    _kept: dict[str, _Kept] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        trusted = self.target.principals.trusted()
        if trusted is None or not trusted.token:
            raise ValueError(
                f"target {self.target.name!r} needs a staff principal with a token to read state back"
            )
        self.reader = Reader(self.client, trusted, reads_as=self.target.principals.reader())

    def __repr__(self) -> str:
        return f"Workbench(target {self.target.name!r}, {self.client.sent} requests sent)"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    @property
    def trusted(self) -> Principal:
        return self.reader.trusted

    def staff_auth(self, api: Api, principal: Principal | None = None) -> Pairs:
        """The canonical credential of ``principal`` (the trusted one by default) for ``api``."""
        who = principal or self.reader.trusted
        if api is Api.V1:
            if not who.api_key:
                raise NotApplicableError(f"v1 needs principal {who.name!r} to have an api_key")
            return (api_key_header(who.username, who.api_key),)
        if not who.token:
            raise NotApplicableError(f"v2 needs principal {who.name!r} to have a token")
        return (token_header(who.token),)

    def session_cookie(self, principal_name: str) -> str:
        return self.client.session_cookie(self.target.principals.by_name(principal_name))

    # -- canaries ------------------------------------------------------------------------------

    def canaries(self) -> CanarySet:
        if self.target.is_production:
            raise NotApplicableError("production target: no canary is ever created")
        if self._canaries is None:
            self._canaries = create_canaries(self.reader, self.target.url_prefix)
        return self._canaries

    def reset_canaries(self) -> None:
        if self._canaries is not None:
            remove_canaries(self.reader, self._canaries)
        self._canaries = None

    # -- the unpublished release of the identity probes -----------------------------------------

    def draft_release(self) -> dict[str, Any] | None:
        if self._draft is None:
            # Never one of the harness's own objects: they come and go during a run, and a
            # probe of a missing release answers 404 whoever asks.
            with self.client.purpose.of(Purpose.SETUP):
                found = self.reader.find("release", is_published="false")
            drafts = [d for d in found if not str(d.get("slug", "")).startswith("authfuzz-")]
            self._draft = drafts[0] if drafts else {}
        return self._draft or None

    # -- what a kind of check keeps between its trials ------------------------------------------

    def kept(
        self,
        name: str,
        make: Callable[[], T],
        remove: Callable[[T], None],
        pks: Callable[[T], Collection[Key]] = lambda value: (),
        mend: Callable[[T, set[Key]], None] | None = None,
    ) -> T:
        """``make()`` once, then the same value until ``drop``; ``remove`` runs then or at close.
        ``pks`` names the objects it holds, so that ``repair`` knows when it was touched;
        ``mend`` makes again what a trial was allowed to delete of it."""
        if name not in self._kept:
            self._kept[name] = _Kept(make(), remove, pks, mend)
        value: T = self._kept[name].value
        return value

    def drop(self, name: str) -> None:
        kept = self._kept.pop(name, None)
        if kept is not None:
            with self.client.purpose.of(Purpose.CLEAN_UP):
                kept.remove(kept.value)

    # -- after the engine saw something of the bench change -------------------------------------

    def owned(self) -> frozenset[Key]:
        """Every object of the bench, by (resource, id)."""
        keys: set[Key] = set(self._canaries.pks()) if self._canaries is not None else set()
        for kept in self._kept.values():
            keys.update(kept.pks(kept.value))
        return frozenset(keys)

    def repair(self, touched: Collection[Key]) -> None:
        """Forget whatever of the bench ``touched`` reached: it is made again when next used."""
        hit = set(touched)
        if self._canaries is not None and hit & self._canaries.pks():
            with self.client.purpose.of(Purpose.CLEAN_UP):
                self.reset_canaries()
        for name in [n for n, kept in self._kept.items() if hit & set(kept.pks(kept.value))]:
            self.drop(name)

    def renew(self, deleted: Collection[Key]) -> None:
        """A trial was allowed to delete these (a positive control): canaries among them are
        made again at once (with what the database cascaded), anything else kept is forgotten."""
        gone = set(deleted)
        canaries = self._canaries
        if canaries is not None:
            lost = {resource for resource, pk in canaries.pks() if (resource, pk) in gone}
            made: set[str] = set()
            for resource in RESOURCES:
                if resource in lost and resource not in made:
                    renew(self.reader, canaries, resource, self.target.url_prefix)
                    made.update(CASCADES[resource])
        for name, kept in list(self._kept.items()):
            hit = gone & set(kept.pks(kept.value))
            if not hit:
                continue
            if kept.mend is None:
                self.drop(name)
            else:
                with self.client.purpose.of(Purpose.PUT_BACK):
                    kept.mend(kept.value, hit)

    def close(self) -> None:
        for name in list(self._kept):
            self.drop(name)
        if self._canaries is not None and not self.target.is_production:
            remove_canaries(self.reader, self._canaries)
            self._canaries = None
