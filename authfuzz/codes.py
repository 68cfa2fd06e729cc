"""Stable finding codes: one per invariant and family of branch, the same in every release.

A code names the *kind* of hole (``AFW11``: a known username with a wrong key got a write
through), so that code scanning, a baseline file, a ticket and ``authfuzz explain`` all speak
of the same thing across runs, seeds and versions. The letter is the invariant; the number is
the branch's family, from the tables below. Numbers are never reused or renumbered: a new
family takes the next free number, a retired one keeps its number with its explanation.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from authfuzz.branches import Branch
from authfuzz.url_policy import SIDECAR_SUFFIXES

OTHER = 99  # a branch this table does not know yet: the invariant's catch-all


@dataclass(frozen=True)
class Invariant:
    letter: str
    title: str
    why: str
    fix: str
    severity: float  # GitHub code scanning's security-severity (CVSS-like, 0-10)


INVARIANTS: dict[str, Invariant] = {
    "no-unauthenticated-write": Invariant(
        "W",
        "A request without valid, active staff credentials changed state (or read a draft)",
        "Only an active staff principal's API key (v1) or token (v2) may write. Anything else "
        "that changes what the API holds, or reads an unpublished release, is the class of the "
        "February 2026 incident: download and signature URLs users are offered could be "
        "rewritten by anyone.",
        "Reject the credential on the branch named: v1 ApiKeyAuthentication must refuse a known "
        "username with a wrong key, inactive users and every malformed header (401); v2 writes "
        "need an active staff user's token; overrides, proxy headers and session cookies must "
        "never stand in for a credential.",
        9.1,
    ),
    "no-foreign-url": Invariant(
        "U",
        "A release file was stored with a URL outside https://www.python.org/",
        "Every release-file URL field (the download and each sidecar: signature, certificate, "
        "bundle, SBOM) must be an https URL under the python.org prefix, and a sidecar must "
        "belong to its file's URL. Anything else sends users' downloads or their verification "
        "elsewhere.",
        "Validate every URL field on every write path (v1 and v2, create, PUT and PATCH, each "
        "field alone) in the model and the database, not only in one serializer.",
        8.1,
    ),
    "bulk-delete-stays-in-scope": Invariant(
        "B",
        "A release-file bulk delete removed files outside the one release it named",
        "A bulk delete must be scoped by exactly one existing release id; a blank, malformed, "
        "repeated or extra filter must delete nothing or only that release's files.",
        "Parse the release parameter strictly (a plain integer) and delete exactly "
        "release_id=N; reject or ignore every other parameter.",
        7.5,
    ),
    "no-undocumented-write": Invariant(
        "R",
        "A route or method the API does not document changed state",
        "Only the documented routes and methods may write; a spelling (no slash, double "
        "slash, upper case, encoded slash, a format suffix) or a method the spec does not "
        "list must not reach a write.",
        "Remove or lock down the undocumented route or method (Tastypie's default list "
        "methods, DRF format suffixes) so it answers 404/405.",
        6.5,
    ),
}

# Families of branch, per invariant: family name -> (number, what it is).
_BRANCHES = {branch.slug: (n, branch.description) for n, branch in enumerate(Branch, start=1)}
FAMILIES: dict[str, dict[str, tuple[int, str]]] = {
    "no-unauthenticated-write": {
        **_BRANCHES,  # 1-26, in the order of authfuzz.branches.Branch (append only)
        "route": (40, "an undocumented spelling of a route, without valid staff credentials"),
        "poc": (50, "a proof-of-concept file from pocs/: a reported incident, replayed"),
    },
    "no-foreign-url": {
        "url": (1, "the download URL itself"),
        **{
            field: (n, f"the {field} sidecar ({suffix})")
            for n, (field, suffix) in enumerate(SIDECAR_SUFFIXES.items(), start=2)
        },
        "sidecar-without-url": (10, "a sidecar stored on a file with no download URL"),
        "other-file-url": (11, "another release file's URL taken over"),
        "stored": (20, "a URL already stored, found by the sweep of every release file"),
    },
    "bulk-delete-stays-in-scope": {
        "bulk-filter": (1, "a bulk-delete filter (blank, malformed, repeated or extra)"),
    },
    "no-undocumented-write": {
        "route": (1, "a spelling or method of a route the API does not document"),
    },
}


@dataclass(frozen=True)
class Code:
    code: str
    invariant: str
    family: str
    what: str

    def explain(self, width: int = 92) -> str:
        inv = INVARIANTS[self.invariant]
        rows = [
            ("invariant", self.invariant),
            ("branch", f"{self.family}: {self.what}"),
            ("severity", f"{inv.severity} (security-severity, as code scanning shows it)"),
            ("why", inv.why),
            ("fix", inv.fix),
            ("reproduce", "every finding carries a curl line and a PoC file: authfuzz repro "
             "<report-dir>/pocs/"),
        ]  # fmt: skip
        lines = [f"{self.code}: {inv.title}"]
        for name, text in rows:
            lines.append(
                textwrap.fill(
                    text,
                    width,
                    initial_indent=f"  {name:<10} ",
                    subsequent_indent=" " * 13,
                    break_on_hyphens=False,
                )
            )
        return "\n".join(lines)


def family(invariant: str, branch: str) -> str:
    """The family of a finding's branch: ``v2-patch:alone:url`` -> ``url``, ``poc:x`` ->
    ``poc``, ``route:encoded-slash`` -> ``route``, ``wrong-key`` -> ``wrong-key``."""
    known = FAMILIES.get(invariant, {})
    if invariant == "no-foreign-url":
        head, _, rest = branch.partition(":")
        if head == "stored":
            return "stored"
        case = rest.rsplit(":", 1)[-1] if rest else head
        return case if case in known else "other"
    head = branch.split(":", 1)[0]
    return head if head in known else "other"


def code_of(invariant: str, branch: str) -> str:
    """``AFW11``; an unknown invariant is ``AFX99``."""
    inv = INVARIANTS.get(invariant)
    name = family(invariant, branch)
    number = FAMILIES.get(invariant, {}).get(name, (OTHER, ""))[0]
    return f"AF{inv.letter if inv else 'X'}{number:02d}"


def catalogue() -> list[Code]:
    """Every code, in order: what ``authfuzz explain`` and the SARIF rules list."""
    codes = []
    for invariant, inv in INVARIANTS.items():
        for name, (number, what) in sorted(FAMILIES[invariant].items(), key=lambda i: i[1][0]):
            codes.append(Code(f"AF{inv.letter}{number:02d}", invariant, name, what))
        codes.append(
            Code(
                f"AF{inv.letter}{OTHER}", invariant, "other", "a branch this version does not name"
            )
        )
    return codes


def lookup(code: str) -> Code | None:
    wanted = code.strip().upper()
    return next((c for c in catalogue() if c.code == wanted), None)
