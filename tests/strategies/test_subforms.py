"""The explicit sub-forms agree with the strategies, are all negative, and are all spent.

``strategies.subforms`` promises that no form of a branch depends on a random draw. These
tests hold it to that: every label a branch's strategy draws has a fixed attempt (so a new
family added to a strategy without its sub-form fails here), every fixed attempt is rejected
by the independent reference model of the server, and the covering set the gate runs spends
each sub-form exactly as the module says.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings

from authfuzz.attempts import Attempt
from authfuzz.branches import Api, Branch
from authfuzz.operations import write_operations
from strategies import available_branches, example_attempt, negative_attempts
from strategies.anonymous import costs_anonymous_read
from strategies.subforms import assigned, same_form, subform_attempts
from tests.strategies.test_strategies_auth import COVER, P, _check

OPERATIONS = write_operations(Path(__file__).parents[2] / "specs" / "pythondotorg.yaml")
CASES = [(api, b) for api in Api for b in available_branches(P, api)]
IDS = [f"{api.value}-{b.slug}" for api, b in CASES]
# Labels that qualify another form rather than name one: the scheme's spelling (its own
# sub-forms are under scheme-only) and the negative header a composite branch carries (the
# header branches' own sub-forms).
MODIFIERS = ("scheme-case:", "header:", "valid-first", "valid-last", "with-")
COMPOSITE_PREFIXES = {
    Branch.LEGACY_QUERY: ("query:",),
    Branch.LEGACY_FORM: ("form:",),
    Branch.MIXED_SOURCES: ("mixed:",),
    Branch.METHOD_OVERRIDE: ("override:", "override-via:"),
}


def _naming(branch: Branch, labels: tuple[str, ...]) -> set[str]:
    """The labels of an attempt that name one of ``branch``'s own sub-forms."""
    prefixes = COMPOSITE_PREFIXES.get(branch)
    if prefixes is not None:
        return {label for label in labels if label.startswith(prefixes)}
    return {label for label in labels if not label.startswith(MODIFIERS)}


@pytest.mark.parametrize(("api", "branch"), CASES, ids=IDS)
def test_every_sub_form_is_negative_and_secret_free(api: Api, branch: Branch) -> None:
    forms = subform_attempts(P, api, branch)
    assert forms, "every available branch has at least its example"
    for attempt in forms:
        assert attempt.branch is branch
        _check(attempt, P, api)


@pytest.mark.parametrize(("api", "branch"), CASES, ids=IDS)
def test_every_label_the_strategy_draws_has_a_fixed_sub_form(api: Api, branch: Branch) -> None:
    fixed: set[str] = set()
    for attempt in subform_attempts(P, api, branch):
        fixed |= _naming(branch, attempt.labels)
    drawn: set[str] = set()

    @settings(COVER, max_examples=300)
    @given(negative_attempts(P, api, branch))
    def draw(attempt: Attempt) -> None:
        drawn.update(_naming(branch, attempt.labels))

    draw()
    assert drawn <= fixed, f"drawn but never sent on purpose: {sorted(drawn - fixed)}"


@pytest.mark.parametrize(("api", "branch"), CASES, ids=IDS)
def test_the_covering_set_spends_every_sub_form(api: Api, branch: Branch) -> None:
    """Once per API (the operations taking turns); overrides once per HTTP method, but for a
    v2 form a correct server answers as an anonymous read: once per API (100 a day)."""
    example = example_attempt(P, api, branch)
    expected = [a for a in subform_attempts(P, api, branch) if not same_form(a, example)]
    mine = [op for op in OPERATIONS if op.api is api]
    spent: dict[str, list[Attempt]] = {}
    for op in mine:
        spent.setdefault(op.method, []).extend(assigned(P, op, branch, OPERATIONS))
    if branch is Branch.METHOD_OVERRIDE:
        scarce = [a for a in expected if costs_anonymous_read(a, "GET")]
        assert bool(scarce) is (api is Api.V2)
        for method, attempts in spent.items():
            kept = [a for a in attempts if not costs_anonymous_read(a, "GET")]
            plenty = [a for a in expected if a not in scarce]
            assert sorted(map(repr, kept)) == sorted(map(repr, plenty)), method
        once = [a for attempts in spent.values() for a in attempts if a in scarce]
        assert sorted(map(repr, once)) == sorted(map(repr, scarce))
    else:
        everything = [a for attempts in spent.values() for a in attempts]
        assert sorted(map(repr, everything)) == sorted(map(repr, expected))
    per_op = [len(assigned(P, op, branch, OPERATIONS)) for op in mine]
    assert max(per_op) - min(per_op) <= (1 if branch is not Branch.METHOD_OVERRIDE else 14)


def test_the_sub_forms_name_the_forms_the_issue_asks_for() -> None:
    """The table's rows and the near-miss families each have a sub-form on both APIs."""
    v1_wrong = {lab for a in subform_attempts(P, Api.V1, Branch.WRONG_KEY) for lab in a.labels}
    assert {"near-miss:prefix", "near-miss:extension", "near-miss:case-flip"} <= v1_wrong
    for api in Api:
        override = {
            lab for a in subform_attempts(P, api, Branch.METHOD_OVERRIDE) for lab in a.labels
        }
        assert {"override:header:x-http-method", "override:query:_method"} <= override
        assert "override:form:_method" in override and "override-via:HEAD" in override
        schemes = {lab for a in subform_attempts(P, api, Branch.OTHER_SCHEME) for lab in a.labels}
        assert {"scheme:basic-password", "scheme:bearer-wrong", "scheme:basic-empty"} <= schemes
        proxy = {lab for a in subform_attempts(P, api, Branch.PROXY_IDENTITY) for lab in a.labels}
        assert "proxy-identity:x-forwarded-user" in proxy
        trust = {lab for a in subform_attempts(P, api, Branch.INTERNAL_TRUST) for lab in a.labels}
        assert "internal-trust:x-real-ip=10.0.0.1" in trust
        sessions = {
            lab for a in subform_attempts(P, api, Branch.SESSION_COOKIE) for lab in a.labels
        }
        assert "session:forged" in sessions
