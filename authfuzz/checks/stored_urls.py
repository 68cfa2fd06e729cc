"""The stored-URL sweep: has a foreign URL already been written? A check with no trials.

The engine judges what a trial changes; this judges what is there: the URL policy over every
release file the target stores, as each API serves it. Read-only by nature, so it runs on
production too. Through v2 it is the engine's own read of the whole state (free when the
engine read it last); through v1 it pages through every release file with the trusted
principal (whose bucket is far larger than a guest's). Violations are grouped by release,
because the incident question is "which releases offer users a bad download?".
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from authfuzz.branches import Api
from authfuzz.client import ApiRequest, ApiResponse
from authfuzz.findings import Finding
from authfuzz.not_checked import NotChecked
from authfuzz.url_policy import Violation, violations
from authfuzz.vocabulary import api_key_header, list_path, unanswered_cause
from authfuzz.workbench import Workbench

V1_PAGE = 100


@dataclass
class SweepResult:
    files: int = 0
    by_release: dict[str, list[tuple[str, Violation]]] = field(default_factory=dict)


def stored_files(
    bench: Workbench, api: Api, progress: Callable[[int], None]
) -> Iterator[dict[str, Any]]:
    client, trusted = bench.client, bench.trusted
    if api is Api.V1:
        headers = (api_key_header(trusted.username, trusted.api_key or ""),)
        path: str | None = f"{list_path('v1', 'release_file')}?limit={V1_PAGE}&offset=0"
        seen = 0
        while path:
            route, _, query = path.partition("?")
            pairs = tuple(parse_qsl(query, keep_blank_values=True))
            response = client.send(ApiRequest("GET", route, headers=headers, query=pairs))
            _check_answered(response, seen)
            if response.status != 200:
                raise RuntimeError(f"v1 release_file list answered {response.status}")
            page = response.json()
            yield from page["objects"]
            seen += len(page["objects"])
            progress(seen)
            path = page["meta"].get("next")
    else:
        files = [entry.fields for entry in bench.reader.world().table("release_file").values()]
        progress(len(files))
        yield from files


def _check_answered(response: ApiResponse, seen: int) -> None:
    """A page that got no answer after every retry leaves the sweep (and its verdict) unfinished."""
    if response.fault is not None:
        cause = unanswered_cause(response.status)
        raise NotChecked(f"the sweep stopped after {seen} release files: {response.fault}", cause)


def sweep(bench: Workbench, api: Api, progress: Callable[[int], None]) -> SweepResult:
    result = SweepResult()
    url_prefix = bench.target.url_prefix
    for stored in stored_files(bench, api, progress):
        result.files += 1
        for violation in violations(stored, url_prefix):
            release = str(stored.get("release", "?"))
            result.by_release.setdefault(release, []).append(
                (str(stored.get("slug", "?")), violation)
            )
    return result


def findings(
    result: SweepResult,
    target: str,
    api: Api,
    url_prefix: str,
    base_url: str,
    redact: Callable[[str], str],
) -> list[Finding]:
    out = []
    for release, items in sorted(result.by_release.items()):
        lines = [f"file {slug!r}: {violation.describe(url_prefix)}" for slug, violation in items]
        fields = sorted({violation.field for _, violation in items})
        out.append(
            Finding(
                invariant="no-foreign-url",
                oracle="stored-url-sweep",
                target=target,
                branch=f"stored:{api.value}",
                operation=f"GET /api/{api.value}/downloads/release_file/",
                summary=f"release {release} offers {len(items)} URL(s) outside the policy",
                request=f"GET /api/{api.value}/downloads/release_file/ (trusted read)",
                status=200,
                evidence=redact("; ".join(lines)),
                curl=f"curl -sS '{base_url}/api/{api.value}/downloads/release_file/'",
                labels=tuple(f"field:{name}" for name in fields),
            )
        )
    return out
