"""Real network faults on loopback, so the client's fault handling is proven against sockets.

The harness claims that the authfuzz client survives a flaky target: a reset connection is
retried or reported, a load balancer's 503 is not mistaken for a finding, a 429's Retry-After is
honoured, a slow answer does not trip anything, a target that is gone ends the run cleanly.
Those claims are only worth something if they hold against the kernel's own RST and
ECONNREFUSED, not against a mock that raises whatever exception the test's author expected.
So this is a real TCP proxy on 127.0.0.1, put between the client and a real testbed, that
injects one of those faults per request, drawn from a seeded generator so that a failing run
can be replayed.

It frames HTTP/1.1 and nothing more. The bytes it forwards are the bytes it received: the
harness sends malformed requests on purpose (two ``Authorization`` lines, odd whitespace,
non-ASCII header bytes), and a proxy that tidied them up would be testing another request.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import random
import re
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from http import HTTPStatus
from types import TracebackType
from typing import Literal, Self
from urllib.parse import urlsplit

FaultKind = Literal["reset_before", "reset_after", "unavailable", "throttled", "delayed"]
FAULT_KINDS: tuple[FaultKind, ...] = (
    "reset_before",
    "reset_after",
    "unavailable",
    "throttled",
    "delayed",
)

HEAD_CAP = 64 * 1024  # request and response heads, up to and including the blank line
_LINE_CAP = 8 * 1024  # one chunk-size or trailer line
_JOIN_SECONDS = 2.0
_ACCEPT_POLL_SECONDS = 0.2
_HEX = re.compile(rb"[0-9A-Fa-f]+")

# How a message body is delimited: a byte count, chunked, or the sender closing the connection.
_Body = int | Literal["chunked", "eof"]
_Headers = dict[bytes, list[bytes]]


@dataclass(frozen=True)
class FaultMix:
    """Per-request probabilities of each fault; at most one fault is applied to a request."""

    reset_before: float = 0.0  # read the request, RST the client, forward nothing
    reset_after: float = 0.0  # forward, read the whole answer, RST the client instead of it
    unavailable: float = 0.0  # answer one of unavailable_statuses without forwarding
    throttled: float = 0.0  # answer 429 with Retry-After: retry_after without forwarding
    delayed: float = 0.0  # wait delay_seconds, then forward as usual
    unavailable_statuses: tuple[int, ...] = (503,)
    retry_after: int = 1
    delay_seconds: float = 0.5
    # Only requests with one of these methods are faulted (None: every request). Every request
    # still costs its draw, so the sequence of faults does not depend on the filter.
    methods: frozenset[str] | None = None

    def __post_init__(self) -> None:
        rates = self.rates()
        for kind, p in rates.items():
            if not 0.0 <= p <= 1.0:
                raise ValueError(f"FaultMix.{kind} = {p!r}: a probability is in [0, 1]")
        if sum(rates.values()) > 1.0 + 1e-9:
            raise ValueError(f"FaultMix: the probabilities add up to {sum(rates.values())} > 1")
        if not self.unavailable_statuses or not all(
            500 <= s <= 599 for s in self.unavailable_statuses
        ):
            raise ValueError("FaultMix.unavailable_statuses: one or more statuses in 500-599")
        if self.retry_after < 0 or not self.delay_seconds >= 0:
            raise ValueError("FaultMix: retry_after and delay_seconds are >= 0")

    @classmethod
    def none(cls) -> FaultMix:
        """A transparent proxy."""
        return cls()

    def rates(self) -> dict[FaultKind, float]:
        return {
            "reset_before": self.reset_before,
            "reset_after": self.reset_after,
            "unavailable": self.unavailable,
            "throttled": self.throttled,
            "delayed": self.delayed,
        }

    def pick(self, u: float) -> tuple[FaultKind, int] | None:
        """The fault for one uniform draw ``u`` in [0, 1), or None.

        The second item is the status to answer with (``unavailable`` and ``throttled``), else 0.
        Which of ``unavailable_statuses`` is used comes from where ``u`` falls in the
        ``unavailable`` band, so a request still costs exactly one draw.
        """
        low = 0.0
        for kind, p in self.rates().items():
            if u < low + p:
                if kind == "unavailable":
                    statuses = self.unavailable_statuses
                    i = min(int((u - low) / p * len(statuses)), len(statuses) - 1)
                    return kind, statuses[i]
                return kind, 429 if kind == "throttled" else 0
            low += p
        return None


@dataclass(frozen=True)
class ProxyStats:
    """Counts since start. ``forwarded`` includes the reset_after and delayed requests."""

    connections: int = 0  # client connections accepted
    requests: int = 0  # complete requests read from clients
    forwarded: int = 0  # requests sent to the upstream
    reset_before: int = 0
    reset_after: int = 0
    unavailable: int = 0
    throttled: int = 0
    delayed: int = 0
    upstream_failures: int = 0  # upstream refused, died or answered garbage
    imposed_wait_seconds: float = 0.0  # delays slept plus the Retry-After of every 429 sent


class _Broken(Exception):
    """A peer closed mid-message or sent something that cannot be framed."""


class _TooLong(_Broken):
    pass


class _ClientGone(Exception):
    """Writing to the client failed; the connection is finished."""


class _Unframeable(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class _Reader:
    """Buffered reads from a socket; every byte handed out is a byte that was received."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buf = bytearray()

    def _fill(self) -> bool:
        data = self._sock.recv(65536)
        self._buf += data
        return bool(data)

    def until(self, marker: bytes, cap: int) -> bytes:
        """Bytes up to and including ``marker``; b"" if the peer closed before sending any."""
        start = 0
        while (found := self._buf.find(marker, start)) < 0:
            if len(self._buf) >= cap:
                raise _TooLong(f"no {marker!r} in the first {cap} bytes")
            start = max(0, len(self._buf) - len(marker) + 1)
            if not self._fill():
                if self._buf:
                    raise _Broken("peer closed mid-message")
                return b""
        end = found + len(marker)
        if end > cap:
            raise _TooLong(f"no {marker!r} in the first {cap} bytes")
        data = bytes(self._buf[:end])
        del self._buf[:end]
        return data

    def exactly(self, n: int, sink: Callable[[bytes], None]) -> None:
        while n > 0:
            if not self._buf and not self._fill():
                raise _Broken("peer closed mid-body")
            piece = bytes(self._buf[:n])
            del self._buf[: len(piece)]
            n -= len(piece)
            sink(piece)

    def to_eof(self, sink: Callable[[bytes], None]) -> None:
        while self._buf or self._fill():
            sink(bytes(self._buf))
            self._buf.clear()


def _parse_head(head: bytes) -> tuple[list[bytes], _Headers]:
    """The first line's words and the header values by lower-cased name, for framing only."""
    lines = head[:-4].split(b"\r\n")
    headers: _Headers = {}
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if colon and not line[:1].isspace():  # an obs-fold continuation is not a new field
            headers.setdefault(name.strip().lower(), []).append(value.strip(b" \t"))
    return lines[0].split(), headers


def _tokens(headers: _Headers, name: bytes) -> list[bytes]:
    values = headers.get(name, [])
    return [t.strip().lower() for v in values for t in v.split(b",") if t.strip()]


def _content_length(headers: _Headers) -> int | None:
    lengths = set(_tokens(headers, b"content-length"))
    if not lengths:
        return None
    if len(lengths) > 1 or not all(n.isdigit() for n in lengths):
        raise _Broken(f"conflicting or invalid Content-Length: {sorted(lengths)}")
    return int(lengths.pop())


def _closes(version: bytes, headers: _Headers) -> bool:
    """Whether a message with this version and these headers ends its connection."""
    connection = _tokens(headers, b"connection")
    if b"close" in connection:
        return True
    return version != b"HTTP/1.1" and b"keep-alive" not in connection


def _relay_body(reader: _Reader, body: _Body, sink: Callable[[bytes], None]) -> None:
    if body == "eof":
        reader.to_eof(sink)
    elif body == "chunked":
        while True:
            line = reader.until(b"\r\n", _LINE_CAP)
            sink(line)
            size = line.split(b";", 1)[0].strip(b" \t\r\n")
            if not _HEX.fullmatch(size):
                raise _Broken(f"bad chunk size line {line!r}")
            if int(size, 16) == 0:
                break
            reader.exactly(int(size, 16) + 2, sink)  # the data and its CRLF
        while (line := reader.until(b"\r\n", _LINE_CAP)) != b"\r\n":  # trailers, blank line
            if not line:
                raise _Broken("peer closed in the trailers")
            sink(line)
        sink(line)
    else:
        reader.exactly(body, sink)


@dataclass(frozen=True)
class _Request:
    raw: bytes  # head and body exactly as received
    method: bytes
    close: bool  # the client ends the connection after this exchange


def _read_request(reader: _Reader) -> _Request | None:
    """The next request on a client connection, or None if the client closed between requests."""
    try:
        head = reader.until(b"\r\n\r\n", HEAD_CAP)
    except _TooLong as exc:
        raise _Unframeable(431, str(exc)) from exc
    if not head:
        return None
    words, headers = _parse_head(head)
    body: _Body
    transfer = _tokens(headers, b"transfer-encoding")
    if transfer:  # wins over any Content-Length (RFC 9112, 6.3)
        if transfer[-1] != b"chunked":
            raise _Unframeable(400, "request Transfer-Encoding does not end in chunked")
        body = "chunked"
    else:
        try:
            body = _content_length(headers) or 0
        except _Broken as exc:
            raise _Unframeable(400, str(exc)) from exc
    parts = [head]
    _relay_body(reader, body, parts.append)
    version = words[-1] if len(words) >= 3 else b"HTTP/1.0"
    return _Request(b"".join(parts), words[0] if words else b"", _closes(version, headers))


def _response_body(method: bytes, status: int, headers: _Headers) -> _Body:
    if status == 101:  # the connection now belongs to another protocol: relay until it ends
        return "eof"
    if method == b"HEAD" or status in (204, 304):
        return 0
    transfer = _tokens(headers, b"transfer-encoding")
    if transfer:
        return "chunked" if transfer[-1] == b"chunked" else "eof"
    length = _content_length(headers)
    return "eof" if length is None else length


def _own_response(status: int, method: bytes, detail: str, extra: tuple[str, ...] = ()) -> bytes:
    """A complete response the proxy sends itself; it always closes the connection."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    body = f"faultproxy: {status} {phrase}: {detail}\n".encode()
    head = "".join(
        f"{line}\r\n"
        for line in (
            f"HTTP/1.1 {status} {phrase}",
            "Content-Type: text/plain; charset=utf-8",
            f"Content-Length: {len(body)}",
            "Connection: close",
            *extra,
        )
    )
    return (head + "\r\n").encode("ascii") + (b"" if method == b"HEAD" else body)


def _loopback_address(upstream: str) -> tuple[str, int]:
    parts = urlsplit(upstream)
    if parts.scheme != "http":
        raise ValueError(f"upstream {upstream!r}: only http:// is supported")
    if parts.username or parts.password or parts.path not in ("", "/") or parts.query:
        raise ValueError(f"upstream {upstream!r}: a bare base URL, http://host:port")
    host = parts.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"upstream {upstream!r}: the host must be a loopback address")
    return host, parts.port or 80


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


class FaultProxy:
    """A TCP proxy on 127.0.0.1 in front of ``upstream`` that injects ``faults`` per request.

    One upstream connection per request; client connections are kept alive. Every socket
    has ``timeout`` seconds, threads are daemons, and ``stop()`` gives them two seconds.
    """

    def __init__(
        self,
        upstream: str,
        *,
        seed: int = 0,
        faults: FaultMix = FaultMix(),
        timeout: float = 30.0,
    ) -> None:
        self.upstream = upstream
        self.faults = faults
        self._address = _loopback_address(upstream)
        self._timeout = timeout
        self._rng = random.Random(seed)
        self._lock = threading.Lock()  # the generator, the stats and every set below
        self._stats = ProxyStats()
        self._stopping = threading.Event()
        self._started = False
        self._accepting = False
        self._listener: socket.socket | None = None
        self._acceptor: threading.Thread | None = None
        self._port = 0
        self._sockets: set[socket.socket] = set()  # open client and upstream sockets
        self._clients: set[socket.socket] = set()
        self._threads: set[threading.Thread] = set()

    @property
    def base_url(self) -> str:
        if not self._port:
            raise RuntimeError("the proxy has not been started")
        return f"http://127.0.0.1:{self._port}"

    @property
    def stats(self) -> ProxyStats:
        with self._lock:
            return self._stats

    def start(self) -> Self:
        with self._lock:
            if self._started:
                raise RuntimeError("a FaultProxy is started once")
            self._started = self._accepting = True
        listener = socket.create_server(("127.0.0.1", 0))
        listener.settimeout(_ACCEPT_POLL_SECONDS)
        self._listener = listener
        self._port = listener.getsockname()[1]
        self._acceptor = threading.Thread(
            target=self._accept_loop, args=(listener,), name=f"faultproxy:{self._port}", daemon=True
        )
        self._acceptor.start()
        return self

    def refuse_all(self) -> None:
        """Behave like a target that went away: new connections get ECONNREFUSED and the open
        client connections are closed."""
        self._close_listener()
        with self._lock:
            for sock in self._clients:
                _shutdown(sock)

    def stop(self) -> None:
        self._stopping.set()
        self._close_listener()
        with self._lock:
            for sock in self._sockets:
                _shutdown(sock)
            threads = list(self._threads)
        deadline = time.monotonic() + _JOIN_SECONDS
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- connections ------------------------------------------------------------------------

    def _close_listener(self) -> None:
        with self._lock:
            self._accepting = False
            listener, self._listener = self._listener, None
        if listener is None:
            return
        _shutdown(listener)  # Linux: takes it out of LISTEN at once and wakes accept()
        if self._acceptor is not None and self._acceptor is not threading.current_thread():
            self._acceptor.join(_JOIN_SECONDS)
        listener.close()

    def _accept_loop(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                if self._accepting:
                    continue
                return
            except OSError:
                return
            try:
                client.settimeout(self._timeout)
                # Without it, a head and body relayed in two writes meet delayed ACKs: 40 ms each.
                client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:  # the client is already gone
                client.close()
                continue
            with self._lock:
                if self._accepting:
                    thread = threading.Thread(
                        target=self._serve, args=(client,), name="faultproxy-client", daemon=True
                    )
                    self._sockets.add(client)
                    self._clients.add(client)
                    self._threads.add(thread)
                    self._stats = replace(self._stats, connections=self._stats.connections + 1)
                    thread.start()
                    continue
            client.close()
            return

    def _release(self, sock: socket.socket, *, reset: bool = False) -> None:
        """Close a socket this proxy opened; with ``reset``, the peer gets an RST, not a FIN."""
        with self._lock:
            self._sockets.discard(sock)
            self._clients.discard(sock)
        if reset:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()

    def _serve(self, client: socket.socket) -> None:
        reader = _Reader(client)
        try:
            while True:
                try:
                    request = _read_request(reader)
                except _Unframeable as exc:
                    self._send(client, _own_response(exc.status, b"", exc.detail))
                    return
                if request is None or not self._handle(client, request):
                    return
        except (OSError, _Broken, _ClientGone):
            return
        finally:
            self._release(client)
            with self._lock:
                self._threads.discard(threading.current_thread())

    @staticmethod
    def _send(client: socket.socket, data: bytes) -> None:
        try:
            client.sendall(data)
        except OSError as exc:
            raise _ClientGone from exc

    # -- requests ---------------------------------------------------------------------------

    def _draw(self, method: bytes) -> tuple[FaultKind, int] | None:
        with self._lock:
            fault = self.faults.pick(self._rng.random())
            methods = self.faults.methods
            if methods is not None and method.decode("latin-1").upper() not in methods:
                fault = None
            stats = replace(self._stats, requests=self._stats.requests + 1)
            if fault is not None:
                kind = fault[0]
                wait = {"delayed": self.faults.delay_seconds, "throttled": self.faults.retry_after}
                stats = replace(
                    stats,
                    **{kind: getattr(stats, kind) + 1},
                    imposed_wait_seconds=stats.imposed_wait_seconds + wait.get(kind, 0.0),
                )
            self._stats = stats
        return fault

    def _handle(self, client: socket.socket, request: _Request) -> bool:
        """Answer one request, or fail it; whether the client connection stays open."""
        fault = self._draw(request.method)
        kind = fault[0] if fault else None
        if kind == "reset_before":
            self._release(client, reset=True)
            return False
        if fault is not None and kind in ("unavailable", "throttled"):
            status = fault[1]
            extra = (f"Retry-After: {self.faults.retry_after}",) if kind == "throttled" else ()
            self._send(client, _own_response(status, request.method, f"injected {kind}", extra))
            return False
        if kind == "delayed":
            deadline = time.monotonic() + self.faults.delay_seconds
            while (left := deadline - time.monotonic()) > 0:
                if self._stopping.wait(left):
                    return False

        sent = False

        def relay(data: bytes) -> None:
            nonlocal sent
            if kind != "reset_after":
                sent = True
                self._send(client, data)

        try:
            upstream_closes = self._forward(request, relay)
        except (OSError, _Broken) as exc:
            with self._lock:
                self._stats = replace(
                    self._stats, upstream_failures=self._stats.upstream_failures + 1
                )
            if kind == "reset_after" or sent:
                self._release(client, reset=True)
            else:
                self._send(client, _own_response(502, request.method, f"upstream: {exc}"))
            return False
        if kind == "reset_after":
            self._release(client, reset=True)
            return False
        return not (upstream_closes or request.close)

    def _forward(self, request: _Request, sink: Callable[[bytes], None]) -> bool:
        """Send the request on a fresh upstream connection and pass the response to ``sink``.

        Returns whether the response ends the client connection.
        """
        upstream = socket.create_connection(self._address, timeout=self._timeout)
        upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._lock:
            if self._stopping.is_set():
                upstream.close()
                raise _Broken("the proxy is stopping")
            self._sockets.add(upstream)
            self._stats = replace(self._stats, forwarded=self._stats.forwarded + 1)
        try:
            upstream.sendall(request.raw)
            reader = _Reader(upstream)
            while True:
                head = reader.until(b"\r\n\r\n", HEAD_CAP)
                if not head:
                    raise _Broken("the upstream closed without answering")
                words, headers = _parse_head(head)
                if len(words) < 2 or not words[1].isdigit() or len(words[1]) != 3:
                    raise _Broken(f"bad status line {head.splitlines()[0]!r}")
                status = int(words[1])
                sink(head)
                if not (100 <= status < 200) or status == 101:
                    break  # a 1xx other than 101 is interim: the real answer follows
            body = _response_body(request.method, status, headers)
            _relay_body(reader, body, sink)
            return body == "eof" or _closes(words[0], headers)
        finally:
            self._release(upstream)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.faultproxy",
        description="A fault-injecting HTTP proxy on 127.0.0.1, for trying the client by hand.",
    )
    parser.add_argument("--upstream", required=True, help="e.g. http://127.0.0.1:8000")
    parser.add_argument("--seed", type=int, default=0)
    for kind in FAULT_KINDS:
        parser.add_argument(f"--{kind.replace('_', '-')}", type=float, default=0.0, metavar="P")
    parser.add_argument("--unavailable-statuses", default="503", help="comma-separated")
    parser.add_argument("--retry-after", type=int, default=1)
    parser.add_argument("--delay-seconds", type=float, default=0.5)
    args = parser.parse_args(argv)
    try:
        mix = FaultMix(
            reset_before=args.reset_before,
            reset_after=args.reset_after,
            unavailable=args.unavailable,
            throttled=args.throttled,
            delayed=args.delayed,
            unavailable_statuses=tuple(int(s) for s in args.unavailable_statuses.split(",")),
            retry_after=args.retry_after,
            delay_seconds=args.delay_seconds,
        )
        proxy = FaultProxy(args.upstream, seed=args.seed, faults=mix)
    except ValueError as exc:
        parser.error(str(exc))
    with proxy:
        print(proxy.base_url, flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
        print(proxy.stats)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
