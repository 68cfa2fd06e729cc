"""The building blocks: wrong usernames, wrong keys and header forms."""

from __future__ import annotations

import base64
import hashlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from authfuzz.branches import Api
from authfuzz.principals import Principal, Principals, Role
from strategies import headers, keys, usernames
from strategies.variant import Variant

FAST = settings(
    max_examples=80, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
KEY = hashlib.sha1(b"k").hexdigest()
OTHER_KEY = hashlib.sha1(b"o").hexdigest()
KNOWN = frozenset({"admin", "Admin2", "editor", "ADMIN", "x", "42"})


def _safe_in_a_header(value: str) -> bool:
    return "\r" not in value and "\n" not in value


# --- usernames ----------------------------------------------------------------------------------


@FAST
@given(
    st.sampled_from(sorted(KNOWN)).flatmap(
        lambda name: st.tuples(st.just(name), usernames.username_variants(name, "p", KNOWN))
    )
)
def test_username_variants_match_no_known_username(drawn: tuple[str, Variant]) -> None:
    name, variant = drawn
    assert variant.value != name and variant.value not in KNOWN
    assert _safe_in_a_header(variant.value)
    assert variant.labels and variant.labels[0].startswith("username:")
    if variant.labels == ("username:overlong",):
        assert len(variant.value) > usernames.MAX_USERNAME_LENGTH


def test_case_changes_skip_names_without_letters_and_known_names() -> None:
    assert usernames.case_changes("42", "p") == []
    values = {v.value for v in usernames.case_changes("admin", "p")}
    assert {"ADMIN", "Admin", "aDmin"} <= values and "admin" not in values
    # "ADMIN" is a real username in KNOWN: the strategy filters it out, the example skips it
    representative = usernames.representative_variant("admin", "p", KNOWN)
    assert representative.value not in KNOWN and representative.value.lower() == "admin"


def test_look_alikes_are_not_ascii() -> None:
    for variant in usernames.look_alikes("admin", "p"):
        assert variant.value != "admin" and not variant.value.isascii()


@FAST
@given(usernames.unknown_usernames(KNOWN))
def test_unknown_usernames_are_unknown_and_clean(variant: Variant) -> None:
    assert variant.value not in KNOWN and variant.value
    assert ":" not in variant.value
    assert not any(c.isspace() for c in variant.value)
    assert _safe_in_a_header(variant.value)


def test_representative_unknown_avoids_known_names() -> None:
    taken = frozenset({"authfuzz-unknown", "authfuzz-unknown-1"})
    assert usernames.representative_unknown(taken) == "authfuzz-unknown-2"


# --- keys ---------------------------------------------------------------------------------------


def _assert_wrong(value: str, secret: str, exclude: frozenset[str]) -> None:
    assert value and value != secret and value not in exclude
    assert not any(c.isspace() for c in value) and ":" not in value


@FAST
@given(keys.near_misses(KEY, "k", frozenset({OTHER_KEY})))
def test_near_misses_are_near_and_wrong(variant: Variant) -> None:
    _assert_wrong(variant.value, KEY, frozenset({OTHER_KEY}))
    (label,) = variant.labels
    value = variant.value
    if label == "near-miss:prefix":
        assert KEY.startswith(value) and len(value) < len(KEY)
    elif label == "near-miss:extension":
        assert value.startswith(KEY) and len(value) > len(KEY)
    elif label == "near-miss:one-char":
        assert len(value) == len(KEY)
        assert sum(a != b for a, b in zip(value, KEY, strict=True)) == 1
    elif label == "near-miss:case-flip":
        assert value.lower() == KEY
    elif label == "near-miss:control-char":
        assert len(value) == len(KEY) + 1
    else:
        assert label == "near-miss:look-alike" and not value.isascii()


@pytest.mark.parametrize("secret", ["0123456789", "ab", "Z"])
def test_near_misses_adapt_to_unusual_secrets(secret: str) -> None:
    @FAST
    @given(keys.near_misses(secret, "k", frozenset()))
    def check(variant: Variant) -> None:
        _assert_wrong(variant.value, secret, frozenset())

    check()


@FAST
@given(keys.random_secrets(frozenset({KEY})), keys.placeholders(frozenset({KEY})))
def test_random_and_placeholder_secrets_are_wrong(random: Variant, placeholder: Variant) -> None:
    _assert_wrong(random.value, KEY, frozenset())
    _assert_wrong(placeholder.value, KEY, frozenset())


def test_deterministic_key_edits() -> None:
    assert keys.case_flipped("abc123") == "ABC123"
    assert keys.case_flipped("123") is None
    for index in range(len(KEY)):
        for step in range(1, 17):
            changed = keys.one_char_off(KEY, index, step)
            assert sum(a != b for a, b in zip(changed, KEY, strict=True)) == 1
    assert keys.one_char_off("zz") != "zz"


def test_other_principals_keys() -> None:
    principals = Principals(
        (
            Principal("a", "a", Role.STAFF, api_key="k1"),
            Principal("b", "b", Role.USER, api_key="k2"),
            Principal("c", "c", Role.USER, api_key="k1"),  # same key as a: not "another's key"
            Principal("d", "d", Role.USER),
        )
    )
    a = principals.by_name("a")
    assert [v.value for v in keys.other_principals_keys(principals, a)] == ["k2"]
    assert [v.labels for v in keys.other_principals_keys(principals, a)] == [
        ("other-key:staff-username-user-key",)
    ]


# --- headers ------------------------------------------------------------------------------------


def test_header_forms() -> None:
    assert headers.apikey("admin", "k") == "ApiKey admin:k"
    assert headers.apikey("admin", "k", "apikey", "  ") == "apikey  admin:k"
    assert headers.token("t") == "Token t"
    scheme, encoded = headers.basic("admin", "pässword").split(" ")
    assert scheme == "Basic"
    assert base64.b64decode(encoded).decode() == "admin:pässword"
    assert headers.authorization("a", "b") == (("Authorization", "a"), ("Authorization", "b"))
    staff = Principal("s", "staff", Role.STAFF, api_key="k", token="t")
    assert headers.canonical(staff, Api.V1) == "ApiKey staff:k"
    assert headers.canonical(staff, Api.V2) == "Token t"
    with pytest.raises(ValueError, match="token"):
        headers.canonical(Principal("n", "n", Role.STAFF, api_key="k"), Api.V2)


@FAST
@given(headers.scheme_spellings(headers.APIKEY))
def test_scheme_spellings_only_change_case(spelled: Variant) -> None:
    assert spelled.value.lower() == "apikey"
    assert (spelled.labels == ()) == (spelled.value == "ApiKey")


def test_separators_are_really_odd_for_their_api() -> None:
    # v1 splits on the first single space; none of these is one space
    assert " " not in headers.V1_ODD_SEPARATORS
    # v2 splits on ASCII whitespace; none of these splits there
    for separator in headers.V2_NON_SPLITTING_SEPARATORS:
        assert len(f"Token{separator}abc".encode().split()) == 1
    for separator in headers.WORD_SEPARATORS:
        assert separator.isspace() and separator.splitlines() == [separator]
    assert all(":" not in c for c in headers.NOT_COLONS)
