"""The clean testbed answers every route cell as ``authfuzz.surface.table.expected`` says.

The route surface (``authfuzz/surface``) judges a cell by what HEAD answers it; this holds the
testbed to the same table, so a wrong row in the table or a testbed that routes differently
from python.org shows here and not as a false finding (or a missed one) of the gate. The
requests are the gate's own (``route_request``), aimed at canaries made the way the gate makes
them, and sent through the harness client (urllib3, no redirects followed, kept-alive
connections): a non-staff user on every cell, the trusted staff principal on every cell where
HEAD lets no one write (all reads among them), and staff once more on the cells where it may
write, each from fresh canaries. Every mismatch is collected and shown in one table.

With ``DATABASE_URL`` set the testbed runs on PostgreSQL (``.ci/run`` runs tests/testbed again
that way), so the same table is checked on both databases.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import tbkit

from authfuzz.branches import Api
from authfuzz.canaries import CanarySet, create_canaries, remove_canaries
from authfuzz.client import ApiResponse, Client
from authfuzz.principals import Principal
from authfuzz.state import Reader, new_nonce
from authfuzz.surface.requests import route_request
from authfuzz.surface.table import Caller, RouteCell, all_cells, expected, may_write
from authfuzz.targets import Target, load_target
from testbed.principals import targets_toml
from testbed.runner import TestbedInfo

# Cells where the testbed knowingly answers otherwise than ``expected``, and what it answers
# (none at present; an entry is dropped once the table agrees).
KNOWN: dict[tuple[Caller, RouteCell], int] = {}


@dataclass
class Gate:
    """The harness's own client and reader for the clean testbed, as a gate run has them."""

    target: Target
    client: Client
    reader: Reader
    staff: Principal
    user: Principal

    def canaries(self) -> CanarySet:
        return create_canaries(self.reader, self.target.url_prefix)

    def send(
        self, cell: RouteCell, caller: Caller, canaries: CanarySet, token: str, index: int
    ) -> ApiResponse:
        principal = self.staff if caller is Caller.STAFF else self.user
        if cell.api is Api.V1:
            auth = (("Authorization", f"ApiKey {principal.username}:{principal.api_key}"),)
        else:
            auth = (("Authorization", f"Token {principal.token}"),)
        request = route_request(
            cell, canaries, token, index, auth, self.target.url_prefix, self.client.base_url
        )
        return self.client.send(request)


@pytest.fixture(scope="module")
def gate(testbed: TestbedInfo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gate]:
    targets = tmp_path_factory.mktemp("route-table") / "targets.toml"
    targets.write_text(targets_toml("bed", testbed.base_url, "local"), encoding="utf-8")
    target = load_target(Path(targets), "bed")
    client = Client(target)
    staff = target.principals.trusted()
    assert staff is not None and staff.role.value == "staff"
    user = target.principals.by_name(tbkit.USER.name)
    try:
        yield Gate(target, client, Reader(client, staff), staff, user)
    finally:
        client.close()


@dataclass(frozen=True)
class Mismatch:
    caller: Caller
    cell: RouteCell
    expected: int
    got: int
    note: str


def _judge(caller: Caller, cell: RouteCell, response: ApiResponse) -> Mismatch | None:
    want = KNOWN.get((caller, cell), expected(cell, caller))
    note = ""
    if response.fault is not None:
        note = response.fault
    elif response.tries > 1:
        note = f"answered only after {response.tries} transmissions"
    elif response.status != want:
        note = " ".join(response.text.split())[:70]
    else:
        return None
    return Mismatch(caller, cell, want, response.status, note)


def _table(mismatches: list[Mismatch], of: int) -> str:
    width = max(len(m.cell.label) for m in mismatches)
    lines = [
        f"{len(mismatches)} of {of} cells answered otherwise than the route table says:",
        f"  {'caller':<6}  {'cell':<{width}}  expected  got  answer",
    ]
    for m in mismatches:  # in the order sent, the table's own
        lines.append(
            f"  {m.caller.value:<6}  {m.cell.label:<{width}}  {m.expected:>8}  {m.got:>3}  {m.note}"
        )
    return "\n".join(lines)


def _may_have_changed(cell: RouteCell, response: ApiResponse) -> bool:
    """A write that was not refused outright (or whose answer was lost) may have changed the
    canaries: the next cells need fresh ones."""
    if not cell.is_write:
        return False
    return response.fault is not None or response.status < 300 or response.status >= 500


def _sweep(gate: Gate, caller: Caller, cells: list[RouteCell]) -> list[Mismatch]:
    """Send ``cells`` in order from one set of canaries, made anew after any write that may
    have touched them (and before the next cell only); remove whatever the cells made."""
    token = new_nonce()
    canaries: CanarySet | None = None
    mismatches = []
    try:
        for index, cell in enumerate(cells):
            if canaries is None:
                canaries = gate.canaries()
            response = gate.send(cell, caller, canaries, token, index)
            found = _judge(caller, cell, response)
            if found is not None:
                mismatches.append(found)
            if _may_have_changed(cell, response):
                _remove_made(gate, cell, token, index)
                remove_canaries(gate.reader, canaries)
                canaries = None
    finally:
        if canaries is not None:
            remove_canaries(gate.reader, canaries)
    return mismatches


def _remove_made(gate: Gate, cell: RouteCell, token: str, index: int) -> None:
    """Whatever a write cell created names the batch's token in its slug."""
    for made in gate.reader.find(cell.resource, slug=f"authfuzz-route-{token}-{index}"):
        gate.reader.delete(cell.resource, int(made["resource_uri"].rstrip("/").rsplit("/", 1)[1]))


CELLS = all_cells()


def test_the_table_names_every_cell_once() -> None:
    assert len(set(CELLS)) == len(CELLS) > 1000
    assert {c.method for c in CELLS} == {"GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"}
    assert not set(KNOWN) - {(caller, c) for c in CELLS for caller in Caller}


def test_a_non_staff_user_gets_the_table_s_answer_on_every_cell(gate: Gate) -> None:
    mismatches = _sweep(gate, Caller.USER, list(CELLS))
    assert not mismatches, _table(mismatches, len(CELLS))


def test_staff_gets_the_table_s_answer_where_head_lets_no_one_write(gate: Gate) -> None:
    cells = [c for c in CELLS if not may_write(c, Caller.STAFF)]
    assert {c.method for c in CELLS if not c.is_write} <= {c.method for c in cells}
    assert all(not c.is_write for c in CELLS if c.method in ("GET", "HEAD", "OPTIONS"))
    mismatches = _sweep(gate, Caller.STAFF, cells)
    assert not mismatches, _table(mismatches, len(cells))


def test_staff_writes_answer_as_the_table_says_each_from_fresh_canaries(gate: Gate) -> None:
    """Not asked of the gate (it never sends staff where staff may write), but the table's
    answers there are what ``may_write`` rests on."""
    cells = [c for c in CELLS if may_write(c, Caller.STAFF)]
    mismatches = _sweep(gate, Caller.STAFF, cells)  # each write renews the canaries
    assert not mismatches, _table(mismatches, len(cells))


# -- HEAD on a kept-alive connection ---------------------------------------------------------


HEADS = [
    "/api/v1/downloads/os/1/",  # Tastypie's 405, whose body is the Allow list
    "/api/v2/downloads/os/1/",  # DRF's 200
    "/api/v2/downloads/os.api",  # DRF's 404
    "/api/v2/downloads/Downloads/",  # Django's 404 page
    "/api/v2/downloads/os",  # CommonMiddleware's 301
]


@pytest.mark.parametrize("path", HEADS)
def test_head_answers_no_body_so_the_next_answer_on_the_connection_is_intact(
    testbed: TestbedInfo, path: str
) -> None:
    """A HEAD answer followed by any bytes breaks the next exchange on a kept-alive connection
    (the client reads them as its status line). Pipelined here, so no timing decides it."""
    address = urlsplit(testbed.base_url)
    host = f"{address.hostname}:{address.port}"
    head = f"HEAD {path} HTTP/1.1\r\nHost: {host}\r\n\r\n"
    get = f"GET /api/v2/downloads/os/1/ HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    with socket.create_connection((address.hostname, address.port), timeout=30) as connection:
        connection.sendall((head + get).encode("ascii"))
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    header, _, rest = received.partition(b"\r\n\r\n")
    assert header.startswith(b"HTTP/1.1 "), header[:80]
    assert rest.startswith(b"HTTP/1.1 200 "), f"after the HEAD answer: {rest[:80]!r}"
