"""Has anything already been written? A read-only sweep of every stored release file.

Safe on production: it only reads, with the trusted principal, at the
target's rate limit. Findings are grouped by release.
"""

from __future__ import annotations

import pytest

from authfuzz.branches import Api
from authfuzz.checks.stored_urls import findings, sweep
from authfuzz.findings import FindingError
from authfuzz.workbench import Workbench


@pytest.mark.parametrize("api", list(Api), ids=[a.value for a in Api])
def test_no_stored_url_outside_the_policy(
    authfuzz_workbench: Workbench, api: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    workbench = authfuzz_workbench
    client, target = workbench.client, workbench.target

    def progress(seen: int) -> None:
        with capsys.disabled():
            print(
                f"\r  stored-URL sweep ({api.value}): {seen} release files read", end="", flush=True
            )

    result = sweep(workbench, api, progress)
    with capsys.disabled():
        print()
    problems = findings(result, target.name, api, target.url_prefix, client.base_url, client.redact)
    if problems:
        raise FindingError(*problems)
    assert result.files > 0, "the sweep read no release file at all: nothing was checked"
