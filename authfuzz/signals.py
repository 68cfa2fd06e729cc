"""SIGTERM ends a run the way Ctrl-C does: fixtures torn down, the run's objects removed,
the verdict INCOMPLETE and every report written.

CI runners cancel a job with SIGTERM (GitHub Actions sends SIGINT, then SIGTERM, then
SIGKILL); Python's default for SIGTERM is to die on the spot, which would skip clean-up and
leave the previous run's reports, or none, for the artifact. The handler turns it into the
``KeyboardInterrupt`` pytest already unwinds from, and remembers which signal it was.
"""

from __future__ import annotations

import signal
import threading
from dataclasses import dataclass, field
from types import FrameType
from typing import Any


@dataclass
class SignalWatch:
    """Which signal stopped the run, if one did; installed for one pytest session."""

    received: str | None = None
    _previous: Any = field(default=None, repr=False)
    _installed: bool = False

    def install(self) -> None:
        """Only the main thread may set a handler; elsewhere SIGTERM keeps its default."""
        if threading.current_thread() is not threading.main_thread():
            return
        self._previous = signal.signal(signal.SIGTERM, self._on_term)
        self._installed = True

    def restore(self) -> None:
        if self._installed:
            signal.signal(signal.SIGTERM, self._previous)
            self._installed = False

    def interrupted_by(self) -> str:
        """The signal's name for the verdict: SIGTERM if this handler saw one, else SIGINT."""
        return self.received or "SIGINT"

    def _on_term(self, signum: int, frame: FrameType | None) -> None:
        if self.received is None:
            self.received = "SIGTERM"
            raise KeyboardInterrupt("SIGTERM")
