"""Keep secrets out of every string the harness produces.

Exact secrets become placeholders (``{principal.admin.api_key}``). Near misses
matter too: the wrong-key branch sends the real key minus one character, which
leaks 39 of 40 characters, so any run of characters that shares a long stretch
with a secret is masked as well, including inside Basic credentials. Keys and
tokens get one more pass: a strategy may split a key with a character that ends
a token (a fullwidth space, say), so any fragment of ``FRAGMENT`` characters of
a key, wherever it stands, is masked too; and it is looked for in the text as Unicode's
compatibility folding (NFKC) reads it, so the key spelt in fullwidth or mathematical digits,
which a normalising server takes for the key itself, is masked as the key.
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property

from authfuzz.principals import Principals

# Shortest stretch shared with a secret that counts as a leak.
MIN_SHARED = 8
# Shortest fragment of a key or token masked wherever it stands (hex: 24 bits of a key).
FRAGMENT = 6
_KEY_KINDS = (".api_key}", ".token}")
_TOKEN = re.compile(r"[A-Za-z0-9+/=_\-.%]{" + str(MIN_SHARED) + ",}")


@dataclass(frozen=True)
class Redactor:
    placeholders: tuple[tuple[str, str], ...]  # (secret, placeholder), longest secret first
    # placeholder -> the environment variable a reproduction reads it from
    env_names: tuple[tuple[str, str], ...] = ()

    @classmethod
    def for_principals(cls, principals: Principals) -> Redactor:
        pairs: dict[str, str] = {}
        names: dict[str, str] = {}
        for principal in principals:
            pairs.update(principal.secret_names())
            for kind in ("api_key", "token", "password"):
                names[f"{{principal.{principal.name}.{kind}}}"] = principal.env_name(kind)
        ordered = sorted(pairs.items(), key=lambda item: len(item[0]), reverse=True)
        return cls(tuple(ordered), tuple(sorted(names.items())))

    def redact(self, text: str) -> str:
        if not text or not self.placeholders:
            return text
        for secret, placeholder in self.placeholders:
            text = text.replace(secret, placeholder)
        text = self._mask_key_fragments(text)
        return _TOKEN.sub(self._mask_near_miss, text)

    # Computed once per redactor, not per string: a gate redacts every exchange it hands to
    # Schemathesis, some thousands per run.
    @cached_property
    def _key_fragments(self) -> frozenset[str]:
        return frozenset(
            secret[i : i + FRAGMENT].lower()
            for secret, placeholder in self.placeholders
            if placeholder.endswith(_KEY_KINDS)
            for i in range(len(secret) - FRAGMENT + 1)
        )

    @cached_property
    def _shared_stretches(self) -> tuple[frozenset[str], tuple[str, ...]]:
        """Every MIN_SHARED-long stretch of the longer secrets, and the shorter secrets whole."""
        lowered = [secret.lower() for secret, _ in self.placeholders]
        stretches = frozenset(
            secret[i : i + MIN_SHARED]
            for secret in lowered
            if len(secret) >= MIN_SHARED
            for i in range(len(secret) - MIN_SHARED + 1)
        )
        return stretches, tuple(secret for secret in lowered if len(secret) < MIN_SHARED)

    def _fragment_mask(self, text: str) -> list[bool]:
        folded, origin = _folded(text)
        masked = [False] * len(text)
        for fragment in self._key_fragments:
            start = folded.find(fragment)
            while start != -1:
                for at in origin[start : start + FRAGMENT]:
                    masked[at] = True
                start = folded.find(fragment, start + 1)
        return masked

    def _mask_key_fragments(self, text: str) -> str:
        masked = self._fragment_mask(text)
        if not any(masked):
            return text
        out, index = [], 0
        while index < len(text):
            if masked[index]:
                while index < len(text) and masked[index]:
                    index += 1
                out.append("{redacted}")
            else:
                out.append(text[index])
                index += 1
        return "".join(out)

    def _mask_near_miss(self, match: re.Match[str]) -> str:
        token = match.group(0)
        if token.startswith("{principal."):
            return token
        for candidate in (token, _decoded(token)):
            if candidate and self._shares_secret(candidate):
                return "{redacted}"
        return token

    def _shares_secret(self, value: str) -> bool:
        lowered = value.lower()
        stretches, short = self._shared_stretches
        if any(secret in lowered for secret in short):
            return True
        if len(lowered) - MIN_SHARED < len(stretches):  # the value's stretches are fewer
            return any(
                lowered[i : i + MIN_SHARED] in stretches
                for i in range(len(lowered) - MIN_SHARED + 1)
            )
        return any(stretch in lowered for stretch in stretches)

    def contains_secret(self, text: str) -> bool:
        """True if ``text`` holds any secret or a long stretch of one (used by tests)."""
        if any(self._fragment_mask(text)):
            return True
        return any(secret in text for secret, _ in self.placeholders) or any(
            self._shares_secret(m.group(0)) or self._shares_secret(_decoded(m.group(0)) or "")
            for m in _TOKEN.finditer(text)
            if not m.group(0).startswith("{principal.")
        )


def _folded(text: str) -> tuple[str, list[int]]:
    """``text`` lower-cased as NFKC reads it, and for each folded character the index of the
    character of ``text`` it came from."""
    if text.isascii():
        return text.lower(), list(range(len(text)))
    out: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        fold = unicodedata.normalize("NFKC", char).lower()
        out.append(fold)
        origin += [index] * len(fold)
    return "".join(out), origin


def _decoded(token: str) -> str | None:
    """Basic credentials hide a key in base64; look inside."""
    if len(token) % 4:
        return None
    try:
        return base64.b64decode(token, validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return None
