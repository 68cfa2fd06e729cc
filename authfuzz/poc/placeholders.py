"""Placeholders in PoC files: secrets, fresh values and harness-made objects, never literals.

A PoC file never holds a secret or a target-specific id. Inside any string value of a step
(path, header and query values, JSON strings, readback values) these are filled at run time:

- ``{principal.NAME.FIELD}``: FIELD (``username``, ``api_key``, ``token``, ``password``) of
  the target's principal NAME, or of the first principal with a role: ``@staff`` (the trusted
  staff principal), ``@user``, ``@inactive``;
- ``{random_key}``: a fresh wrong 40-hex key (no principal has it);
- ``{nonce}``: a fresh 12-hex value for each step of each run;
- ``{base_url}`` and ``{url_prefix}``: the target's base URL and allowed URL prefix;
- ``{object.os}``, ``{object.release}``, ``{object.release_file}``: pks of canaries the harness
  creates for the run (and removes afterwards); ``{object.draft_release}``: an unpublished
  release found by reading, the only object a production target offers.

``{{`` and ``}}`` stand for literal braces. Any other ``{name}`` is an error when the file is
read, so a typo never travels to the target as a literal.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from authfuzz.principals import Principal, Principals, Role
from authfuzz.vocabulary import RESOURCES

PRINCIPAL_FIELDS = ("username", "api_key", "token", "password")
ROLE_SELECTORS: dict[str, Role] = {
    "@staff": Role.STAFF,
    "@user": Role.USER,
    "@inactive": Role.INACTIVE,
}
CANARY_OBJECTS = RESOURCES
OBJECTS = (*CANARY_OBJECTS, "draft_release")
SIMPLE = ("nonce", "random_key", "base_url", "url_prefix")

_TOKENS = re.compile(r"\{\{|\}\}|\{([A-Za-z0-9_@.\-]+)\}")
_PRINCIPAL_NAME = re.compile(r"^(@[a-z]+|[A-Za-z0-9_\-]+)$")


class PlaceholderError(ValueError):
    """A ``{name}`` in a PoC file that is not a placeholder; the message says what is wrong."""


class UnfillableError(Exception):
    """A valid placeholder this target cannot fill (no such principal, no canaries...)."""


@dataclass(frozen=True)
class Placeholder:
    name: str  # the text inside the braces
    kind: str  # "principal", "object", or one of SIMPLE
    principal: str = ""  # principal name or @role selector
    field: str = ""  # principal field, or object name

    @property
    def text(self) -> str:
        return "{" + self.name + "}"


def parse(name: str) -> Placeholder:
    """The placeholder ``{name}`` stands for, or PlaceholderError saying why it is none."""
    if name in SIMPLE:
        return Placeholder(name, name)
    if name == "redacted":
        raise PlaceholderError(
            "{redacted} is a near-miss key the redactor masked; write {random_key} "
            "(a wrong key: the same branch)"
        )
    parts = name.split(".")
    if parts[0] == "principal":
        if len(parts) != 3 or not _PRINCIPAL_NAME.match(parts[1]):
            raise PlaceholderError(
                f"unknown placeholder {{{name}}}: write {{principal.NAME.FIELD}}, NAME a "
                f"principal name or one of {', '.join(ROLE_SELECTORS)}"
            )
        if parts[1].startswith("@") and parts[1] not in ROLE_SELECTORS:
            raise PlaceholderError(
                f"unknown placeholder {{{name}}}: role selector {parts[1]} is not one of "
                f"{', '.join(ROLE_SELECTORS)}"
            )
        if parts[2] not in PRINCIPAL_FIELDS:
            raise PlaceholderError(
                f"unknown placeholder {{{name}}}: field {parts[2]!r} is not one of "
                f"{', '.join(PRINCIPAL_FIELDS)}"
            )
        return Placeholder(name, "principal", principal=parts[1], field=parts[2])
    if parts[0] == "object":
        if len(parts) != 2 or parts[1] not in OBJECTS:
            raise PlaceholderError(
                f"unknown placeholder {{{name}}}: objects are "
                + ", ".join(f"{{object.{o}}}" for o in OBJECTS)
            )
        return Placeholder(name, "object", field=parts[1])
    known = ", ".join(f"{{{s}}}" for s in SIMPLE)
    raise PlaceholderError(
        f"unknown placeholder {{{name}}}; known: {known}, {{principal.NAME.FIELD}}, {{object.NAME}}"
    )


def found_in(text: str) -> Iterator[str]:
    """The names of every ``{name}`` in ``text`` (escaped braces excluded)."""
    for match in _TOKENS.finditer(text):
        if match.group(1) is not None:
            yield match.group(1)


def check(text: str) -> tuple[str, str] | None:
    """(the offending ``{name}``, the problem) for the first bad placeholder, or None."""
    for name in found_in(text):
        try:
            parse(name)
        except PlaceholderError as error:
            return "{" + name + "}", str(error)
    return None


def uses(text: str, kind: str, field: str | None = None) -> bool:
    """Does ``text`` use a placeholder of this kind (and field)?"""
    for name in found_in(text):
        placeholder = parse(name)
        if placeholder.kind == kind and (field is None or placeholder.field == field):
            return True
    return False


def fresh_random_key(principals: Principals) -> str:
    """A 40-hex key that is nobody's secret: the wrong-key branch, every run a new one."""
    taken = set(principals.secrets())
    while True:
        key = secrets.token_hex(20)
        if key not in taken:
            return key


def find_principal(principals: Principals, reference: str) -> Principal:
    """A principal by name or by role selector (``@staff`` is the trusted staff principal)."""
    if reference in ROLE_SELECTORS:
        role = ROLE_SELECTORS[reference]
        chosen = principals.trusted() if role is Role.STAFF else None
        if chosen is None:
            holders = principals.with_role(role)
            chosen = holders[0] if holders else None
        if chosen is None:
            raise UnfillableError(f"the target has no principal with role {role.value}")
        return chosen
    try:
        return principals.by_name(reference)
    except KeyError:
        known = ", ".join(p.name for p in principals) or "none"
        raise UnfillableError(
            f"the target has no principal {reference!r} (known: {known})"
        ) from None


@dataclass
class Values:
    """What the placeholders of one step are filled with."""

    principals: Principals
    nonce: str
    random_key: str
    base_url: str
    url_prefix: str
    objects: Callable[[str], int]  # object name -> pk; raises UnfillableError

    def value(self, placeholder: Placeholder) -> str:
        if placeholder.kind == "principal":
            principal = find_principal(self.principals, placeholder.principal)
            value = getattr(principal, placeholder.field)
            if not value:
                raise UnfillableError(
                    f"principal {principal.name!r} has no {placeholder.field} on this target"
                )
            return str(value)
        if placeholder.kind == "object":
            return str(self.objects(placeholder.field))
        simple: str = getattr(self, placeholder.kind)
        return simple


def fill(text: str, values: Values) -> str:
    """``text`` with every placeholder filled; UnfillableError names the first that cannot be."""

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "{{":
            return "{"
        if match.group(0) == "}}":
            return "}"
        placeholder = parse(match.group(1))
        try:
            return values.value(placeholder)
        except UnfillableError as error:
            raise UnfillableError(
                f"placeholder {placeholder.text} could not be filled: {error}"
            ) from None

    return _TOKENS.sub(replace, text)
