"""Bulk-delete filters: every label is reached, and every label agrees with an independent reading.

``reads_as`` below restates "an integer" from release-api.md 1.5 and Python's own definition
(optional surrounding whitespace, an optional sign, decimal digits of any script), without
calling ``int()``, so a filter labelled wrongly by the strategy shows up here. What a filter may
delete follows from it: the target when a parameter named exactly ``release`` reads as the
target's pk, nothing otherwise.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from strategies.bulk_filters import (
    LABELS,
    TARGET,
    TASTYPIE_WORDS,
    BulkFilter,
    bulk_filters,
    example_filter,
)

FAST = settings(
    max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
PKS = (1, 7, 12, 345, 90210)  # one digit, several, and a pk whose digits repeat
OS_PK = 4
NO_ROW = 2**63 - 1  # from here on, and at 0 and below, no row has the pk
REQUIRED = {
    "missing",
    "blank",
    "whitespace",
    "non-numeric",
    "decimal",
    "exponent",
    "radix",
    "negative",
    "nonexistent",
    "lenient-integer",
    "repeated",
    "name-case",
    "name-suffix",
    "extra-params",
    "legal",
}
NAMES_THE_TARGET = {"lenient-integer", "extra-params", "legal"}  # always; "repeated" sometimes


def reads_as(value: str) -> int | None:
    """The integer a strict-but-Pythonic parser reads in ``value``, or None."""
    text = value.strip()
    sign = 1
    if text[:1] in ("+", "-"):
        sign, text = (-1 if text[0] == "-" else 1), text[1:]
    if not text or any(unicodedata.decimal(c, None) is None for c in text):
        return None
    number = 0
    for c in text:
        number = number * 10 + unicodedata.decimal(c)
    return sign * number


def expected_scope(query: tuple[tuple[str, str], ...], pk: int) -> str | None:
    return TARGET if any(n == "release" and reads_as(v) == pk for n, v in query) else None


def _check_filter(case: BulkFilter) -> None:
    assert case.label in LABELS
    assert case.how and "{" not in case.how
    for pk in PKS:
        query = case.render(pk, OS_PK)
        assert case.may_delete == expected_scope(query, pk), (case, query)
        _check_safe(query, pk)
        _check_form(case, query, pk)
        # What the client sends is what the server reads back out of the URL.
        assert parse_qsl(urlencode(query), keep_blank_values=True) == list(query)


def _check_safe(query: tuple[tuple[str, str], ...], pk: int) -> None:
    """On a correct server, nothing but the target's files (or nothing at all) can go."""
    for name, value in query:
        assert value not in TASTYPIE_WORDS
        number = reads_as(value)
        if number is None:
            continue
        allowed = {pk, OS_PK} if name == "os" else {pk}
        assert number in allowed or number <= 0 or number >= NO_ROW, (name, value)


def _check_form(case: BulkFilter, query: tuple[tuple[str, str], ...], pk: int) -> None:
    names = [n for n, _ in query]
    values = [v for n, v in query if n == "release"]
    label = case.label
    assert case.control is (label == "legal")
    if label == "legal":
        assert query == (("release", str(pk)),)
    elif label == "missing":
        assert "release" not in names
    elif label in ("name-case", "name-suffix"):
        assert "release" not in names and len(query) == 1
        name = names[0]
        if label == "name-case":
            assert name != "release" and name.lower() == "release"
        else:
            assert name.lower() != "release" and "release" in name.lower()
        assert query[0][1] == str(pk)
    elif label == "repeated":
        assert names == ["release"] * len(query) and len(query) >= 2
    elif label == "extra-params":
        assert values == [str(pk)] and len(query) >= 2
    else:
        assert len(values) == 1
        value = values[0]
        if label == "blank":
            assert value == ""
        elif label == "whitespace":
            assert value and not value.strip()
        elif label == "non-numeric":
            assert value.strip() and reads_as(value) is None
        elif label in ("decimal", "exponent", "radix"):
            assert reads_as(value) is None and any(c.isdigit() for c in value)
        elif label == "negative":
            number = reads_as(value)
            assert (number is None or number < 0) and str(pk) in value
        elif label == "nonexistent":
            number = reads_as(value)
            assert number is not None and (number <= 0 or number >= NO_ROW)
        elif label == "lenient-integer":
            assert value != str(pk) and reads_as(value) == pk
        else:
            raise AssertionError(f"no form check for {label}")


def _collect(strategy: SearchStrategy[BulkFilter], examples: int) -> list[BulkFilter]:
    seen: list[BulkFilter] = []

    @settings(FAST, max_examples=examples, derandomize=True)
    @given(strategy)
    def run(case: BulkFilter) -> None:
        seen.append(case)

    run()
    return seen


# --- the reference ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "number"),
    [
        ("12", 12),
        ("+12", 12),
        (" 12\t", 12),
        ("012", 12),
        ("\uff11\uff12", 12),  # full-width digits
        ("-12", -12),
        ("", None),
        (" ", None),
        ("12.0", None),
        ("12e0", None),
        ("0xc", None),
        ("1,2", None),
        ("\u221212", None),  # a Unicode minus sign is not a sign
        ("true", None),
    ],
)
def test_reference_reads_integers_as_python_does(value: str, number: int | None) -> None:
    assert reads_as(value) == number
    try:
        python: int | None = int(value)
    except ValueError:
        python = None
    assert python == number


# --- labels, reach and examples -----------------------------------------------------------------


def test_labels() -> None:
    assert set(LABELS) == REQUIRED and len(set(LABELS)) == len(LABELS)
    with pytest.raises(ValueError, match="label"):
        bulk_filters("nope")
    with pytest.raises(ValueError, match="label"):
        example_filter("release")


def test_every_label_is_reached() -> None:
    assert {c.label for c in _collect(bulk_filters(), examples=300)} == set(LABELS)


@pytest.mark.parametrize("label", LABELS)
def test_example_for_every_label(label: str) -> None:
    case = example_filter(label)
    assert case == example_filter(label) and case.label == label
    _check_filter(case)
    assert (case.may_delete == TARGET) is (label in NAMES_THE_TARGET | {"repeated"})


@pytest.mark.parametrize("label", LABELS)
def test_a_fixed_label_draws_only_that_label(label: str) -> None:
    for case in _collect(bulk_filters(label), examples=30):
        assert case.label == label
        _check_filter(case)
        if label in NAMES_THE_TARGET:
            assert case.may_delete == TARGET
        elif label != "repeated":
            assert case.may_delete is None


def test_the_historical_forms_are_examples() -> None:
    # #3015: v1 with no filter at all; #3016: v2 with a blank release.
    assert example_filter("missing").render(3, OS_PK) == ()
    assert example_filter("blank").render(3, OS_PK) == (("release", ""),)
    # a blank as the last of several: v2 reads the last value
    assert example_filter("repeated").render(3, OS_PK)[-1] == ("release", "")


def test_repeated_draws_both_scopes() -> None:
    scopes = {c.may_delete for c in _collect(bulk_filters("repeated"), examples=60)}
    assert scopes == {TARGET, None}


# --- the label property -------------------------------------------------------------------------


@FAST
@given(bulk_filters())
def test_labels_agree_with_the_reference(case: BulkFilter) -> None:
    _check_filter(case)


@settings(FAST, max_examples=100)
@given(st.text(alphabet="{}a", min_size=1, max_size=6))
def test_braces_in_drawn_words_stay_literal(word: str) -> None:
    from strategies.bulk_filters import _literal

    template = _literal(word)
    case = BulkFilter("non-numeric", (("release", template),), None, "a drawn word")
    assert case.render(5, OS_PK) == (("release", word),)
