"""The fault proxy against a real upstream on loopback, with real client sockets.

The upstream is ``http.server``, so the HTTP parsing on the far side is not the proxy's own.
It records the raw bytes of every request it reads, which is what "byte-for-byte" is checked
against.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, BinaryIO

import pytest

from tests.faultproxy import FaultMix, FaultProxy, ProxyStats

CHUNKED_RESPONSE = (
    b"HTTP/1.1 200 OK\r\n"
    b"Content-Type: text/plain\r\n"
    b"Transfer-Encoding: chunked\r\n"
    b"\r\n"
    b"5;ext=1\r\nhello\r\n"
    b"1A\r\n" + b"x" * 26 + b"\r\n"
    b"0\r\n"
    b"X-Trailer: yes\r\n"
    b"\r\n"
)
EOF_RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nuntil the end"
)


class _Recorder:
    """The handler's rfile, keeping a copy of every byte read through it."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.seen = bytearray()

    def readline(self, size: int = -1) -> bytes:
        line = self._raw.readline(size)
        self.seen += line
        return line

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self.seen += data
        return data

    def close(self) -> None:
        self._raw.close()


class Upstream(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.heads: list[bytes] = []
        self.bodies: list[bytes] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def total(self) -> int:
        with self.lock:
            return sum(self.counts.values())


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Upstream
    rfile: Any

    def setup(self) -> None:
        super().setup()
        self.rfile = _Recorder(self.rfile)

    def handle_one_request(self) -> None:
        self.rfile.seen.clear()
        super().handle_one_request()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._answer()

    do_POST = do_PUT = do_DELETE = do_GET

    def do_HEAD(self) -> None:
        self._answer(with_body=False)

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            start = len(self.rfile.seen)
            while size := int(self.rfile.readline().split(b";")[0], 16):
                self.rfile.read(size + 2)
            while self.rfile.readline() != b"\r\n":
                pass
            return bytes(self.rfile.seen[start:])
        return bytes(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

    def _answer(self, *, with_body: bool = True) -> None:
        head = bytes(self.rfile.seen)
        body = self._read_body()
        with self.server.lock:
            self.server.counts[self.path] += 1
            self.server.heads.append(head)
            self.server.bodies.append(body)
            count = self.server.counts[self.path]
        if self.path == "/chunked":
            self.wfile.write(CHUNKED_RESPONSE)
            return
        if self.path == "/eof":
            self.wfile.write(EOF_RESPONSE)
            self.close_connection = True
            return
        payload = json.dumps(
            {"method": self.command, "path": self.path, "count": count, "body_len": len(body)}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if with_body:
            self.wfile.write(payload)


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    server = Upstream()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(2)


def _port(proxy: FaultProxy) -> int:
    return int(proxy.base_url.rsplit(":", 1)[1])


def _connect(proxy: FaultProxy) -> socket.socket:
    return socket.create_connection(("127.0.0.1", _port(proxy)), timeout=5)


def _http(proxy: FaultProxy) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", _port(proxy), timeout=5)


def _read_response(sock: socket.socket, method: str = "GET") -> http.client.HTTPResponse:
    response = http.client.HTTPResponse(sock, method=method)
    response.begin()
    return response


def _get(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()


def test_transparent_by_default_over_one_keep_alive_connection(upstream: Upstream) -> None:
    body = bytes(range(256)) * 800  # 200 KiB, every byte value, several reads on each side
    with FaultProxy(upstream.url) as proxy:
        conn = _http(proxy)
        conn.request("GET", "/a")
        first = conn.getresponse()
        assert first.status == 200 and json.loads(first.read())["count"] == 1
        sock = conn.sock
        for method, path in [("GET", "/b"), ("HEAD", "/a"), ("POST", "/echo"), ("GET", "/a")]:
            conn.request(method, path, body=body if method == "POST" else None)
            response = conn.getresponse()
            payload = response.read()
            assert response.status == 200
            assert payload == b"" if method == "HEAD" else json.loads(payload)["path"] == path
            assert conn.sock is sock, "the proxy closed a keep-alive connection"
        conn.close()
        stats = proxy.stats
    assert upstream.counts == Counter({"/a": 3, "/b": 1, "/echo": 1})
    assert upstream.bodies[3] == body
    assert stats == ProxyStats(connections=1, requests=5, forwarded=5)


def test_malformed_headers_reach_the_upstream_byte_for_byte(upstream: Upstream) -> None:
    request = (
        b"GET /headers HTTP/1.1\r\n"
        b"Host: 127.0.0.1\r\n"
        b"Authorization: Token first\r\n"
        b"authorization:Token second\r\n"
        b"X-Padded:   \t leading whitespace\r\n"
        b"X-Trailing: value  \t \r\n"
        b"X-Name: J\xc3\xbcrgen \xe2\x9c\x93 \xf0\x9f\x90\x8d\r\n"
        b"\r\n"
    )
    chunked = b"POST /chunked-in HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
    chunked_body = b"4;a=b\r\nWiki\r\n6\r\npedia \r\n0\r\nX-Sum: 1\r\n\r\n"
    with FaultProxy(upstream.url) as proxy, _connect(proxy) as sock:
        sock.sendall(request)
        response = _read_response(sock)
        assert response.status == 200
        response.read()
        sock.sendall(chunked + chunked_body)
        assert _read_response(sock).status == 200
    assert upstream.heads == [request, chunked]
    assert upstream.bodies[1] == chunked_body


def test_reset_before_resets_the_client_and_forwards_nothing(upstream: Upstream) -> None:
    with FaultProxy(upstream.url, faults=FaultMix(reset_before=1.0)) as proxy:
        with _connect(proxy) as sock:
            sock.sendall(_get("/raw"))
            with pytest.raises(ConnectionResetError):
                sock.recv(1)
        conn = _http(proxy)
        conn.request("POST", "/client", body=b"x" * 1000)
        with pytest.raises(ConnectionResetError):
            conn.getresponse()
        conn.close()
        stats = proxy.stats
    assert upstream.total() == 0
    assert stats.requests == stats.reset_before == 2 and stats.forwarded == 0


def test_reset_after_loses_the_answer_of_a_request_that_took_effect(upstream: Upstream) -> None:
    with FaultProxy(upstream.url, faults=FaultMix(reset_after=1.0)) as proxy:
        with _connect(proxy) as sock:
            sock.sendall(_get("/applied"))
            with pytest.raises(ConnectionResetError):
                sock.recv(1)
        stats = proxy.stats
    assert upstream.counts["/applied"] == 1
    assert stats.reset_after == stats.forwarded == 1


def test_unavailable_and_throttled_are_answered_by_the_proxy(upstream: Upstream) -> None:
    mix = FaultMix(unavailable=1.0, unavailable_statuses=(502, 503, 504))
    with FaultProxy(upstream.url, seed=7, faults=mix) as proxy:
        conn = _http(proxy)  # reconnects by itself after each Connection: close
        statuses = []
        for _ in range(30):
            conn.request("GET", "/down")
            response = conn.getresponse()
            assert response.read().startswith(b"faultproxy: ")
            statuses.append(response.status)
        conn.close()
        assert proxy.stats.unavailable == 30
    assert set(statuses) == {502, 503, 504}

    with FaultProxy(upstream.url, faults=FaultMix(throttled=1.0, retry_after=3)) as proxy:
        conn = _http(proxy)
        conn.request("GET", "/busy")
        response = conn.getresponse()
        assert response.status == 429
        assert response.getheader("Retry-After") == "3"
        assert response.read()
        conn.close()
        stats = proxy.stats
    assert stats.throttled == 1 and stats.forwarded == 0
    assert stats.imposed_wait_seconds == 3
    assert upstream.total() == 0


def test_delayed_answers_late_and_counts_the_wait(upstream: Upstream) -> None:
    with FaultProxy(upstream.url, faults=FaultMix(delayed=1.0, delay_seconds=0.3)) as proxy:
        conn = _http(proxy)
        started = time.monotonic()
        conn.request("GET", "/slow")
        response = conn.getresponse()
        response.read()
        elapsed = time.monotonic() - started
        conn.close()
        stats = proxy.stats
    assert response.status == 200 and upstream.counts["/slow"] == 1
    assert elapsed >= 0.3
    assert stats.delayed == 1 and stats.imposed_wait_seconds == pytest.approx(0.3)


MIX = FaultMix(
    reset_before=0.1,
    reset_after=0.1,
    unavailable=0.1,
    throttled=0.1,
    delayed=0.1,
    unavailable_statuses=(502, 503, 504),
    retry_after=2,
    delay_seconds=0.0,
)


def _outcomes(proxy: FaultProxy, upstream: Upstream, n: int) -> list[str]:
    """What a client sees for each of n sequential requests, and whether the upstream saw it."""
    seen: list[str] = []
    conn = _http(proxy)
    for _ in range(n):
        before = upstream.total()
        try:
            conn.request("GET", "/seq")
            response = conn.getresponse()
            response.read()
            outcome = str(response.status)
        except ConnectionResetError:
            outcome = "reset"
            conn.close()
        seen.append(outcome + ("+upstream" if upstream.total() > before else ""))
    conn.close()
    return seen


def test_faults_are_seeded_and_follow_the_mix(upstream: Upstream) -> None:
    runs = []
    for seed in (11, 11, 12):
        with FaultProxy(upstream.url, seed=seed, faults=MIX) as proxy:
            runs.append((_outcomes(proxy, upstream, 200), proxy.stats))
    assert runs[0] == runs[1]
    assert runs[0][0] != runs[2][0]
    assert set(runs[0][0]) == {
        "reset",
        "reset+upstream",
        "502",
        "503",
        "504",
        "429",
        "200+upstream",
    }

    n = 2000
    with FaultProxy(upstream.url, seed=3, faults=MIX) as proxy:
        outcomes = Counter(_outcomes(proxy, upstream, n))
        stats = proxy.stats
    assert stats.requests == n
    for kind, rate in MIX.rates().items():
        assert abs(getattr(stats, kind) / n - rate) < 0.03, (kind, getattr(stats, kind))
    assert outcomes["reset"] == stats.reset_before
    assert outcomes["reset+upstream"] == stats.reset_after
    assert outcomes["502"] + outcomes["503"] + outcomes["504"] == stats.unavailable
    assert outcomes["429"] == stats.throttled
    assert stats.imposed_wait_seconds == 2 * stats.throttled
    assert stats.forwarded == outcomes["200+upstream"] + outcomes["reset+upstream"]


def test_refuse_all_refuses_new_connections_and_drops_open_ones(upstream: Upstream) -> None:
    with FaultProxy(upstream.url) as proxy:
        idle = _connect(proxy)
        idle.sendall(_get("/before"))
        _read_response(idle).read()
        proxy.refuse_all()
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", _port(proxy)), timeout=2)
        assert idle.recv(1) == b""
        idle.close()
    assert upstream.counts == Counter({"/before": 1})


def test_chunked_and_close_delimited_responses_are_relayed_intact(upstream: Upstream) -> None:
    with FaultProxy(upstream.url) as proxy, _connect(proxy) as sock:
        sock.sendall(_get("/chunked"))
        received = b""
        while len(received) < len(CHUNKED_RESPONSE):
            data = sock.recv(65536)
            assert data, "the proxy closed before the end of the chunked response"
            received += data
        assert received == CHUNKED_RESPONSE
        sock.sendall(_get("/after"))  # the framing ended where it should: keep-alive goes on
        response = _read_response(sock)
        assert response.status == 200 and json.loads(response.read())["path"] == "/after"

        sock.sendall(_get("/eof"))
        received = b""
        while data := sock.recv(65536):
            received += data
        assert received == EOF_RESPONSE


def test_an_unreachable_upstream_gets_a_502_from_the_proxy() -> None:
    with socket.create_server(("127.0.0.1", 0)) as placeholder:
        port = placeholder.getsockname()[1]
    with FaultProxy(f"http://127.0.0.1:{port}") as proxy:
        conn = _http(proxy)
        conn.request("GET", "/")
        response = conn.getresponse()
        assert response.status == 502 and response.read()
        conn.close()
        assert proxy.stats.upstream_failures == 1


def test_stop_is_prompt_with_an_idle_keep_alive_connection(upstream: Upstream) -> None:
    proxy = FaultProxy(upstream.url).start()
    conn = _http(proxy)
    conn.request("GET", "/idle")
    conn.getresponse().read()
    started = time.monotonic()
    proxy.stop()
    assert time.monotonic() - started < 2
    assert conn.sock is not None and conn.sock.recv(1) == b""
    conn.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", _port(proxy)), timeout=2)


@pytest.mark.parametrize(
    "upstream_url",
    [
        "https://127.0.0.1:8000",
        "http://example.com",
        "http://10.0.0.1:80",
        "http://127.0.0.1:8000/api",
        "http://user:pw@127.0.0.1:8000",
    ],
)
def test_only_a_bare_loopback_http_upstream_is_accepted(upstream_url: str) -> None:
    with pytest.raises(ValueError):
        FaultProxy(upstream_url)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"reset_before": -0.1},
        {"delayed": 1.5},
        {"unavailable": 0.6, "throttled": 0.6},
        {"unavailable_statuses": ()},
        {"unavailable_statuses": (429,)},
        {"delay_seconds": -1.0},
    ],
)
def test_an_impossible_mix_is_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        FaultMix(**kwargs)
