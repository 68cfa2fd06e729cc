"""URL cases: every category is reached, and every label agrees with an independent reading.

``reference`` below restates release-api.md 3.3 (the HTTPS prefix rule and the sidecar rule)
from the document, not from ``authfuzz.url_policy``, so a case built or labelled wrongly by the
strategies and the policy together still shows up here.
"""

from __future__ import annotations

import itertools
import json
import unicodedata
from collections.abc import Callable, Mapping
from urllib.parse import unquote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from authfuzz.url_policy import SIDECAR_SUFFIXES, URL_FIELDS
from strategies import url_payloads
from strategies.url_payloads import parse_prefix
from strategies.urls import (
    CATEGORIES,
    LEGAL_CATEGORIES,
    UrlCase,
    example_case,
    url_cases,
)

WWW = "https://www.python.org/"
STAGING = "https://staging.python.org/"
LOCAL = "http://localhost:8000/files/"  # http, a port and a path: nothing may assume the default
PREFIXES = (WWW, STAGING, LOCAL)

# release-api.md 3.1, copied from the document.
SUFFIXES = {
    "gpg_signature_file": ".asc",
    "sigstore_signature_file": ".sig",
    "sigstore_cert_file": ".crt",
    "sigstore_bundle_file": ".sigstore",
    "sbom_spdx2_file": ".spdx.json",
}
REQUIRED = {
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
}
LEGAL = {"legal-odd-path", "legal-sidecar", "empty"}

FAST = settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def reference(fields: Mapping[str, object], prefix: str) -> bool:
    """release-api.md 3.3: may a write carrying these URL fields be accepted?"""

    def empty(value: object) -> bool:
        return value is None or value == ""

    # Rule 1: each field empty, or a string whose first characters are exactly the prefix.
    for value in fields.values():
        if not empty(value) and not (isinstance(value, str) and value[: len(prefix)] == prefix):
            return False
    # Rule 2: only with a non-empty url; each non-empty sidecar is url + suffix, concatenated.
    url = fields.get("url")
    if empty(url):
        return True
    for name, suffix in SUFFIXES.items():
        sidecar = fields.get(name)
        if not empty(sidecar) and sidecar != f"{url}{suffix}":
            return False
    return True


def _check_case(case: UrlCase, prefix: str) -> None:
    assert case.category in CATEGORIES
    assert set(case.fields) <= set(URL_FIELDS) and case.field in case.fields
    assert case.fields[case.field] == case.value
    assert case.accepted == reference(case.fields, prefix), case
    assert case.accepted == (case.category in LEGAL), case
    assert case.description.startswith(f"{case.field}: ")
    if case.field != "url":
        # the sidecar rule can only apply next to a url; legal sidecars always have one
        assert "url" in case.fields
        if case.accepted or case.category == "sidecar-mismatch":
            url = case.fields["url"]
            assert isinstance(url, str) and url.startswith(prefix)


def _collect(strategy: SearchStrategy[UrlCase], examples: int) -> list[UrlCase]:
    seen: list[UrlCase] = []

    @settings(FAST, max_examples=examples, derandomize=True)
    @given(strategy)
    def run(case: UrlCase) -> None:
        seen.append(case)

    run()
    return seen


def _text(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _carries(value: object, nonce: str) -> bool:
    """Whether ``value`` holds ``nonce``; "", null, numbers, booleans and [] / {} cannot."""
    if value in (None, "", [], {}) or isinstance(value, bool | int | float):
        return True
    return nonce in _text(value)


# --- the reference and the names ------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "accepted"),
    [
        ({"url": WWW + "ftp/python/3.14.0/Python-3.14.0.tgz"}, True),
        ({"url": "http://www.python.org/ftp/x.tgz"}, False),
        ({"url": "https://WWW.PYTHON.ORG/ftp/x.tgz"}, False),
        ({"url": "https://www.python.org.evil.example/x.tgz"}, False),
        ({"url": ""}, True),
        ({"url": None}, True),
        ({"url": 0}, False),
        ({"url": [WWW]}, False),
        ({"url": WWW + "x.tgz", "gpg_signature_file": WWW + "x.tgz.asc"}, True),
        ({"url": WWW + "x.tgz", "gpg_signature_file": WWW + "x.tgz.sig"}, False),
        ({"url": WWW + "x.tgz?a=1", "gpg_signature_file": WWW + "x.tgz.asc"}, False),
        ({"url": WWW + "x.tgz?a=1", "gpg_signature_file": WWW + "x.tgz?a=1.asc"}, True),
        ({"url": "", "gpg_signature_file": WWW + "anything"}, True),  # rule 1 only
        ({"url": "", "sbom_spdx2_file": "https://evil.example/x.spdx.json"}, False),
        ({"url": WWW + "x.tgz", "sigstore_cert_file": ""}, True),
    ],
)
def test_reference_matches_the_document(fields: dict[str, object], accepted: bool) -> None:
    assert reference(fields, WWW) is accepted


def test_the_document_and_the_policy_name_the_same_fields() -> None:
    assert SIDECAR_SUFFIXES == SUFFIXES
    assert set(URL_FIELDS) == {"url", *SUFFIXES}


def test_categories() -> None:
    assert set(CATEGORIES) >= REQUIRED and len(set(CATEGORIES)) == len(CATEGORIES)
    assert LEGAL_CATEGORIES == LEGAL


def test_bad_arguments_are_refused_at_once() -> None:
    for prefix in ("https://www.python.org", "ftp://www.python.org/", "https://x/?a=/", ""):
        with pytest.raises(ValueError, match="url_prefix"):
            url_cases(prefix)
    with pytest.raises(ValueError, match="category"):
        url_cases(WWW, category="nope")
    with pytest.raises(ValueError, match="field"):
        example_case(WWW, "empty", field="release_notes_url")


# --- reach and examples ---------------------------------------------------------------------


@pytest.mark.parametrize("field", URL_FIELDS)
def test_every_category_is_reached(field: str) -> None:
    cases = _collect(url_cases(WWW, nonce="n", field=field), examples=250)
    assert {c.category for c in cases} == set(CATEGORIES)
    assert {c.field for c in cases} == {field}


def test_drawing_every_field_reaches_every_field() -> None:
    cases = _collect(url_cases(STAGING), examples=150)
    assert {c.field for c in cases} == set(URL_FIELDS)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_example_case_for_every_category_and_field(prefix: str) -> None:
    for category in CATEGORIES:
        for field in URL_FIELDS:
            case = example_case(prefix, category, field)
            assert case == example_case(prefix, category, field)
            assert case.category == category and case.field == field
            _check_case(case, prefix)
    assert example_case(prefix, "empty").value == ""


@pytest.mark.parametrize("category", CATEGORIES)
def test_a_fixed_category_draws_only_that_category(category: str) -> None:
    for case in _collect(url_cases(LOCAL, category=category), examples=20):
        assert case.category == category
        _check_case(case, LOCAL)


# --- the label property ---------------------------------------------------------------------


@FAST
@given(st.sampled_from(PREFIXES).flatmap(lambda p: st.tuples(st.just(p), url_cases(p))))
def test_labels_agree_with_the_reference(drawn: tuple[str, UrlCase]) -> None:
    prefix, case = drawn
    _check_case(case, prefix)


@settings(FAST, max_examples=150)
@given(url_cases(STAGING))
def test_look_alikes_come_from_the_prefix(case: UrlCase) -> None:
    # www.python.org is only ever a foreign host here, never the prefix or its look-alike
    if case.category != "other-host":
        folded = unicodedata.normalize("NFKC", _text(case.fields)).casefold()
        assert "www.python.org" not in folded, case


# --- nonces ---------------------------------------------------------------------------------


def _counter() -> SearchStrategy[str]:
    numbers = itertools.count()
    return st.builds(lambda: f"n{next(numbers):05d}")


@pytest.mark.parametrize("nonces", [_counter, lambda: None], ids=["counter", "default"])
def test_url_values_are_unique_across_draws(nonces: Callable[[], object]) -> None:
    nonce = nonces()
    assert nonce is None or isinstance(nonce, SearchStrategy)
    seen: list[str] = []
    for case in _collect(url_cases(WWW, nonce=nonce), examples=400):
        url = case.fields.get("url")
        if url not in (None, "") and not isinstance(url, bool | int | float):
            seen.append(_text(url))
    assert len(seen) > 200 and len(set(seen)) == len(seen)


@settings(FAST, max_examples=200)
@given(url_cases(LOCAL, nonce="Nonce42"))
def test_the_nonce_is_in_every_value_that_can_hold_one(case: UrlCase) -> None:
    assert all(_carries(value, "Nonce42") for value in case.fields.values()), case


@pytest.mark.parametrize("prefix", PREFIXES)
def test_every_fixed_payload_carries_the_nonce(prefix: str) -> None:
    # The random draws above may miss one template; this walks all of them.
    p = parse_prefix(prefix)
    for suffix in ("", *SUFFIXES.values()):
        for category, build in url_payloads.FIXED.items():
            for payload in build(p, "Nonce42", suffix):
                assert _carries(payload.value, "Nonce42"), (category, payload)
        for pairs in (url_payloads.mismatched_sidecars, url_payloads.moved_urls):
            for url, sidecar, how in pairs(p, "Nonce42", suffix or ".asc"):
                assert "Nonce42" in url and "Nonce42" in sidecar, how
    for url, how in url_payloads.sidecar_urls(p, "Nonce42"):
        assert "Nonce42" in url, how


@pytest.mark.parametrize("prefix", [WWW, STAGING])
def test_no_fixed_payload_of_a_rejected_category_is_legal(prefix: str) -> None:
    # urls.py drops a variant that happens to be legal (a dot swapped in a host without dots);
    # for ordinary prefixes it must have nothing to drop, or a builder is wrong.
    p = parse_prefix(prefix)
    for suffix in ("", *SUFFIXES.values()):
        for category, build in url_payloads.FIXED.items():
            if category not in LEGAL:
                for payload in build(p, "n", suffix):
                    assert not reference({"url": payload.value}, prefix), (category, payload)


# --- the descriptions say true things -------------------------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
def test_payload_descriptions_hold(prefix: str) -> None:
    p = parse_prefix(prefix)
    legal = prefix + url_payloads.artifact_tail("n")
    claims: dict[str, Callable[[str], bool]] = {
        "NFKC gives the legal value": lambda v: unicodedata.normalize("NFKC", v) == legal,
        "NFKC gives the prefix": lambda v: unicodedata.normalize("NFKC", v) == legal,
        "decoding gives exactly the legal value": lambda v: unquote(v) == legal,
        "decoding twice gives the legal value": lambda v: unquote(unquote(v)) == legal,
        "str.strip()": lambda v: v.strip() == legal,
        "Cyrillic look-alike": lambda v: not v.isascii(),
    }
    checked = 0
    for build in url_payloads.FIXED.values():
        for payload in build(p, "n", ""):
            for claim, holds in claims.items():
                if claim in payload.how:
                    assert isinstance(payload.value, str) and holds(payload.value), payload
                    checked += 1
    assert checked >= 6


def test_the_idn_example_looks_like_the_host() -> None:
    # one character of the host swapped for a look-alike: same length as the legal URL
    case = example_case(STAGING, "idn-host")
    assert isinstance(case.value, str) and not case.value.isascii()
    assert len(case.value) == len(_text(example_case(STAGING, "legal-sidecar").value))
