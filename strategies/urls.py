"""Release-file URL cases for the invariant "no URL outside the target's prefix is accepted".

Public API:

- ``UrlCase``: one field under test, its value, and the complete set of URL fields to send;
- ``url_cases(url_prefix, nonce=None, field=None, category=None)``: a strategy over cases;
- ``example_case(url_prefix, category, field="url", nonce="example")``: one fixed case per
  category, so that no category depends on luck;
- ``CATEGORIES`` and ``LEGAL_CATEGORIES``: the category names, as used in reports.

``UrlCase.accepted`` is the *policy's* verdict (``authfuzz.url_policy``, release-api.md 3.3) on
the whole ``fields`` dict, and every case is checked against its category when built: a case in
a rejected category is never accepted and one in a legal category always is. A server may still
refuse a legal case for reasons the policy does not cover (the v2 URLValidator refuses spaces,
v2 has a 200-character limit, v1 gives 500 above it, null is not allowed for a NOT NULL column,
url "" is UNIQUE); refusing is never a breach of the invariant, storing is.

Where the fields go: a ``url`` case sends ``url`` alone (or with its sidecars, for the sidecar
categories). A sidecar case sends a legal ``url`` as well, usually the very URL the sidecar would
match, so that only the category's defect separates the sidecar from a legal one. In rejected
prefix categories a sidecar case sometimes sends ``url`` empty: then only the prefix rule
applies, which is the one way to see a server that checks sidecars only against ``url``.

The nonce is in every value that can carry one (all but "", null, numbers and booleans), because
ReleaseFile.url is UNIQUE. By default it is random on every draw: Hypothesis's own draws repeat
("000000..."), and a repeated legal url would be refused as a duplicate.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Protocol, TypeVar

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from authfuzz.url_policy import SIDECAR_SUFFIXES, URL_FIELDS, violations
from strategies import url_payloads as payloads
from strategies.url_payloads import Payload, Prefix, artifact_tail, parse_prefix

T = TypeVar("T")

CATEGORIES: tuple[str, ...] = (
    "lookalike-host",
    "prefix-later",
    "scheme-relative",
    "relative",
    "backslash",
    "missing-slash",
    "http-scheme",
    "case-variant",
    "percent-encoding",
    "control-chars",
    "unicode-delimiters",
    "idn-host",
    "overlong",
    "non-string",
    "other-host",
    "sidecar-mismatch",
    "legal-odd-path",
    "legal-sidecar",
    "empty",
)
# The categories the policy accepts; every other category is rejected, always.
LEGAL_CATEGORIES: frozenset[str] = frozenset({"legal-odd-path", "legal-sidecar", "empty"})
SIDECARS: tuple[str, ...] = tuple(SIDECAR_SUFFIXES)


@dataclass(frozen=True)
class UrlCase:
    field: str  # the URL field under test, one of URL_FIELDS
    value: object  # fields[field]: usually a str, a JSON list/object/number/bool for non-string
    category: str
    accepted: bool  # not violations(fields, url_prefix): the policy's verdict on the whole write
    fields: dict[str, object]  # every URL field to send; fields left out are to be sent empty
    description: str  # what the case is and why it matters, in words


class UrlCaseError(ValueError):
    """A built case whose label contradicts its category: a bug here, or an unusable prefix."""


class Pick(Protocol):
    """How a builder makes choices: drawn by Hypothesis, or the first option (for examples)."""

    def one(self, options: Sequence[T]) -> T: ...

    def draw(self, strategy: SearchStrategy[T], example: T) -> T: ...


class _Drawn:
    def __init__(self, draw: st.DrawFn) -> None:
        self._draw = draw

    def one(self, options: Sequence[T]) -> T:
        return self._draw(st.sampled_from(options))

    def draw(self, strategy: SearchStrategy[T], example: T) -> T:
        return self._draw(strategy)


class _First:
    def one(self, options: Sequence[T]) -> T:
        return options[0]

    def draw(self, strategy: SearchStrategy[T], example: T) -> T:
        return example


def _payload(p: Prefix, category: str, nonce: str, suffix: str, pick: Pick) -> Payload:
    fixed = payloads.FIXED[category](p, nonce, suffix)
    if category not in LEGAL_CATEGORIES:
        # e.g. "dots as U+3002" for a host without dots: legal, so not a member of the category
        fixed = [c for c in fixed if not (isinstance(c.value, str) and c.value.startswith(p.text))]
    options: SearchStrategy[Payload] = st.sampled_from(fixed)
    drawn = payloads.DRAWN.get(category)
    if drawn is not None:
        options = st.one_of(options, drawn(p, nonce, suffix))
    return pick.draw(options, fixed[0])


def _prefix_case(
    p: Prefix, category: str, field: str, nonce: str, pick: Pick
) -> tuple[object, dict[str, object], str]:
    """A category decided by the prefix rule: the value under test is the payload."""
    if field == "url":
        payload = _payload(p, category, nonce, "", pick)
        return payload.value, {"url": payload.value}, payload.how
    suffix = SIDECAR_SUFFIXES[field]
    if category in LEGAL_CATEGORIES:  # legal-odd-path: url is the odd value, the sidecar matches
        payload = _payload(p, category, nonce, "", pick)
        assert isinstance(payload.value, str)
        value = payload.value + suffix
        return value, {"url": payload.value, field: value}, f"{payload.how}; url + {suffix!r}"
    payload = _payload(p, category, nonce, suffix, pick)
    bad: object = payload.value
    choice = pick.one(("same-family", "legal-url", "empty-url"))
    if choice == "same-family" and isinstance(bad, str) and bad.endswith(suffix):
        # url is the same kind of bad value and the sidecar matches it: the sidecar rule
        # holds, so only the prefix rule stands between this pair and the database.
        url: object = bad[: -len(suffix)]
        context = "url is the same bad value without the suffix, so the sidecar matches it"
    elif choice == "empty-url":
        url = ""
        context = "url is empty, so only the prefix rule applies"
    else:
        url = p.legal(artifact_tail(nonce))
        context = "url is the legal artifact URL it would match"
    return bad, {"url": url, field: bad}, f"{payload.how} ({context})"


def _sidecar_mismatch(
    p: Prefix, field: str, nonce: str, pick: Pick
) -> tuple[object, dict[str, object], str]:
    if field == "url":  # a changed url that an existing sidecar no longer matches
        sidecar = pick.one(SIDECARS)
        url, stale, how = pick.one(payloads.moved_urls(p, nonce, SIDECAR_SUFFIXES[sidecar]))
        return url, {"url": url, sidecar: stale}, f"{how} ({sidecar})"
    url, value, how = pick.one(payloads.mismatched_sidecars(p, nonce, SIDECAR_SUFFIXES[field]))
    return value, {"url": url, field: value}, how


def _legal_sidecar(
    p: Prefix, field: str, nonce: str, pick: Pick
) -> tuple[object, dict[str, object], str]:
    url, how = pick.one(payloads.sidecar_urls(p, nonce))
    everything: dict[str, object] = {
        "url": url,
        **{name: url + suffix for name, suffix in SIDECAR_SUFFIXES.items()},
    }
    if field == "url":
        which = pick.one(("all", *SIDECARS))
        if which == "all":
            return url, everything, f"{how}, with all five sidecars matching"
        return url, {"url": url, which: everything[which]}, f"{how}, with a matching {which}"
    value = everything[field]
    if pick.one((False, True)):
        return value, everything, f"url + {SIDECAR_SUFFIXES[field]!r} for {how}, all five set"
    return value, {"url": url, field: value}, f"url + {SIDECAR_SUFFIXES[field]!r} for {how}"


def _empty(p: Prefix, field: str, nonce: str, pick: Pick) -> tuple[object, dict[str, object], str]:
    value: object = pick.one(("", None))
    how = "empty" if value == "" else "null, which the policy treats as empty"
    if field == "url":
        return value, {"url": value}, how
    return value, {"url": p.legal(artifact_tail(nonce)), field: value}, f"{how}, next to a url"


def _build(p: Prefix, category: str, field: str, nonce: str, pick: Pick) -> UrlCase:
    if category == "sidecar-mismatch":
        value, fields, how = _sidecar_mismatch(p, field, nonce, pick)
    elif category == "legal-sidecar":
        value, fields, how = _legal_sidecar(p, field, nonce, pick)
    elif category == "empty":
        value, fields, how = _empty(p, field, nonce, pick)
    else:
        value, fields, how = _prefix_case(p, category, field, nonce, pick)
    accepted = not violations(fields, p.text)
    if accepted != (category in LEGAL_CATEGORIES):
        raise UrlCaseError(
            f"{category} case for {field} under {p.text!r} is "
            f"{'accepted' if accepted else 'rejected'} by the policy: {fields!r}"
        )
    return UrlCase(field, value, category, accepted, fields, f"{field}: {how}")


def _check(category: str | None, field: str | None) -> None:
    if category is not None and category not in CATEGORIES:
        raise ValueError(f"unknown category {category!r}; expected one of {CATEGORIES}")
    if field is not None and field not in URL_FIELDS:
        raise ValueError(f"unknown field {field!r}; expected one of {URL_FIELDS}")


def random_nonces() -> SearchStrategy[str]:
    """A fresh random nonce per draw, outside Hypothesis's choices (see the module docstring)."""
    return st.builds(lambda: secrets.token_hex(6))


@st.composite
def _cases(
    draw: st.DrawFn,
    p: Prefix,
    categories: SearchStrategy[str],
    fields: SearchStrategy[str],
    nonces: SearchStrategy[str],
) -> UrlCase:
    category = draw(categories)
    field = draw(fields)
    nonce = draw(nonces)
    return _build(p, category, field, nonce, _Drawn(draw))


@cache  # built once per argument set: building costs more than drawing
def url_cases(
    url_prefix: str,
    nonce: str | SearchStrategy[str] | None = None,
    field: str | None = None,
    category: str | None = None,
) -> SearchStrategy[UrlCase]:
    """Cases for ``url_prefix``: the category first (uniformly), then the field, then the value.

    ``nonce`` goes into every value that can carry one: a string (the same for every draw), a
    strategy (one draw per case), or None for a fresh random one per case. ``field`` and
    ``category`` fix those; unknown names and unusable prefixes raise ValueError at once.
    """
    p = parse_prefix(url_prefix)
    _check(category, field)
    if nonce is None:
        nonces = random_nonces()
    elif isinstance(nonce, str):
        nonces = st.just(nonce)
    else:
        nonces = nonce
    return _cases(
        p,
        st.just(category) if category is not None else st.sampled_from(CATEGORIES),
        st.just(field) if field is not None else st.sampled_from(URL_FIELDS),
        nonces,
    )


def example_case(
    url_prefix: str, category: str, field: str = "url", nonce: str = "example"
) -> UrlCase:
    """The category's representative for ``field``: the same arguments give the same case."""
    _check(category, field)
    return _build(parse_prefix(url_prefix), category, field, nonce, _First())
