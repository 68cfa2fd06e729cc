"""Usernames that look like a known one, or like none, and must match no account.

v1 looks the username up with an exact, case-sensitive match (release-api.md
2.1 step 5). Any normalisation a regression might add (case folding, NFKC,
stripping, truncation to the column length, dropping control characters)
would turn one of these into a real account, so each family targets one such
normalisation. Every variant differs from every known username of the target:
a variant that happens to be another real username would be a valid
credential labelled negative.

Usernames only ever sit in the middle of a header value (``ApiKey <user>:<key>``),
so leading or inner whitespace in them survives the server's stripping of the
header value; that is why both are allowed here.
"""

from __future__ import annotations

import string

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from strategies.variant import Variant

# Django's default ``username`` column length; longer names can only match if truncated.
MAX_USERNAME_LENGTH = 150

# Look-alikes of ASCII letters (Cyrillic, plus Cyrillic Komi/palochka for d and l).
CONFUSABLES: dict[str, str] = {
    "a": "\u0430",
    "c": "\u0441",
    "d": "\u0501",
    "e": "\u0435",
    "i": "\u0456",
    "j": "\u0458",
    "l": "\u04cf",
    "o": "\u043e",
    "p": "\u0440",
    "s": "\u0455",
    "x": "\u0445",
    "y": "\u0443",
    "A": "\u0410",
    "B": "\u0412",
    "C": "\u0421",
    "E": "\u0415",
    "H": "\u041d",
    "K": "\u041a",
    "M": "\u041c",
    "O": "\u041e",
    "P": "\u0420",
    "T": "\u0422",
    "X": "\u0425",
}

WHITESPACE = (" ", "\t", "\xa0", "\u2003", "\u3000")
# Every C0 control but CR and LF (http.client refuses those), and DEL.
CONTROL_CHARACTERS = (*(chr(c) for c in range(0x20) if chr(c) not in "\r\n"), "\x7f")
ZERO_WIDTH = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff")
COMBINING_MARKS = ("\u0301", "\u0308", "\u0338")
# Characters Django allows in a username by default (UnicodeUsernameValidator, ASCII part).
USERNAME_CHARACTERS = string.ascii_letters + string.digits + "@.+-_"


def fullwidth(char: str) -> str | None:
    """The fullwidth form of a printable ASCII character (NFKC maps it back), if any."""
    return chr(ord(char) + 0xFEE0) if "!" <= char <= "~" else None


def case_changes(username: str, owner: str) -> list[Variant]:
    """Whole-name and one-letter case changes (row 10 of matrix 2.2: ``STAFF`` is 401)."""
    found: dict[str, Variant] = {}
    for value, how in (
        (username.upper(), "upper-cased"),
        (username.lower(), "lower-cased"),
        (username.swapcase(), "with its case swapped"),
        (username.capitalize(), "capitalised"),
    ):
        found.setdefault(value, Variant.of(value, "username:case", f"{owner}'s username {how}"))
    for i, char in enumerate(username):
        flipped = char.swapcase()
        if flipped != char:
            value = username[:i] + flipped + username[i + 1 :]
            how = f"{owner}'s username with the case of character {i + 1} flipped"
            found.setdefault(value, Variant.of(value, "username:case", how))
    found.pop(username, None)
    return list(found.values())


def look_alikes(username: str, owner: str) -> list[Variant]:
    """One character replaced by a Cyrillic confusable or by its fullwidth form."""
    found: list[Variant] = []
    for i, char in enumerate(username):
        if char in CONFUSABLES:
            value = username[:i] + CONFUSABLES[char] + username[i + 1 :]
            how = f"{owner}'s username with character {i + 1} replaced by a Cyrillic look-alike"
            found.append(Variant.of(value, "username:confusable", how))
        wide = fullwidth(char)
        if wide is not None:
            value = username[:i] + wide + username[i + 1 :]
            how = f"{owner}'s username with character {i + 1} in its fullwidth form"
            found.append(Variant.of(value, "username:fullwidth", how))
    return found


def _inserted(
    username: str,
    positions: SearchStrategy[int],
    chars: tuple[str, ...],
    label: str,
    what: str,
    owner: str,
) -> SearchStrategy[Variant]:
    def build(position: int, char: str) -> Variant:
        how = f"{owner}'s username with U+{ord(char):04X} ({what}) inserted at position {position}"
        return Variant.of(username[:position] + char + username[position:], label, how)

    return st.builds(build, positions, st.sampled_from(chars))


def overlong(username: str, owner: str) -> SearchStrategy[Variant]:
    """Longer than the column: only a server that truncates would find the account."""
    seed = username or "x"

    def build(length: int) -> Variant:
        value = (seed * (length // len(seed) + 1))[:length]
        how = f"{owner}'s username repeated to {length} characters"
        return Variant.of(value, "username:overlong", how)

    return st.integers(MAX_USERNAME_LENGTH + 1, 3 * MAX_USERNAME_LENGTH).map(build)


def username_variants(username: str, owner: str, known: frozenset[str]) -> SearchStrategy[Variant]:
    """Near-misses of ``username`` (owned by principal ``owner``) that match no known username."""
    n = len(username)
    families: list[SearchStrategy[Variant]] = [
        _inserted(
            username, st.just(0), WHITESPACE, "username:whitespace-leading", "whitespace", owner
        ),
        _inserted(
            username,
            st.integers(0, n),
            CONTROL_CHARACTERS,
            "username:control-char",
            "control character",
            owner,
        ),
        _inserted(
            username,
            st.integers(0, n),
            ZERO_WIDTH,
            "username:zero-width",
            "zero-width character",
            owner,
        ),
        overlong(username, owner),
    ]
    if n >= 2:
        families.append(
            _inserted(
                username,
                st.integers(1, n - 1),
                WHITESPACE,
                "username:whitespace-inner",
                "whitespace",
                owner,
            )
        )
    if n >= 1:
        families.append(
            _inserted(
                username,
                st.integers(1, n),
                COMBINING_MARKS,
                "username:combining",
                "combining mark",
                owner,
            )
        )
    for listed in (case_changes(username, owner), look_alikes(username, owner)):
        if listed:
            families.append(st.sampled_from(listed))
    return st.one_of(families).filter(lambda v: v.value not in known)


def representative_variant(username: str, owner: str, known: frozenset[str]) -> Variant:
    """The single variant most likely to expose a normalising lookup: upper case, else fullwidth."""
    for candidate in (*case_changes(username, owner), *look_alikes(username, owner)):
        if candidate.value not in known:
            return candidate
    return Variant.of(
        username + "\u200b",
        "username:zero-width",
        f"{owner}'s username with a zero-width space appended",
    )


def unknown_usernames(known: frozenset[str]) -> SearchStrategy[Variant]:
    """Usernames no principal has: plain, non-ASCII, or a known name with a suffix.

    None contains whitespace or a colon, so that in ``ApiKey <user>:<key>`` the
    only defect is the unknown name.
    """
    plain = st.text(USERNAME_CHARACTERS, min_size=1, max_size=30).map(
        lambda v: Variant.of(v, "unknown:plain", "an unknown username")
    )
    non_ascii = st.text(
        st.characters(exclude_categories=("Cc", "Cs", "Zs", "Zl", "Zp"), exclude_characters=":"),
        min_size=1,
        max_size=30,
    ).map(lambda v: Variant.of(v, "unknown:unicode", "an unknown username (any Unicode)"))
    families = [plain, non_ascii]
    if known:
        families.append(
            st.builds(
                lambda name, suffix: Variant.of(
                    name + suffix, "unknown:derived", f"an unknown username: {name} plus a suffix"
                ),
                st.sampled_from(sorted(known)),
                st.text(USERNAME_CHARACTERS, min_size=1, max_size=4),
            )
        )
    return st.one_of(families).filter(lambda v: v.value not in known and v.value.strip() != "")


def representative_unknown(known: frozenset[str]) -> str:
    """A deterministic unknown username for examples."""
    name, n = "authfuzz-unknown", 0
    while name in known:
        n += 1
        name = f"authfuzz-unknown-{n}"
    return name


def variant_forms(username: str, owner: str, known: frozenset[str]) -> list[Variant]:
    """One fixed variant of each family ``username_variants`` draws from (explicit sub-forms)."""
    n = len(username)

    def inserted(position: int, char: str, label: str, what: str) -> Variant:
        how = f"{owner}'s username with U+{ord(char):04X} ({what}) inserted at position {position}"
        return Variant.of(username[:position] + char + username[position:], label, how)

    found = [
        inserted(0, WHITESPACE[0], "username:whitespace-leading", "whitespace"),
        inserted(n, CONTROL_CHARACTERS[1], "username:control-char", "control character"),
        inserted(n, ZERO_WIDTH[0], "username:zero-width", "zero-width character"),
        Variant.of(
            (username * (MAX_USERNAME_LENGTH // max(1, n) + 1))[: MAX_USERNAME_LENGTH + 1]
            if username
            else "x" * (MAX_USERNAME_LENGTH + 1),
            "username:overlong",
            f"{owner}'s username repeated to {MAX_USERNAME_LENGTH + 1} characters",
        ),
    ]
    if n >= 2:
        found.append(inserted(1, WHITESPACE[0], "username:whitespace-inner", "whitespace"))
    if n >= 1:
        found.append(inserted(n, COMBINING_MARKS[0], "username:combining", "combining mark"))
    seen_labels: set[str] = set()
    for candidate in (*case_changes(username, owner), *look_alikes(username, owner)):
        label = candidate.labels[0]
        if label not in seen_labels and candidate.value not in known:
            seen_labels.add(label)
            found.append(candidate)
    return [v for v in found if v.value not in known]
