"""The throttle plan's cost table: counted requests per gate test, by identity.

Identities are symbolic (``v2 trusted``: the target's trusted staff principal; ``v2 user``:
its first non-staff principal; ``v1 anonymous-or-guest``), mapped onto the target's own
principals by ``plan``. The figures below the line are measured, not guessed: ``python
bench/economy.py --write`` runs the ci gate against the embedded testbed and rewrites them,
and ``tests/harness/test_throttle_plan.py`` fails when a run spends more than its plan said,
so a change that makes the gate dearer shows up there and is re-measured, not ignored.
"""

from __future__ import annotations

# Tests whose cost grows with the number of examples (Hypothesis and Schemathesis tests).
FUZZED = frozenset(
    {
        "test_fuzzed_attempts_never_write",
        "test_fuzzed_bulk_filters_stay_in_scope",
        "test_fuzzed_urls_never_stored",
        "test_negative_attempts_never_write",
        "test_staff_url_writes_store_only_allowed_urls",
        "test_stateful_chains",
    }
)
# What runs against a production target (read-only); every other test skips there, unsent.
READ_ONLY = frozenset(
    {
        "test_identity_probes",
        "test_no_stored_url_outside_the_policy",
        "test_poc_is_fixed",
        "test_undocumented_read_routes_hide_unpublished",
    }
)
STATEFUL = "test_stateful_chains"  # runs openapi.config.stateful_scenarios of the examples
SWEEP = "test_no_stored_url_outside_the_policy"  # its v1 form reads SWEEP_PAGE files a request
SWEEP_PAGE = 100
# What each process spends besides its tests: custody's reads at the start and the end (by
# the reader: "v2 staff", the other staff principal when there is one), its own canaries, URL
# pool (34 objects) and bulk-delete scene; the measured run had one process, whose share is
# in its tests, so this errs high by one process's share.
PER_PROCESS: dict[str, float] = {"v2 trusted": 40.0, "v2 staff": 12.0}

# -- measured by `python bench/economy.py --write` (ci profile, one process) --
PER_TEST: dict[str, dict[str, float]] = {
    "test_branch_never_writes": {
        "v1 anonymous-or-guest": 0.21,
        "v2 anonymous-or-guest": 0.18,
        "v2 staff": 3.08,
    },
    "test_bulk_filter_examples_stay_in_scope": {
        "v1 trusted": 2.0,
        "v2 staff": 15.0,
        "v2 trusted": 7.5,
    },
    "test_credential_bytes_never_write": {"v2 staff": 3.0},
    "test_every_body_never_writes": {"v1 trusted": 2.0, "v2 staff": 14.5, "v2 trusted": 1.0},
    "test_identity_probes": {"v2 anonymous-or-guest": 4.5, "v2 staff": 3.5, "v2 user": 0.5},
    "test_no_identity_sees_more_than_anonymous": {
        "v1 anonymous-or-guest": 7.5,
        "v1 user": 1.5,
        "v2 staff": 4.5,
        "v2 user": 1.5,
    },
    "test_no_moment_lets_a_wrong_credential_write": {
        "v1 trusted": 6.0,
        "v2 staff": 3.0,
        "v2 trusted": 6.0,
    },
    "test_no_rejection_hides_a_write": {"v2 staff": 3.0},
    "test_no_stored_url_outside_the_policy": {"v1 trusted": 0.5, "v2 staff": 1.5},
    "test_no_url_edit_stores_a_mismatch": {"v2 staff": 3.0, "v2 trusted": 21.0},
    "test_objects_of_every_provenance_stay_unwritten": {"v2 staff": 6.0},
    "test_poc_is_fixed": {"v2 anonymous-or-guest": 0.18, "v2 staff": 3.0, "v2 trusted": 0.14},
    "test_positive_controls_can_write": {
        "v1 anonymous-or-guest": 0.5,
        "v1 trusted": 3.5,
        "v2 staff": 18.0,
        "v2 trusted": 17.5,
    },
    "test_undocumented_read_routes_hide_unpublished": {
        "v1 user": 13.5,
        "v2 staff": 3.0,
        "v2 user": 35.0,
    },
    "test_undocumented_routes_never_write": {
        "v1 trusted": 1.0,
        "v1 user": 23.5,
        "v2 staff": 3.0,
        "v2 trusted": 7.17,
        "v2 user": 65.67,
    },
    "test_url_categories_in_every_body_format": {
        "v1 trusted": 1.5,
        "v2 staff": 3.0,
        "v2 trusted": 11.5,
    },
    "test_url_categories_never_stored": {"v1 trusted": 1.0, "v2 staff": 3.0, "v2 trusted": 24.25},
}
PER_EXAMPLE: dict[str, dict[str, float]] = {
    "test_fuzzed_attempts_never_write": {"v2 staff": 3.38},
    "test_fuzzed_bulk_filters_stay_in_scope": {
        "v1 trusted": 0.31,
        "v2 staff": 3.0,
        "v2 trusted": 0.44,
    },
    "test_fuzzed_urls_never_stored": {"v1 trusted": 0.25, "v2 staff": 3.38, "v2 trusted": 4.75},
    "test_negative_attempts_never_write": {"v2 anonymous-or-guest": 0.12, "v2 staff": 3.0},
    "test_staff_url_writes_store_only_allowed_urls": {
        "v1 trusted": 0.5,
        "v2 staff": 3.0,
        "v2 trusted": 10.75,
    },
    "test_stateful_chains": {"v1 trusted": 2.5, "v2 staff": 15.0, "v2 trusted": 3.5},
}
