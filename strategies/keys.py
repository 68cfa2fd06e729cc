"""Wrong secrets: v1 API keys and v2 tokens that a correct server must reject.

Both are 40 lowercase hex characters compared as plain strings (release-api.md
2.1 step 7, 2.5), so the interesting wrong values are the near misses a lax
comparison would accept: a prefix (``startswith``), an extension (a compare
limited to 40 characters), one character off (a short-circuiting or partial
compare), the case flipped (a case-insensitive collation or ``iexact``), a
control character or look-alike (normalising or stripping input). Random keys
cover the rest.

Every value here differs from every secret in ``exclude`` (the caller passes
all known keys, or all known tokens): a "wrong" key that is somebody's right
key would be a valid credential or another branch. None is empty (that is its
own branch), none contains whitespace or a colon (those are the whitespace and
colon branches), and none ends in a character a server might strip.
"""

from __future__ import annotations

import string

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from authfuzz.principals import Principal, Principals
from strategies.usernames import CONFUSABLES, fullwidth
from strategies.variant import Variant

HEX = "0123456789abcdef"
# Appended to a key: never whitespace, a colon or anything a server could strip.
SUFFIX_CHARACTERS = HEX + "ghijklmnopqrstuvwxyzABCDEF"
# Controls that are neither whitespace nor line breaks (str.isspace, str.splitlines),
# so no server strips them or splits on them even at the end of a header value.
INERT_CONTROLS = tuple(chr(c) for c in (*range(0x00, 0x09), *range(0x0E, 0x1C), 0x7F))
KEY_LENGTH = 40


def _acceptable(secret: str, exclude: frozenset[str]) -> bool:
    return (
        secret != ""
        and secret not in exclude
        and not secret[-1].isspace()
        and not any(c.isspace() or c == ":" for c in secret)
    )


def dropped(secret: str, n: int) -> str:
    return secret[:-n]


def one_char_off(secret: str, index: int = -1, step: int = 1) -> str:
    """``secret`` with the character at ``index`` replaced by another hex digit."""
    i = index % len(secret)
    char = secret[i]
    replacement = HEX[(HEX.index(char) + step) % 16] if char in HEX else HEX[step % 16]
    if replacement == char:  # only when step is a multiple of 16
        replacement = HEX[(HEX.index(char) + 1) % 16]
    return secret[:i] + replacement + secret[i + 1 :]


def case_flipped(secret: str) -> str | None:
    """The upper-cased secret (the right key "in upper case", rows 9 and 4), if that differs."""
    for candidate in (secret.upper(), secret.swapcase()):
        if candidate != secret:
            return candidate
    return None


def near_misses(secret: str, what: str, exclude: frozenset[str]) -> SearchStrategy[Variant]:
    """Values one small edit away from ``secret``; ``what`` names it ("admin's api_key")."""
    n = len(secret)
    families: list[SearchStrategy[Variant]] = []
    if n >= 2:
        families.append(
            st.one_of(st.integers(1, 3), st.integers(1, n - 1))
            .filter(lambda k: k < n)
            .map(
                lambda k: Variant.of(
                    dropped(secret, k),
                    "near-miss:prefix",
                    f"{what} without its last {k} character(s)",
                )
            )
        )
    families.append(
        st.text(SUFFIX_CHARACTERS, min_size=1, max_size=8).map(
            lambda tail: Variant.of(
                secret + tail,
                "near-miss:extension",
                f"{what} with {len(tail)} character(s) appended",
            )
        )
    )
    if n >= 1:
        families.append(
            st.builds(
                lambda i, step: Variant.of(
                    one_char_off(secret, i, step),
                    "near-miss:one-char",
                    f"{what} with character {i + 1} changed",
                ),
                st.integers(0, n - 1),
                st.integers(1, 15),
            )
        )
        families.append(
            st.builds(
                lambda i, c: Variant.of(
                    secret[:i] + c + secret[i:],
                    "near-miss:control-char",
                    f"{what} with control character U+{ord(c):04X} inserted at position {i}",
                ),
                st.integers(0, n),
                st.sampled_from(INERT_CONTROLS),
            )
        )
    look_alikes = [
        (i, alt)
        for i, char in enumerate(secret)
        for alt in (CONFUSABLES.get(char), fullwidth(char))
        if alt is not None
    ]
    if look_alikes:
        families.append(
            st.sampled_from(look_alikes).map(
                lambda pair: Variant.of(
                    secret[: pair[0]] + pair[1] + secret[pair[0] + 1 :],
                    "near-miss:look-alike",
                    f"{what} with character {pair[0] + 1} replaced by a non-ASCII look-alike",
                )
            )
        )
    flipped = case_flipped(secret)
    if flipped is not None:
        cased = [i for i, c in enumerate(secret) if c.swapcase() != c]
        families.append(
            st.one_of(
                st.just(Variant.of(flipped, "near-miss:case-flip", f"{what} upper-cased")),
                st.sampled_from(cased).map(
                    lambda i: Variant.of(
                        secret[:i] + secret[i].swapcase() + secret[i + 1 :],
                        "near-miss:case-flip",
                        f"{what} with the case of character {i + 1} flipped",
                    )
                ),
            )
        )
    return st.one_of(families).filter(lambda v: _acceptable(v.value, exclude | {secret}))


def random_secrets(exclude: frozenset[str], noun: str = "key") -> SearchStrategy[Variant]:
    """Keys that look right (40 hex) and some that do not (other lengths, other letters)."""
    well_formed = st.text(HEX, min_size=KEY_LENGTH, max_size=KEY_LENGTH).map(
        lambda v: Variant.of(v, "random", f"a random 40-hex {noun}")
    )
    odd_length = st.text(HEX, min_size=1, max_size=80).map(
        lambda v: Variant.of(v, "random:length", f"a random hex {noun} of {len(v)} characters")
    )
    other_letters = st.text(
        string.ascii_letters + string.digits + "-_.~+/=", min_size=1, max_size=64
    ).map(lambda v: Variant.of(v, "random:alphabet", f"a random non-hex {noun}"))
    return st.one_of(well_formed, odd_length, other_letters).filter(
        lambda v: _acceptable(v.value, exclude)
    )


PLACEHOLDERS = ("null", "undefined", "None", '""', "''", "0", "false", "<token>", "*", "%00")


def placeholders(exclude: frozenset[str], noun: str = "token") -> SearchStrategy[Variant]:
    """What a broken client sends when it has no secret: ``null``, ``undefined``, ``""``..."""
    return st.sampled_from([p for p in PLACEHOLDERS if _acceptable(p, exclude)]).map(
        lambda v: Variant.of(v, "malformed:placeholder", f"a placeholder {noun} ({v})")
    )


def wrong_secrets(
    secret: str | None, what: str, exclude: frozenset[str]
) -> SearchStrategy[Variant]:
    """Near misses of ``secret`` (when there is one) and random values."""
    noun = "token" if "token" in what else "key"
    if secret is None:
        return random_secrets(exclude, noun)
    return st.one_of(near_misses(secret, what, exclude), random_secrets(exclude, noun))


def other_principals_keys(principals: Principals, owner: Principal) -> list[Variant]:
    """The v1 keys of the other principals that differ from ``owner``'s own key.

    Only for v1: there a key is checked against the named user's key. On v2 a
    token is the whole credential, so another staff member's token is valid.
    """
    own = {p.api_key for p in principals.members if p.username == owner.username}
    found: list[Variant] = []
    for other in principals.members:
        key = other.api_key
        if other.username == owner.username or not key or key in own:
            continue
        label = f"other-key:{owner.role.value}-username-{other.role.value}-key"
        found.append(Variant.of(key, label, f"{other.name}'s api_key"))
    return found


def wrong_secret_forms(secret: str, what: str, exclude: frozenset[str]) -> list[Variant]:
    """One fixed value of each kind ``wrong_secrets`` draws from, for the explicit sub-forms.

    Each family of ``near_misses`` and ``random_secrets`` is represented by its most telling
    member: one character dropped, one appended, the last one changed, a control character in
    the middle, the first look-alike, the whole secret upper-cased.
    """
    n = len(secret)
    noun = "token" if "token" in what else "key"
    middle = n // 2
    found = [
        Variant.of(dropped(secret, 1), "near-miss:prefix", f"{what} without its last character"),
        Variant.of(secret + "0", "near-miss:extension", f"{what} with 1 character appended"),
        Variant.of(
            one_char_off(secret), "near-miss:one-char", f"{what} with its last character changed"
        ),
        Variant.of(
            secret[:middle] + "\x01" + secret[middle:],
            "near-miss:control-char",
            f"{what} with control character U+0001 inserted at position {middle}",
        ),
    ]
    for i, char in enumerate(secret):
        alt = CONFUSABLES.get(char) or fullwidth(char)
        if alt is not None:
            found.append(
                Variant.of(
                    secret[:i] + alt + secret[i + 1 :],
                    "near-miss:look-alike",
                    f"{what} with character {i + 1} replaced by a non-ASCII look-alike",
                )
            )
            break
    flipped = case_flipped(secret)
    if flipped is not None:
        found.append(Variant.of(flipped, "near-miss:case-flip", f"{what} upper-cased"))
    found += [
        Variant.of("f" * KEY_LENGTH, "random", f"a random 40-hex {noun}"),
        Variant.of("abc123", "random:length", f"a random hex {noun} of 6 characters"),
        Variant.of("not-a-hex-" + noun, "random:alphabet", f"a random non-hex {noun}"),
    ]
    return [v for v in found if _acceptable(v.value, exclude | {secret})]
