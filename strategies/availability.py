"""Which principals a branch needs, and why a branch cannot run with the ones given.

One place answers both questions, so the strategies draw only from the
principals that ``unavailable_reason`` checked for: an unavailable branch can
never be drawn by accident, and a skipped branch always has a reason to show
in the coverage matrix.
"""

from __future__ import annotations

from authfuzz.branches import Api, Branch
from authfuzz.principals import Principal, Principals, Role

CREDENTIAL_NAME = {Api.V1: "api_key", Api.V2: "token"}


def credential(principal: Principal, api: Api) -> str | None:
    """The secret ``principal`` authenticates with on ``api``."""
    return principal.api_key if api is Api.V1 else principal.token


def key_of(principal: Principal) -> str:
    """The principal's API key; only for principals ``holders`` returned for v1."""
    assert principal.api_key is not None
    return principal.api_key


def token_of(principal: Principal) -> str:
    """The principal's token; only for principals ``holders`` returned for v2."""
    assert principal.token is not None
    return principal.token


def holders(principals: Principals, api: Api, role: Role | None = None) -> tuple[Principal, ...]:
    """Principals (of ``role``, if given) that have a credential for ``api``, trusted first."""
    trusted = principals.trusted()
    found = [
        p for p in principals.members if credential(p, api) and (role is None or p.role is role)
    ]
    found.sort(key=lambda p: p is not trusted)
    return tuple(found)


def session_holders(principals: Principals) -> tuple[Principal, ...]:
    """Staff principals with a password: the client can log in and get a session cookie."""
    return tuple(p for p in principals.with_role(Role.STAFF) if p.password)


def other_key_pairs(principals: Principals) -> tuple[tuple[Principal, Principal], ...]:
    """(username owner, key owner) pairs where the key is not the username owner's key."""
    pairs = []
    for owner in principals.members:
        own = {p.api_key for p in principals.members if p.username == owner.username}
        for other in principals.members:
            if other.username != owner.username and other.api_key and other.api_key not in own:
                pairs.append((owner, other))
    return tuple(pairs)


def staff(principals: Principals, api: Api) -> Principal:
    """The trusted staff principal, which must have ``api``'s credential."""
    reason = _base_reason(principals, api)
    trusted = principals.trusted()
    if reason is not None or trusted is None:
        raise ValueError(reason)
    return trusted


def _base_reason(principals: Principals, api: Api) -> str | None:
    trusted = principals.trusted()
    name = CREDENTIAL_NAME[api]
    if trusted is None:
        return f"{api.value} needs a staff principal with a {name} (positive control, read-back)"
    if not credential(trusted, api):
        return (
            f"{api.value} needs the trusted staff principal ({trusted.name}) to have a {name}"
            " (positive control, read-back)"
        )
    return None


def unavailable_reason(principals: Principals, api: Api, branch: Branch) -> str | None:
    """Why ``branch`` cannot be exercised on ``api`` with these principals; None if it can."""
    if api not in branch.apis:
        return f"{branch.name} does not apply to {api.value}"
    base = _base_reason(principals, api)
    if base is not None:
        return base
    name = CREDENTIAL_NAME[api]
    if branch is Branch.NON_STAFF and not holders(principals, api, Role.USER):
        return f"NON_STAFF needs a user-role principal with a {name}"
    if branch is Branch.INACTIVE and not holders(principals, api, Role.INACTIVE):
        return f"INACTIVE needs an inactive principal with a {name}"
    if branch is Branch.SESSION_COOKIE and not session_holders(principals):
        return "SESSION_COOKIE needs a staff principal with a password"
    if branch is Branch.OTHER_USERS_KEY and not other_key_pairs(principals):
        return "OTHER_USERS_KEY needs two principals with different usernames and api_keys"
    if branch is Branch.CROSS_VERSION:
        other = Api.V2 if api is Api.V1 else Api.V1
        if not holders(principals, other, Role.STAFF):
            needed = CREDENTIAL_NAME[other]
            return f"CROSS_VERSION on {api.value} needs a staff principal with a {needed}"
    return None
