"""The route table and its covering set, without a server: what the route surface promises.

- every undocumented cell is sent as a non-staff caller, once;
- staff is only ever sent where no one may write at HEAD;
- the requests themselves stay on the run's own objects: a list-level delete of release files
  and the bulk-delete action name the canary release, ``set/`` names the canary and an id that
  does not exist;
- the guard sees every spelling of a list or object path as that path.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from authfuzz.api_shapes import canonical_path, detail_target, list_resource
from authfuzz.branches import Api
from authfuzz.canaries import CanarySet
from authfuzz.client.guard import could_touch_others
from authfuzz.surface.covering import GROUPS, covering
from authfuzz.surface.requests import route_request
from authfuzz.surface.table import (
    MISSING_PK,
    Caller,
    RouteCell,
    Scope,
    Variant,
    all_cells,
    is_documented,
    may_write,
    undocumented_cells,
)

SPEC = Path(__file__).resolve().parents[2] / "specs" / "pythondotorg.yaml"


def _sent(caller: Caller) -> list[RouteCell]:
    return [
        cell
        for api in Api
        for group in GROUPS[caller]
        for cell in covering(SPEC, api, caller, group)
    ]


def _canaries() -> CanarySet:
    def obj(resource: str, pk: int) -> dict[str, object]:
        return {
            "resource_uri": f"http://t/api/v2/downloads/{resource}/{pk}/",
            "slug": f"authfuzz-{resource}-n",
            "name": "canary",
            "os": "http://t/api/v2/downloads/os/11/",
            "release": "http://t/api/v2/downloads/release/12/",
            "url": "https://www.python.org/ftp/x.tgz",
        }

    return CanarySet(
        "n",
        {
            "os": obj("os", 11),
            "release": obj("release", 12),
            "release_file": obj("release_file", 13),
        },
    )


def test_the_documented_cells_are_exactly_the_spec_operations() -> None:
    documented = [c for c in all_cells() if is_documented(c, SPEC)]
    assert len(documented) == 32  # 13 v1 + 19 v2 (method, path) pairs in the spec
    assert all(c.variant is Variant.CANONICAL and c.scope is not Scope.MISSING for c in documented)
    assert len(undocumented_cells(SPEC)) == len(all_cells()) - len(documented)


def test_non_staff_runs_every_undocumented_cell_once() -> None:
    sent = _sent(Caller.USER)
    assert len(sent) == len(set(sent)), "a cell is sent twice"
    assert set(sent) == set(undocumented_cells(SPEC))


def test_staff_is_only_sent_where_no_one_may_write() -> None:
    sent = _sent(Caller.STAFF)
    assert sent and len(sent) == len(set(sent))
    assert all(c.is_write and not may_write(c, Caller.STAFF) for c in sent)
    # the canonical path in full: every must-not-write cell there
    canonical = {
        c
        for c in undocumented_cells(SPEC)
        if c.variant is Variant.CANONICAL and c.is_write and not may_write(c, Caller.STAFF)
    }
    assert canonical <= set(sent)
    assert {c for c in sent if c.variant is Variant.CANONICAL} == canonical


def test_no_cell_lets_a_non_staff_caller_write_at_head() -> None:
    assert not [c.label for c in all_cells() if may_write(c, Caller.USER)]


@pytest.mark.parametrize("api", list(Api), ids=[a.value for a in Api])
def test_route_requests_stay_on_the_run_s_own_objects(api: Api) -> None:
    canaries = _canaries()
    for cell in (c for c in all_cells() if c.api is api and c.is_write):
        request = route_request(cell, canaries, "tok", 1, (), "https://www.python.org/", "http://t")
        path = canonical_path(request.path)
        if cell.scope is Scope.ACTION or (
            cell.scope is Scope.LIST and cell.method == "DELETE" and cell.resource == "release_file"
        ):
            assert request.query == (("release", "12"),), cell.label
        if cell.scope is Scope.SET:
            assert f"set/{canaries.pk(cell.resource)};{MISSING_PK}/" in path
        if request.json_body is not None:  # what it would create or rename is the run's
            assert str(request.json_body["name"]).startswith("authfuzz "), cell.label
            assert str(request.json_body.get("slug", "authfuzz-")).startswith("authfuzz-")


def test_every_spelling_of_a_path_is_that_path_to_the_guard() -> None:
    for variant in Variant:
        listed = variant.spell("/api/v2/downloads/release_file/")
        detail = variant.spell("/api/v2/downloads/os/5/")
        assert list_resource(listed) == "release_file", variant
        assert detail_target(detail) == ("os", 5), variant
        # a list-level delete is guarded whatever its spelling
        reach = could_touch_others("DELETE", listed, (), None, lambda r, pk: False)
        assert reach is not None and "release_file" in reach.resources, variant
    odd = could_touch_others(
        "DELETE", "/api/v1/downloads/os/set/1;2/", (), None, lambda r, p: False
    )
    assert odd is not None and "os" in odd.resources
