"""One lock per target for all processes of a run: shared while a batch is in flight, exclusive
while the engine needs every change to be its own.

Two workers gating one staging deployment interleave their batches: each judges only what it
may explain, so a change the other one caused makes a batch dirty but never a finding. What
turns an observation into a finding (bisecting, replaying a trial alone) and what destroys or
restores data that is not the run's own happens under the exclusive lock, with nothing else of
the run in flight, so a change seen then was caused by the request just sent, and a deleted
object is put back once, by one process, however many saw it go.

``flock`` on a file in the run's shared directory: released by the kernel when a process dies,
so a killed worker never leaves the others waiting. Waiting is bounded (``MAX_WAIT``). Within
one process the lock is re-entrant; asking for the exclusive lock inside a shared hold upgrades
it for the inner block (never needed inside a batch window: the engine opens risky batches
exclusive from the start).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from authfuzz.not_checked import Cause, NotChecked

MAX_WAIT = 900.0  # seconds another process may hold the target before a check gives up
_POLL = 0.02


@dataclass
class RunLock:
    path: Path | None = None  # None: this process is the only one (no lock needed)
    _fd: int | None = field(default=None, repr=False)
    _mode: int = 0  # 0 unlocked, fcntl.LOCK_SH or fcntl.LOCK_EX

    @classmethod
    def for_target(cls, directory: Path | None, base_url: str) -> RunLock:
        if directory is None:
            return cls()
        name = hashlib.sha256(base_url.encode()).hexdigest()[:16]
        return cls(directory / f"target-{name}.lock")

    @property
    def shared_with_others(self) -> bool:
        """Whether other processes of the run work on the same target (else: a no-op lock, and
        what this process last read is still true when it takes the lock)."""
        return self.path is not None

    @contextmanager
    def shared(self) -> Iterator[None]:
        if self.path is None or self._mode:  # anything held already covers a shared need
            yield
            return
        with self._holding(fcntl.LOCK_SH):
            yield

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        if self.path is None or self._mode == fcntl.LOCK_EX:
            yield
            return
        previous = self._mode
        with self._holding(fcntl.LOCK_EX):
            yield
        if previous:  # back to the shared hold the caller still has
            self._acquire(previous)

    @contextmanager
    def _holding(self, mode: int) -> Iterator[None]:
        self._acquire(mode)
        try:
            yield
        finally:
            self._release()

    def _acquire(self, mode: int) -> None:
        assert self.path is not None
        if self._fd is None:
            self._fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600)
        deadline = time.monotonic() + MAX_WAIT
        while True:
            try:
                fcntl.flock(self._fd, mode | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise NotChecked(
                        f"another process of the run held the target for {MAX_WAIT:.0f} s",
                        Cause.FAULT,
                    ) from None
                time.sleep(_POLL)
        self._mode = mode

    def _release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._mode = 0

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
