"""Query strings for a release-file bulk delete, each labelled with what it may delete.

The invariant they feed is "bulk-delete-stays-in-scope" (release-api.md 1.5, #3015, #3016): a
bulk delete of release files, even by trusted staff, deletes at most the files of the release
that its ``release`` parameter names, and nothing when it names none.

Public API:

- ``BulkFilter``: one query (label, parameters, what it may delete, a description);
- ``bulk_filters(label=None)``: a strategy over filters, the label drawn first (uniformly);
- ``example_filter(label)``: the label's representative, the same on every call;
- ``LABELS``, and ``TARGET``, the one value ``may_delete`` takes besides None.

Templates. A filter is drawn before the objects it aims at exist (every example makes new
ones), so its names and values are templates: ``{canary}`` is the target release's pk and
``{os}`` the pk of the OS its file belongs to. A format spec may follow (``{canary:x}``), and
``{canary:fullwidth}`` / ``{canary:arabic-indic}`` spell the pk in other Unicode digits.
``BulkFilter.render(canary, os)`` fills them in; braces in drawn text are literal.

What a filter may delete (``may_delete``) is TARGET when one of its parameters is named exactly
``release`` and has a value that reads as the target's pk as an integer, and None otherwise.
"Reads as an integer" is Python's ``int()``, which both APIs use at HEAD (v2 directly, v1
through Django's IntegerField): surrounding whitespace, a ``+``, leading zeros and other
Unicode decimal digits give the same integer, and HEAD deletes the target's files for them
(seen on the testbed), so they are labelled as naming the target (``lenient-integer``).
Decimals, exponents, radix prefixes and negatives are not that integer, and any name other than
exactly ``release`` is not the filter: those may delete nothing. A filter with several
``release`` values may delete the target when one of them names it (v2 at HEAD takes the last
one) and nothing else. The bystander release is never named, and must survive every filter.

Safety on a shared target: a value that reads as an integer is the target's pk, the OS's pk
(in ``os`` only) or a pk no row has (zero, negative, or 2**63 - 1 and beyond); drawn text has
no digits at all. So on a correct server only the worker's own target can lose files. Tastypie
reads ``true``/``True`` as True, which the ORM takes for pk 1 (``?release=true`` deletes the
files of release 1 on v1 at HEAD), ``false``/``False`` as 0 and ``none``/``nil``/``None`` as
null: those words are never drawn.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

Pairs = tuple[tuple[str, str], ...]

TARGET: Literal["target"] = "target"
RELEASE = "release"
CANARY = "{canary}"
OS = "{os}"

LABELS: tuple[str, ...] = (
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
)
# What tastypie's string_to_python turns into True, False or None before the ORM sees it.
TASTYPIE_WORDS: frozenset[str] = frozenset(
    {"true", "True", "false", "False", "nil", "none", "None"}
)
# The first code point of each alternative set of decimal digits a template may ask for.
DIGIT_ZEROS: dict[str, int] = {"fullwidth": 0xFF10, "arabic-indic": 0x0660}


@dataclass(frozen=True)
class BulkFilter:
    label: str  # one of LABELS; the finding's branch is "bulk-filter:<label>"
    query: Pairs  # (name, value) templates, in order; a name may repeat
    may_delete: Literal["target"] | None  # TARGET: at most the target's files; None: nothing
    how: str  # what the query is, in words (no secrets: there are none in a query here)
    control: bool = False  # the one legal form: it must delete the target's files

    def render(self, canary: int, os: int) -> Pairs:
        """The query with ``{canary}`` and ``{os}`` filled in."""
        return tuple(
            (_fill(name, canary, os), _fill(value, canary, os)) for name, value in self.query
        )


class _PkFormatter(string.Formatter):
    def format_field(self, value: Any, format_spec: str) -> str:
        zero = DIGIT_ZEROS.get(format_spec)
        if zero is None:
            return str(super().format_field(value, format_spec))
        return "".join(chr(zero + int(digit)) for digit in str(value))


_FORMATTER = _PkFormatter()


def _fill(template: str, canary: int, os: int) -> str:
    return _FORMATTER.format(template, canary=canary, os=os)


def _literal(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


@dataclass(frozen=True)
class _Value:
    """One value for a ``release`` parameter: its template, whether it names the target, how."""

    template: str
    names_target: bool
    how: str


# --- values, by label ---------------------------------------------------------------------------

_BLANK = (_Value("", False, "blank"),)
_WHITESPACE = (
    _Value(" ", False, "one space"),
    _Value("\t", False, "a tab"),
    _Value("   ", False, "three spaces"),
    _Value("\u00a0", False, "a no-break space"),
    _Value("\n", False, "a newline"),
)
_NON_NUMERIC = (
    _Value("latest", False, "a word"),
    _Value("{canary},{canary}", False, "a comma-separated list of the target's pk, twice"),
    _Value("[{canary}]", False, "the target's pk in brackets"),
    _Value("null", False, "the word null"),
    _Value("*", False, "an asterisk"),
)
_DECIMAL = (
    _Value("{canary}.0", False, "the target's pk with '.0'"),
    _Value("{canary}.", False, "the target's pk with a trailing dot"),
    _Value("{canary}.00", False, "the target's pk with '.00'"),
    _Value("{canary},0", False, "the target's pk with a decimal comma"),
)
_EXPONENT = (
    _Value("{canary}e0", False, "the target's pk with 'e0'"),
    _Value("{canary}E0", False, "the target's pk with 'E0'"),
    _Value("{canary}0e-1", False, "ten times the target's pk, then 'e-1'"),
    _Value("{canary}e+0", False, "the target's pk with 'e+0'"),
)
_RADIX = (
    _Value("0x{canary:x}", False, "the target's pk in hexadecimal with 0x"),
    _Value("0X{canary:X}", False, "the target's pk in hexadecimal with 0X"),
    _Value("0o{canary:o}", False, "the target's pk in octal with 0o"),
    _Value("0b{canary:b}", False, "the target's pk in binary with 0b"),
)
_NEGATIVE = (
    _Value("-{canary}", False, "the target's pk negated"),
    _Value("-0{canary}", False, "the target's pk negated, with a leading zero"),
    _Value("\u2212{canary}", False, "the target's pk after a Unicode minus sign"),
)
_NONEXISTENT = (
    _Value("-1", False, "-1"),
    _Value("0", False, "0"),
    _Value("-0", False, "-0"),
    _Value(str(2**63 - 1), False, "the largest 64-bit integer"),
    _Value(str(10**20), False, "an integer beyond 64 bits"),
)
_LENIENT = (
    _Value("+{canary}", True, "the target's pk with a '+'"),
    _Value(" {canary}", True, "the target's pk after a space"),
    _Value("{canary} ", True, "the target's pk before a space"),
    _Value("\t{canary}\n", True, "the target's pk between a tab and a newline"),
    _Value("0{canary}", True, "the target's pk with a leading zero"),
    _Value("+00{canary}", True, "the target's pk with '+00'"),
    _Value("{canary:fullwidth}", True, "the target's pk in full-width digits"),
    _Value("{canary:arabic-indic}", True, "the target's pk in Arabic-Indic digits"),
)
_LEGAL = _Value(CANARY, True, "the target's pk")

_SINGLE: dict[str, tuple[_Value, ...]] = {
    "blank": _BLANK,
    "whitespace": _WHITESPACE,
    "non-numeric": _NON_NUMERIC,
    "decimal": _DECIMAL,
    "exponent": _EXPONENT,
    "radix": _RADIX,
    "negative": _NEGATIVE,
    "nonexistent": _NONEXISTENT,
    "lenient-integer": _LENIENT,
}
# Values a repeated ``release`` parameter combines; the example is the legal pk, then blank
# (v2 at HEAD takes the last one and refuses a blank; #3016's bug deletes everything for it).
_REPEATABLE = (_LEGAL, _BLANK[0], _WHITESPACE[0], _NON_NUMERIC[0], _NONEXISTENT[0], _LENIENT[0])

_CASED_NAMES = ("Release", "RELEASE", "rElease", "releasE")
_SUFFIXED_NAMES = (
    "release_id",
    "release__in",
    "release__exact",
    "release[]",
    "release.id",
    "releases",
    "release ",
    " release",
    "release__pk",
)
# Parameters beside a filter: each ignored by v2, rejected by v1 at HEAD. None of them names a
# release; an ``os`` value is the OS of the worker's own files, or blank.
_EXTRAS: tuple[tuple[str, str], ...] = (
    ("os", OS),
    ("name", "authfuzz"),
    ("format", "json"),
    ("os", ""),
    ("limit", "0"),
    ("offset", "0"),
    ("description__contains", "authfuzz"),
)


# --- building filters -----------------------------------------------------------------------


def _describe(pairs: Pairs) -> str:
    return "&".join(f"{name}={value.replace(OS, '<their OS>')}" for name, value in pairs)


def _single(
    label: str, value: _Value, extras: Pairs = (), extras_first: bool = False
) -> BulkFilter:
    release = ((RELEASE, value.template),)
    query = extras + release if extras_first else release + extras
    how = f"release is {value.how}"
    if extras:
        how += f", beside {_describe(extras)}"
    return BulkFilter(label, query, TARGET if value.names_target else None, how)


def _repeated(values: Sequence[_Value]) -> BulkFilter:
    names = any(v.names_target for v in values)
    how = "release given " + str(len(values)) + " times: " + ", then ".join(v.how for v in values)
    query = tuple((RELEASE, v.template) for v in values)
    return BulkFilter("repeated", query, TARGET if names else None, how)


def _renamed(label: str, name: str) -> BulkFilter:
    return BulkFilter(label, ((name, CANARY),), None, f"the target's pk under the name {name!r}")


def _missing(extras: Pairs) -> BulkFilter:
    how = f"no release parameter, only {_describe(extras)}" if extras else "no parameters at all"
    return BulkFilter("missing", extras, None, how)


def _extra_params(extras: Pairs, extras_first: bool) -> BulkFilter:
    return _single("extra-params", _LEGAL, extras, extras_first)


def _legal() -> BulkFilter:
    return BulkFilter("legal", ((RELEASE, CANARY),), TARGET, "release is the target's pk", True)


def example_filter(label: str) -> BulkFilter:
    """The label's representative: the same arguments give the same filter."""
    _check(label)
    if label in _SINGLE:
        return _single(label, _SINGLE[label][0])
    if label == "missing":
        return _missing(())
    if label == "repeated":
        return _repeated((_LEGAL, _BLANK[0]))
    if label == "name-case":
        return _renamed(label, _CASED_NAMES[0])
    if label == "name-suffix":
        return _renamed(label, _SUFFIXED_NAMES[0])
    if label == "extra-params":
        return _extra_params(_EXTRAS[:1], extras_first=False)
    return _legal()


def _check(label: str | None) -> None:
    if label is not None and label not in LABELS:
        raise ValueError(f"unknown label {label!r}; expected one of {LABELS}")


def _not_a_number(text: str) -> bool:
    """Drawn words: no digits (so no integer, float or radix reading) and not tastypie's words."""
    return bool(text.strip()) and text not in TASTYPIE_WORDS


def _words() -> SearchStrategy[str]:
    alphabet = st.characters(exclude_categories=("Cs", "Cc", "Nd", "Nl", "No"))
    return st.text(alphabet, min_size=1, max_size=12).filter(_not_a_number)


def _extras(min_size: int) -> SearchStrategy[Pairs]:
    return st.lists(st.sampled_from(_EXTRAS), min_size=min_size, max_size=3, unique=True).map(tuple)


@st.composite
def _drawn(draw: st.DrawFn, label: str) -> BulkFilter:
    if label in _SINGLE:
        options: SearchStrategy[_Value] = st.sampled_from(_SINGLE[label])
        if label == "non-numeric":
            drawn_word = _words().map(lambda w: _Value(_literal(w), False, "a drawn word"))
            options = st.one_of(options, drawn_word)
        value = draw(options)
        extras = draw(st.one_of(st.just(()), _extras(1)))
        return _single(label, value, extras, draw(st.booleans()))
    if label == "missing":
        return _missing(draw(st.one_of(st.just(()), _extras(1))))
    if label == "repeated":
        values = draw(st.lists(st.sampled_from(_REPEATABLE), min_size=2, max_size=3))
        return _repeated(values)
    if label == "name-case":
        return _renamed(label, draw(st.sampled_from(_CASED_NAMES)))
    if label == "name-suffix":
        return _renamed(label, draw(st.sampled_from(_SUFFIXED_NAMES)))
    if label == "extra-params":
        return _extra_params(draw(_extras(1)), draw(st.booleans()))
    return _legal()


def bulk_filters(label: str | None = None) -> SearchStrategy[BulkFilter]:
    """Filters of ``label``, or of a label drawn uniformly first; unknown labels raise ValueError."""
    _check(label)
    labels = st.just(label) if label is not None else st.sampled_from(LABELS)
    return labels.flatmap(_drawn)
