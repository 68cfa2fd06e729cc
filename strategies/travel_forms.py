"""Attempts built from ``authfuzz.travel``: overrides, proxy identity, internal trust, schemes.

Each row of the table becomes attempts of one branch. The strategies here draw a row and
the rest (which principal, with or without a negative header); ``subforms`` takes every row
once, explicitly. At HEAD none of these is a credential (release-api.md 2.2, 2.5): v1 reads
only ``ApiKey`` in ``Authorization``, v2 only ``Token``; no app reads a proxy identity header,
a client address or a method other than the request line's (Tastypie's override still needs
a staff key to write).
"""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from authfuzz.attempts import Attempt, Override
from authfuzz.branches import Api, Branch
from authfuzz.principals import Principal, Principals, Role
from authfuzz.travel import (
    FOREIGN_SCHEMES,
    METHOD_OVERRIDES,
    PROXY_IDENTITY_HEADERS,
    TRUST_HINTS,
    IdentityHeader,
    MethodOverride,
    Secret,
    TrustHint,
)
from strategies.availability import credential, holders, staff
from strategies.headers import basic, digest
from strategies.variant import Variant

WRONG_SECRET = "0" * 40  # well-formed and nobody's: every test principal's secret is random hex


def override_of(row: MethodOverride, via: str, lower: bool = False) -> Override:
    return Override(via, row.where.value, row.name, lower)


def override_attempt(
    api: Api,
    row: MethodOverride,
    via: str,
    header: Variant | None = None,
    lower: bool = False,
) -> Attempt:
    """The operation sent as ``via``, asking for its method through ``row``."""
    override = override_of(row, via, lower)
    credential_how = "no Authorization header" if header is None else f"Authorization: {header.how}"
    return Attempt(
        api,
        Branch.METHOD_OVERRIDE,
        f"{override.how}; {credential_how}",
        headers=() if header is None else (("Authorization", header.value),),
        override=override,
        labels=(
            row.label,
            f"override-via:{via}",
            *(("override:lower-case",) if lower else ()),
            *(("header:none",) if header is None else header.labels),
        ),
    )


def overrides(principals: Principals, api: Api) -> SearchStrategy[tuple[MethodOverride, str, bool]]:
    """(row, carrier, lower case) of the override table."""
    choices = [(row, via) for row in METHOD_OVERRIDES for via in row.carriers]
    return st.tuples(st.sampled_from(choices), st.booleans()).map(lambda t: (*t[0], t[1]))


def proxy_identity_attempt(api: Api, row: IdentityHeader, who: Principal) -> Attempt:
    return Attempt(
        api,
        Branch.PROXY_IDENTITY,
        f"{row.name}: {who.username}; no Authorization header",
        headers=((row.name, who.username),),
        labels=(row.label, "header:none"),
    )


def proxy_identity(principals: Principals, api: Api) -> SearchStrategy[Attempt]:
    """A proxy's identity header naming a staff user, and no API credential."""
    return st.builds(
        lambda row, who: proxy_identity_attempt(api, row, who),
        st.sampled_from(PROXY_IDENTITY_HEADERS),
        st.sampled_from(principals.with_role(Role.STAFF) or (staff(principals, api),)),
    )


def internal_trust_attempt(api: Api, hint: TrustHint) -> Attempt:
    return Attempt(
        api,
        Branch.INTERNAL_TRUST,
        f"{hint.name}: {hint.value}; no Authorization header",
        headers=((hint.name, hint.value),),
        labels=(hint.label, "header:none"),
    )


def internal_trust(principals: Principals, api: Api) -> SearchStrategy[Attempt]:
    """A client-address header naming loopback or a private network, and no API credential."""
    return st.sampled_from(TRUST_HINTS).map(lambda hint: internal_trust_attempt(api, hint))


def foreign_scheme_values(principals: Principals, api: Api) -> list[Variant]:
    """Every foreign scheme with every kind of secret (``authfuzz.travel.Secret``).

    The right secret in a foreign scheme is the staff principal's own (its API key or
    token, and its password for Basic); another user's is a non-staff principal's.
    """
    s = staff(principals, api)
    own = credential(s, api) or ""
    mine = f"<{s.name}'s {'api_key' if api is Api.V1 else 'token'}>"
    others = holders(principals, api, Role.USER)
    found: list[Variant] = []
    for scheme in FOREIGN_SCHEMES:
        slug = scheme.lower()

        def add(secret: Secret, value: str, how: str, slug: str = slug) -> None:
            found.append(Variant.of(value, f"scheme:{slug}-{secret.value}", how))

        add(Secret.NONE, scheme, f"{scheme} alone")
        if scheme == "Basic":
            add(Secret.EMPTY, basic(s.username, ""), f"Basic base64({s.username}:)")
            add(
                Secret.WRONG,
                basic(s.username, WRONG_SECRET),
                f"Basic base64({s.username}:<a wrong secret>)",
            )
            add(Secret.RIGHT_ONE, basic(s.username, own), f"Basic base64({s.username}:{mine})")
            if s.password:
                add(
                    Secret.RIGHT_ONE,
                    basic(s.username, s.password),
                    f"Basic base64({s.username}:<{s.name}'s password>)",
                )
            for o in others[:1]:
                secret = o.password or credential(o, api) or ""
                add(
                    Secret.OTHER_USERS,
                    basic(o.username, secret),
                    f"Basic base64({o.username}:<{o.name}'s secret>)",
                )
        elif scheme == "Digest":
            add(
                Secret.EMPTY,
                digest(s.username, ""),
                f"Digest for {s.username} with an empty response",
            )
            add(
                Secret.WRONG,
                digest(s.username, WRONG_SECRET),
                f"Digest for {s.username} with a wrong response",
            )
            add(Secret.RIGHT_ONE, digest(s.username, own), f"Digest with {mine} as response")
            for o in others[:1]:
                add(
                    Secret.OTHER_USERS,
                    digest(o.username, credential(o, api) or ""),
                    f"Digest with <{o.name}'s secret> as response",
                )
        else:
            add(Secret.WRONG, f"{scheme} {WRONG_SECRET}", f"{scheme} <a wrong secret>")
            add(Secret.RIGHT_ONE, f"{scheme} {own}", f"{scheme} {mine}")
            for o in others[:1]:
                add(
                    Secret.OTHER_USERS,
                    f"{scheme} {credential(o, api)}",
                    f"{scheme} <{o.name}'s secret>",
                )
    return found
