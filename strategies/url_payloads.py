"""Values for one release-file URL field, by category, derived from the target's ``url_prefix``.

The policy (``authfuzz.url_policy``, release-api.md 3.3) is a byte-for-byte prefix test. Each
rejected category here is a family of values that some *other* check would let through: a URL
parser that reads the host differently (userinfo, backslashes, missing or extra slashes,
percent-encoding, characters the WHATWG parser strips), a normaliser (case folding, NFKC, IDNA),
a looser test (``in``, ``endswith``, a host-suffix match, a check on the first or last N
characters) or a type confusion (a list or a number where a string was expected). Every one of
them fails the prefix test. The legal family is the reverse: values that pass it although they
look wrong, so that a check stricter than the policy shows up too.

Values are built around a *tail*, the path a legal value would have after the prefix,
``ftp/authfuzz/<nonce>/python-3.14.0.tgz`` (plus the suffix, for a sidecar). Only the part a
category is about differs from the legal ``prefix + tail``, and the nonce stays in: the
ReleaseFile.url column is UNIQUE, so a second copy of a value that a broken server stored would
be refused by the unique index and hide the finding.

Look-alikes come from the prefix's own scheme, host, port and path, so the same code serves
``https://www.python.org/`` and a staging prefix. Fixed foreign hosts (``evil.example``,
``pypi.org`` ...) appear only where a foreign host is the point. A builder may produce a variant
that happens to be legal for an unusual prefix (a dot replaced in a host without dots); the
caller drops those from rejected categories rather than mislabel them.

Postgres cannot store NUL, and the NUL payloads are kept anyway: they are rejected by the
policy, and a server that let one through would fail loudly rather than silently.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import quote

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from authfuzz.url_policy import SIDECAR_SUFFIXES
from strategies.usernames import CONFUSABLES, fullwidth

EVIL = "evil.example"
ARTIFACT = "python-3.14.0.tgz"
# Lengths around the column's 200 characters and common buffer sizes; the first is the example.
LONG_LENGTHS = (4096, 200, 201, 255, 256, 1024, 8192, 65536)

_PREFIX = re.compile(
    r"(?P<scheme>https?)://"
    r"(?P<host>[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])"
    r"(?::(?P<port>[0-9]{1,5}))?"
    r"(?P<path>/(?:[A-Za-z0-9._~!$&'()*+,;=:@%-]+/)*)"
)


class Payload(NamedTuple):
    value: object  # usually a str; a JSON list, object, number or boolean for non-string
    how: str  # what the value is and which check it defeats, in words


@dataclass(frozen=True)
class Prefix:
    """A ``url_prefix`` taken apart, so that look-alikes can be built from its pieces."""

    text: str  # "https://www.python.org/"
    scheme: str  # "https"
    host: str  # "www.python.org"
    port: str  # "" or "8000"
    path: str  # "/" or "/downloads/": starts and ends with "/"

    @property
    def authority(self) -> str:
        return f"{self.host}:{self.port}" if self.port else self.host

    @property
    def bare(self) -> str:
        """The host without a leading ``www.`` ("python.org")."""
        return self.host[4:] if self.host.startswith("www.") and len(self.host) > 4 else self.host

    @property
    def default_port(self) -> str:
        return "443" if self.scheme == "https" else "80"

    def legal(self, tail: str) -> str:
        return self.text + tail


def parse_prefix(url_prefix: str) -> Prefix:
    """Split ``scheme://host[:port]/path/``; anything else is refused.

    A prefix must end with "/": without it the policy itself accepts
    ``https://www.python.org.evil.example/``, and the rejected categories would mean nothing.
    """
    match = _PREFIX.fullmatch(url_prefix)
    if match is None:
        raise ValueError(
            f"url_prefix {url_prefix!r}: expected scheme://host[:port]/[path/] with scheme "
            "http or https, an ASCII host and a trailing slash"
        )
    return Prefix(url_prefix, match["scheme"], match["host"], match["port"] or "", match["path"])


def artifact_tail(nonce: str, suffix: str = "") -> str:
    """The path after the prefix of a legal artifact (or, with a suffix, of its sidecar)."""
    return f"ftp/authfuzz/{nonce}/{ARTIFACT}{suffix}"


def _encoded(text: str) -> str:
    return "".join(f"%{ord(c):02X}" for c in text)


def _punycode(host: str) -> str:
    return ".".join(
        label if label.isascii() else "xn--" + label.encode("punycode").decode("ascii")
        for label in host.split(".")
    )


def _bold(letters: str) -> str:
    """ASCII lower-case letters as MATHEMATICAL BOLD SMALL letters (NFKC maps them back)."""
    return "".join(chr(0x1D41A + ord(c) - ord("a")) if "a" <= c <= "z" else c for c in letters)


# --- rejected categories ------------------------------------------------------------------------


def lookalike_host(p: Prefix, nonce: str, suffix: str) -> list[Payload]:
    s, h, a, rest = p.scheme, p.host, p.authority, p.path + artifact_tail(nonce, suffix)
    other_port = f"0{p.port}" if p.port else p.default_port
    return [
        Payload(
            f"{s}://{h}.{EVIL}{rest}",
            f"the allowed host as a subdomain of {EVIL}: a 'contains' or host-prefix check passes",
        ),
        Payload(
            f"{s}://evil{p.bare}{rest}",
            "the allowed domain with 'evil' glued on in front: an endswith check passes",
        ),
        Payload(
            f"{s}://{a}@{EVIL}{rest}",
            f"the allowed host as userinfo: the real host is {EVIL}",
        ),
        Payload(
            f"{s}://{h}:{p.default_port}@{EVIL}{rest}",
            f"the allowed host and a port as user:password: the real host is {EVIL}",
        ),
        Payload(
            f"{s}://{h}:evil{rest}",
            "the allowed host with a non-numeric port: parsers disagree on what the host is",
        ),
        Payload(
            f"{s}://authfuzz:x@{a}{rest}",
            "userinfo in front of the allowed host: same host, but not the prefix",
        ),
        Payload(
            f"{s}://{h}:{other_port}{rest}",
            "the allowed host with an explicit or zero-padded port: same origin, not the prefix",
        ),
        Payload(
            f"{s}://{h}:4443{rest}" if p.port != "4443" else f"{s}://{h}:4444{rest}",
            "the allowed host on another port",
        ),
        Payload(f"{s}://authfuzz.{h}{rest}", "a subdomain of the allowed host"),
        Payload(
            f"{s}://{h}-{EVIL}{rest}",
            "the allowed host glued to a foreign domain with a hyphen",
        ),
    ]


def prefix_later(p: Prefix, nonce: str, suffix: str) -> list[Payload]:
    legal = p.legal(artifact_tail(nonce, suffix))
    return [
        Payload(
            f"https://{EVIL}/?next={legal}",
            "the legal URL in the query of a foreign URL: an 'in' or regex-search check passes",
        ),
        Payload(f"https://{EVIL}/#{legal}", "the legal URL in the fragment of a foreign URL"),
        Payload(f"https://{EVIL}/{legal}", "the legal URL as the path of a foreign URL"),
        Payload(
            f"https://{EVIL}/redirect?url={quote(legal, safe='')}",
            "the legal URL percent-encoded in a foreign redirect parameter",
        ),
        Payload(f"https://{EVIL}/;{legal}", "the legal URL after a ';' in a foreign URL's path"),
        Payload(f"data:text/plain,{legal}", "a data: URL whose content is the legal URL"),
        Payload(f"javascript:'{legal}'", "a javascript: URL quoting the legal URL"),
    ]


def scheme_relative(p: Prefix, nonce: str, suffix: str) -> list[Payload]:
    rest = p.authority + p.path + artifact_tail(nonce, suffix)
    return [
        Payload(f"//{rest}", "scheme-relative: a browser fetches it over the page's scheme"),
        Payload(f"///{rest}", "three leading slashes: browsers still read a host"),
        Payload(f"://{rest}", "the scheme left out but '://' kept"),
        Payload(
            f"//{p.authority}@{EVIL}{p.path}{artifact_tail(nonce, suffix)}",
            f"scheme-relative with the allowed host as userinfo of {EVIL}",
        ),
    ]


def relative(p: Prefix, nonce: str, suffix: str) -> list[Payload]:
    tail = artifact_tail(nonce, suffix)
    return [
        Payload(p.path + tail, "an absolute path with no scheme or host"),
        Payload(p.path[1:] + tail, "a relative path"),
        Payload(f"./{p.path[1:]}{tail}", "a dot-relative path"),
        Payload(f"../{p.path[1:]}{tail}", "a parent-relative path"),
        Payload(f"{p.authority}{p.path}{tail}", "host and path without a scheme"),
        Payload(f"?{tail}", "a query-only reference"),
    ]


def backslash(p: Prefix, nonce: str, suffix: str) -> list[Payload]:
    s, a, tail = p.scheme, p.authority, artifact_tail(nonce, suffix)
    rest = p.path + tail
    return [
        Payload(
            f"{s}:\\\\{a}{rest.replace('/', chr(92))}",
            "every slash a backslash: WHATWG parsers read backslashes as slashes",
        ),
        Payload(
            f"{s}://{a}\\@{EVIL}{rest}",
            f"a backslash before '@': WHATWG reads the allowed host, RFC 3986 reads {EVIL}",
        ),
        Payload(f"{s}:/\\{a}{rest}", "slash-backslash after the scheme"),
        Payload(f"{s}:\\/{a}{rest}", "backslash-slash after the scheme"),
        Payload(f"{s}://{a}\\{p.path[1:]}{tail}", "a backslash in place of the prefix's slash"),
        Payload(f"/\\{a}{rest}", "'/\\' in front of the host: browsers read it as '//'"),
        Payload(f"\\\\{a}{rest}", "a UNC-style '\\\\host' path"),
    ]


def missing_slash(p: Prefix, nonce: str, suffix: str) -> list[Payload]:
    s, a, tail = p.scheme, p.authority, artifact_tail(nonce, suffix)
    rest = p.path + tail
    cut = p.text[:-1]  # the prefix without its last slash
    return [
        Payload(f"{s}:/{a}{rest}", "one slash after the scheme: WHATWG parsers add the other"),
        Payload(f"{s}:{a}{rest}", "no slash after the scheme"),
        Payload(f"{s}//{a}{rest}", "no colon after the scheme"),
        Payload(f"{s}:///{a}{rest}", "three slashes after the scheme"),
        Payload(cut + tail, "the prefix without its last slash, the path glued on"),
        Payload(f"{cut}.{EVIL}/{tail}", f"the prefix without its last slash, then '.{EVIL}/'"),
        Payload(f"{cut}{EVIL}/{tail}", f"the prefix without its last slash, then '{EVIL}/'"),
        Payload(f"{cut}?{tail}", "the prefix without its last slash, then a query"),
        Payload(f"{cut}#{tail}", "the prefix without its last slash, then a fragment"),
    ]


def http_scheme(p: Prefix, nonce: str, suffix: str) -> list[Payload]:
    other = "http" if p.scheme == "https" else "https"
    rest = f"://{p.authority}{p.path}{artifact_tail(nonce, suffix)}"
    return [
        Payload(
            other + rest,
            f"{other}:// instead of {p.scheme}:// (the database constraint allows http://)",
        ),
        Payload("ftp" + rest, "ftp:// on the allowed host"),
        Payload("file" + rest, "file:// on the allowed host"),
        Payload(("wss" if p.scheme == "https" else "ws") + rest, "a websocket scheme"),
        Payload(f"{p.scheme}s{rest}", "the scheme with an extra 's'"),
    ]


def case_variant(p: Prefix, nonce: str, suffix: str) -> list[Payload]:
    tail = artifact_tail(nonce, suffix)
    s, a, port = p.scheme, p.authority, p.authority[len(p.host) :]
    first, dot, others = p.host.partition(".")
    candidates = [
        (p.text.upper(), "the whole prefix upper-cased"),
        (f"{s.upper()}://{a}{p.path}", "the scheme upper-cased"),
        (f"{s.capitalize()}://{a}{p.path}", "the scheme capitalised"),
        (f"{s}://{a.upper()}{p.path}", "the host upper-cased"),
        (f"{s}://{first.upper()}{dot}{others}{port}{p.path}", "the host's first label upper-cased"),
        (f"{s}://{a.title()}{p.path}", "the host title-cased"),
        (f"{s}://{a}{p.path.upper()}", "the prefix's path upper-cased"),
    ]
    found: dict[str, str] = {}
    for variant, how in candidates:
        if variant != p.text:
            found.setdefault(variant, how)
    return [
        Payload(variant + tail, how + ": a case-insensitive compare passes")
        for variant, how in found.items()
    ]


def _case_flips(p: Prefix, nonce: str, suffix: str) -> SearchStrategy[Payload]:
    tail = artifact_tail(nonce, suffix)
    letters = [i for i, c in enumerate(p.text) if c.swapcase() != c]

    def build(positions: list[int]) -> Payload:
        chars = list(p.text)
        for i in positions:
            chars[i] = chars[i].swapcase()
        return Payload("".join(chars) + tail, f"the case of {len(positions)} letter(s) flipped")

    return st.lists(st.sampled_from(letters), min_size=1, unique=True).map(build)


def percent_encoding(p: Prefix, nonce: str, suffix: str) -> list[Payload]:
    s, a, tail = p.scheme, p.authority, artifact_tail(nonce, suffix)
    rest = p.path + tail
    port = f":{p.port}" if p.port else ""
    return [
        Payload(
            f"{s}://{a}%2F@{EVIL}{rest}",
            f"an encoded slash before '@': decoded once, the allowed host; as sent, {EVIL}",
        ),
        Payload(
            f"{s}://{a}%252F@{EVIL}{rest}",
            "a double-encoded slash before '@': decoded twice, the allowed host",
        ),
        Payload(
            f"{s}://{a}%2F{p.path[1:]}{tail}",
            "the prefix's slash percent-encoded: decoding gives exactly the legal value",
        ),
        Payload(
            f"{s}://{a}%252F{p.path[1:]}{tail}",
            "the prefix's slash double-encoded: decoding twice gives the legal value",
        ),
        Payload(f"{s}%3A%2F%2F{a}{rest}", "'://' percent-encoded"),
        Payload(f"{s}://{_encoded(p.host)}{port}{rest}", "every character of the host encoded"),
        Payload(f"{_encoded(s[0])}{s[1:]}://{a}{rest}", "the scheme's first letter encoded"),
        Payload(f"{s}://{a}%40{EVIL}{rest}", f"an encoded '@' between the allowed host and {EVIL}"),
        Payload(f"{s}://{a}%2E{EVIL}{rest}", f"an encoded '.' between the allowed host and {EVIL}"),
        Payload(
            f"{s}://{a}%00.{EVIL}{rest}",
            "an encoded NUL in the host: a resolver that stops at it finds the allowed host",
        ),
        Payload(f"%2F%2F{a}{rest}", "an encoded scheme-relative URL"),
    ]


# Characters that a URL parser, str.strip() or a C string may drop or stop at.
CONTROLS = (
    *(chr(c) for c in range(0x20)),
    " ",
    "\x7f",
    "\x85",
    "\xa0",
    "\u1680",
    "\u2000",
    "\u2028",
    "\u2029",
    "\u3000",
    "\u200b",
    "\ufeff",
)


def control_chars(p: Prefix, nonce: str, suffix: str) -> list[Payload]:
    s, h, a, tail = p.scheme, p.host, p.authority, artifact_tail(nonce, suffix)
    legal = p.legal(tail)
    rest = p.path + tail
    leading = [
        (" ", "a leading space: str.strip() and URL parsers drop it"),
        ("   ", "leading spaces"),
        ("\t", "a leading tab"),
        ("\n", "a leading LF"),
        ("\r\n", "a leading CRLF"),
        ("\x00", "a leading NUL"),
        ("\x0b\x0c", "leading VT and FF (whitespace to str.strip())"),
        ("\x1f", "a leading unit separator (a C0 control the WHATWG parser trims)"),
        ("\x85", "a leading NEL (whitespace to str.strip())"),
        ("\xa0", "a leading no-break space (whitespace to str.strip())"),
        ("\u3000", "a leading ideographic space (whitespace to str.strip())"),
        ("\ufeff", "a leading byte order mark"),
        ("\u200b", "a leading zero-width space"),
    ]
    return [
        *(Payload(chars + legal, how) for chars, how in leading),
        Payload(
            f"{s}:/\t/{a}{rest}",
            "a tab between the slashes: the WHATWG parser removes tabs and newlines anywhere",
        ),
        Payload(f"{s[:2]}\n{s[2:]}://{a}{rest}", "a LF inside the scheme"),
        Payload(f"{s}://{a}\r\n{rest}", "a CRLF before the prefix's last slash"),
        Payload(f"{s}://{h}\x00.{EVIL}{rest}", "a NUL inside the host: a C resolver stops at it"),
        Payload(f"{s}://{a}\t@{EVIL}{rest}", f"a tab then userinfo: the real host is {EVIL}"),
    ]


def _inserted_controls(p: Prefix, nonce: str, suffix: str) -> SearchStrategy[Payload]:
    tail = artifact_tail(nonce, suffix)

    def build(char: str, position: int) -> Payload:
        value = p.text[:position] + char + p.text[position:] + tail
        return Payload(value, f"U+{ord(char):04X} inserted at position {position} of the prefix")

    # Up to len - 1: a character inserted after the whole prefix is legal trailing junk.
    return st.builds(build, st.sampled_from(CONTROLS), st.integers(0, len(p.text) - 1))


def unicode_delimiters(p: Prefix, nonce: str, suffix: str) -> list[Payload]:
    s, h, tail = p.scheme, p.host, artifact_tail(nonce, suffix)
    port = f":{p.port}" if p.port else ""
    rest = p.path + tail

    def dots(replacement: str) -> str:
        return f"{s}://{h.replace('.', replacement)}{port}{rest}"

    wide_prefix = "".join(fullwidth(c) or c for c in p.text)
    return [
        Payload(
            p.text.replace("/", "\uff0f") + tail,
            "the prefix's slashes as FULLWIDTH SOLIDUS (U+FF0F): NFKC gives the legal value",
        ),
        Payload(
            f"{s}://{p.authority}\uff20{EVIL}{rest}",
            f"FULLWIDTH COMMERCIAL AT (U+FF20) before {EVIL}: after NFKC the host is {EVIL}",
        ),
        Payload(dots("\uff0e"), "the host's dots as FULLWIDTH FULL STOP (U+FF0E): NFKC gives '.'"),
        Payload(
            dots("\u3002"), "the host's dots as IDEOGRAPHIC FULL STOP (U+3002): IDNA reads '.'"
        ),
        Payload(
            dots("\uff61"),
            "the host's dots as HALFWIDTH IDEOGRAPHIC FULL STOP (U+FF61): IDNA reads '.'",
        ),
        Payload(dots("\u2024"), "the host's dots as ONE DOT LEADER (U+2024): NFKC gives '.'"),
        Payload(wide_prefix + tail, "the whole prefix in fullwidth forms: NFKC gives the prefix"),
        Payload(
            f"{s}\uff1a//{p.authority}{rest}",
            "FULLWIDTH COLON (U+FF1A) after the scheme: NFKC gives ':'",
        ),
        Payload(
            f"{s}://{p.authority}\ufe6b{EVIL}{rest}",
            f"SMALL COMMERCIAL AT (U+FE6B) before {EVIL}: NFKC gives '@'",
        ),
        Payload(
            _bold(s) + p.text[len(s) :] + tail,
            "the scheme in MATHEMATICAL BOLD letters: NFKC gives the prefix",
        ),
        Payload(
            p.text.replace("/", "\u2215") + tail,
            "the prefix's slashes as DIVISION SLASH (U+2215): looks like '/', survives NFKC",
        ),
        Payload(
            p.text.replace("/", "\u2044") + tail,
            "the prefix's slashes as FRACTION SLASH (U+2044): looks like '/', survives NFKC",
        ),
    ]


def _one_fullwidth(p: Prefix, nonce: str, suffix: str) -> SearchStrategy[Payload]:
    tail = artifact_tail(nonce, suffix)
    positions = [i for i, c in enumerate(p.text) if fullwidth(c) is not None]

    def build(i: int) -> Payload:
        wide = fullwidth(p.text[i]) or p.text[i]
        value = p.text[:i] + wide + p.text[i + 1 :] + tail
        return Payload(value, f"prefix character {i + 1} in its fullwidth form: NFKC undoes it")

    return st.sampled_from(positions).map(build)


# Non-ASCII letters that lower(), upper() or NFKC turn into ASCII ones:
# KELVIN SIGN (lower: k), LATIN SMALL LETTER LONG S (upper: S, NFKC: s), DOTLESS I (upper: I).
_FOLDING = {"k": "\u212a", "s": "\u017f", "i": "\u0131"}


def idn_host(p: Prefix, nonce: str, suffix: str) -> list[Payload]:
    s, h, rest = p.scheme, p.host, p.path + artifact_tail(nonce, suffix)
    port = f":{p.port}" if p.port else ""
    found: list[Payload] = []
    for i, char in enumerate(h):
        if char in CONFUSABLES:
            host = h[:i] + CONFUSABLES[char] + h[i + 1 :]
            how = f"host character {i + 1} ({char!r}) replaced by a Cyrillic look-alike"
            found.append(Payload(f"{s}://{host}{port}{rest}", how))
            if len(found) == 1:  # the punycode form of the first look-alike only
                found.append(
                    Payload(
                        f"{s}://{_punycode(host)}{port}{rest}",
                        f"the punycode (xn--) form of a host with character {i + 1} ({char!r}) "
                        "swapped for a Cyrillic letter",
                    )
                )
    found.append(
        Payload(
            f"{s}://{h}.{port}{rest}",
            "the allowed host with a trailing dot: the same DNS name, another string",
        )
    )
    if len(h) > 1:
        found.append(
            Payload(
                f"{s}://{h[0]}\u00ad{h[1:]}{port}{rest}",
                "a SOFT HYPHEN in the host: IDNA maps it to nothing",
            )
        )
    letters = "".join((fullwidth(c) or c) if c.isalpha() else c for c in h)
    found.append(
        Payload(
            f"{s}://{letters}{port}{rest}",
            "the host's letters in fullwidth forms: IDNA maps them to ASCII",
        )
    )
    for char, folded in _FOLDING.items():
        if char in h:
            found.append(
                Payload(
                    f"{s}://{h.replace(char, folded, 1)}{port}{rest}",
                    f"{char!r} in the host replaced by U+{ord(folded):04X}, which case mapping "
                    "turns into it",
                )
            )
    return found


def _overlong_builders(p: Prefix, nonce: str, suffix: str) -> list[Callable[[int], Payload]]:
    s, h, a, tail = p.scheme, p.host, p.authority, artifact_tail(nonce, suffix)
    return [
        lambda n: Payload(
            f"https://{EVIL}/{'a' * n}/{tail}",
            f"a foreign URL {n}+ characters long: a check that gives up on long input passes",
        ),
        lambda n: Payload(
            f"{s}://{a}:{'a' * n}@{EVIL}{p.path}{tail}",
            f"the allowed host then a {n}-character password: the real host is {EVIL}",
        ),
        lambda n: Payload(
            f"{s}://{h}.{'a.' * (n // 2)}{EVIL}{p.path}{tail}",
            f"the allowed host as the start of a {n}-character host under {EVIL}",
        ),
        lambda n: Payload(
            f"https://{EVIL}/{'a' * n}{p.legal(tail)}",
            f"the legal URL after {n} characters of a foreign URL: a check on the end passes",
        ),
        lambda n: Payload(
            " " * n + p.legal(tail), f"the legal URL after {n} spaces: stripping gives it"
        ),
    ]


def overlong(p: Prefix, nonce: str, suffix: str) -> list[Payload]:
    return [build(LONG_LENGTHS[0]) for build in _overlong_builders(p, nonce, suffix)]


def _overlong_lengths(p: Prefix, nonce: str, suffix: str) -> SearchStrategy[Payload]:
    builders = _overlong_builders(p, nonce, suffix)
    return st.builds(lambda b, n: b(n), st.sampled_from(builders), st.sampled_from(LONG_LENGTHS))


def non_string(p: Prefix, nonce: str, suffix: str) -> list[Payload]:
    tail = artifact_tail(nonce, suffix)
    legal = p.legal(tail)
    foreign = f"https://{EVIL}/{tail}"
    return [
        Payload(
            [legal],
            "a list holding the legal URL: a str-only check skips it, str() stores \"['...']\"",
        ),
        Payload({"url": legal}, "an object holding the legal URL"),
        Payload([legal, foreign], "a list of the legal URL and a foreign one"),
        Payload([foreign], "a list holding a foreign URL"),
        Payload([[legal]], "a nested list holding the legal URL"),
        Payload(0, "the number 0: falsy, so an 'if value' check treats it as empty"),
        Payload(False, "false: falsy, so an 'if value' check treats it as empty"),
        Payload([], "an empty list: falsy"),
        Payload({}, "an empty object: falsy"),
        Payload(True, "true"),
        Payload(1, "the number 1"),
        Payload(-1, "the number -1"),
        Payload(1.5, "the number 1.5"),
        Payload(10**30, "an integer wider than 64 bits"),
    ]


def other_host(p: Prefix, nonce: str, suffix: str) -> list[Payload]:
    tail = artifact_tail(nonce, suffix)
    sibling = p.bare if p.bare != p.host else f"www.{p.host}"
    candidates = [
        Payload(f"https://{EVIL}/{tail}", "a plain foreign host"),
        Payload(f"https://pypi.org/{tail}", "PyPI"),
        Payload(f"https://files.pythonhosted.org/{tail}", "PyPI's file host"),
        Payload(f"https://docs.python.org/{tail}", "another python.org host"),
        Payload(f"https://www.python.org/{tail}", "python.org's download host"),
        Payload(f"{p.scheme}://{sibling}{p.path}{tail}", "the allowed host with or without www."),
        Payload(f"https://github.com/python/cpython/releases/download/{tail}", "a GitHub release"),
        Payload(f"http://localhost/{tail}", "localhost"),
        Payload(f"http://127.0.0.1/{tail}", "the IPv4 loopback address"),
        Payload(f"http://[::1]/{tail}", "the IPv6 loopback address"),
        Payload(f"http://169.254.169.254/{tail}", "a cloud metadata address"),
        Payload(f"file:///tmp/{tail}", "a local file"),
    ]
    return [c for c in candidates if not (isinstance(c.value, str) and c.value.startswith(p.text))]


# --- legal --------------------------------------------------------------------------------------


def legal_odd_path(p: Prefix, nonce: str, suffix: str) -> list[Payload]:
    """Values that begin with the exact prefix: whatever follows is not the policy's business.

    These are artifact URLs; a sidecar is one of them plus ``suffix`` (the caller appends it, so
    that ``url`` can be the same odd value and the sidecar rule holds).
    """
    del suffix
    t = p.text
    base = f"ftp/authfuzz/{nonce}"
    tail = artifact_tail(nonce)
    return [
        Payload(f"{t}{base}/../../../../etc/passwd", "'..' segments after the prefix"),
        Payload(f"{t}{base}/python 3.14.0 final.tgz", "spaces in the path"),
        Payload(f"{t}{base}/pythön-3.14.0-ü.tgz", "non-ASCII letters in the path"),
        Payload(
            f"{t}{tail}?download=1&next=https://{EVIL}/",
            "a query string carrying a foreign URL",
        ),
        Payload(f"{t}{tail}#https://{EVIL}/", "a fragment carrying a foreign URL"),
        Payload(f"{t}@{EVIL}/{tail}", "'@evil.example' after the prefix: path, not userinfo"),
        Payload(f"{t}/{EVIL}/{tail}", "'//' right after the prefix"),
        Payload(f"{t}\\{EVIL}/{tail}", "a backslash right after the prefix"),
        Payload(f"{t}%2F%2F{EVIL}/{tail}", "encoded slashes right after the prefix"),
        Payload(f"{t}{tail}\t", "a trailing tab: junk after the exact prefix is legal"),
        Payload(f"{t}{tail} ", "a trailing space"),
        Payload(f"{t}?{base}", "the prefix then a bare query"),
        Payload(f"{t}{base}/{'a' * 4096}.tgz", "a path 4096+ characters long"),
    ]


def _odd_tails(p: Prefix, nonce: str, suffix: str) -> SearchStrategy[Payload]:
    del suffix  # as in legal_odd_path
    # No NUL and no surrogates: a legal value should be storable in Postgres.
    text = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"))
    long_paths = st.sampled_from(LONG_LENGTHS).map(lambda n: "a" * n)
    return st.builds(
        lambda junk: Payload(
            f"{p.text}ftp/authfuzz/{nonce}/{junk}", "arbitrary text after the prefix"
        ),
        st.one_of(text, long_paths),
    )


PayloadBuilder = Callable[[Prefix, str, str], list[Payload]]
DrawnBuilder = Callable[[Prefix, str, str], SearchStrategy[Payload]]

# One builder per category whose value is decided by the prefix rule alone. The first payload of
# each is the category's example: the one most likely to slip through a plausible regression.
FIXED: dict[str, PayloadBuilder] = {
    "lookalike-host": lookalike_host,
    "prefix-later": prefix_later,
    "scheme-relative": scheme_relative,
    "relative": relative,
    "backslash": backslash,
    "missing-slash": missing_slash,
    "http-scheme": http_scheme,
    "case-variant": case_variant,
    "percent-encoding": percent_encoding,
    "control-chars": control_chars,
    "unicode-delimiters": unicode_delimiters,
    "idn-host": idn_host,
    "overlong": overlong,
    "non-string": non_string,
    "other-host": other_host,
    "legal-odd-path": legal_odd_path,
}
# Categories with a parametrised family on top of the fixed list.
DRAWN: dict[str, DrawnBuilder] = {
    "case-variant": _case_flips,
    "control-chars": _inserted_controls,
    "unicode-delimiters": _one_fullwidth,
    "overlong": _overlong_lengths,
    "legal-odd-path": _odd_tails,
}


# --- the sidecar rule ---------------------------------------------------------------------------


def mismatched_sidecars(p: Prefix, nonce: str, suffix: str) -> list[tuple[str, str, str]]:
    """(url, sidecar, how): both begin with the prefix, but the sidecar is not url + suffix."""
    url = p.legal(artifact_tail(nonce))
    other = next(s for s in SIDECAR_SUFFIXES.values() if s != suffix)
    return [
        (
            url,
            p.legal(f"ftp/authfuzz/{nonce}/python-3.14.0.tar.xz{suffix}"),
            "the signature of another artifact",
        ),
        (url, url + other, f"the wrong suffix ({other!r})"),
        (url, url + suffix.upper(), "the suffix upper-cased"),
        (
            url,
            p.legal(f"ftp/authfuzz/{nonce}/other/{ARTIFACT}{suffix}"),
            "the right file name and suffix under another path",
        ),
        (url + "?download=1", url + suffix, "url has a query string the sidecar leaves out"),
        (
            url + "?download=1",
            url + suffix + "?download=1",
            "url's query string after the suffix instead of before it",
        ),
        (url + "#sha256", url + suffix, "url has a fragment the sidecar leaves out"),
        (url, url, "the artifact's own URL, no suffix"),
        (url, url + suffix + suffix, "the suffix twice"),
        (url, url + suffix[1:], "the suffix without its dot"),
        (url, url + suffix + " ", "a trailing space after the suffix"),
        (url, url.removesuffix(".tgz") + suffix, "the suffix replacing the artifact's extension"),
        (url, url.replace(ARTIFACT, ARTIFACT.upper()) + suffix, "the file name upper-cased"),
        (
            url,
            p.legal(f"ftp%2Fauthfuzz/{nonce}/{ARTIFACT}{suffix}"),
            "a slash of the path percent-encoded",
        ),
    ]


def moved_urls(p: Prefix, nonce: str, suffix: str) -> list[tuple[str, str, str]]:
    """(url, sidecar, how): a new ``url`` that the existing sidecar no longer matches."""
    old = p.legal(artifact_tail(nonce))
    return [
        (
            p.legal(f"ftp/authfuzz/{nonce}/python-3.14.1.tgz"),
            old + suffix,
            "url changed to another artifact, the sidecar still names the old one",
        ),
        (old + "?download=1", old + suffix, "url given a query string the sidecar leaves out"),
        (old.replace(ARTIFACT, ARTIFACT.upper()), old + suffix, "url's file name upper-cased"),
        (old + "/", old + suffix, "url given a trailing slash"),
    ]


def sidecar_urls(p: Prefix, nonce: str) -> list[tuple[str, str]]:
    """(url, how): legal artifact URLs to pair with exactly matching sidecars."""
    base = p.legal(artifact_tail(nonce))
    return [
        (base, "a plain artifact URL"),
        (base + "?download=1&from=%2Fftp", "an artifact URL with a query string"),
        (base + "#sha256", "an artifact URL with a fragment"),
        (p.legal(f"ftp/authfuzz/{nonce}/pythön 3.14.0.tgz"), "an artifact URL with odd characters"),
    ]
