"""The gate's options, written once for ``pytest`` and for ``authfuzz run``.

``authfuzz run`` is a thin front of pytest: it takes the same options and hands them on.
One table keeps the two from drifting (a default, a help text, a choice): the plugin adds
each option to pytest's parser, the command adds it to its own and forwards what was given.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from authfuzz.progress import DEFAULT_INTERVAL
from authfuzz.targets import DEFAULT_TARGET, TARGETS_ENV

DEFAULT_REPORT_DIR = "authfuzz-report"


@dataclass(frozen=True)
class Option:
    flag: str
    help: str
    default: Any = None
    flag_only: bool = False  # on or off, no value
    number: bool = False  # a float (seconds)
    choices: Sequence[str] | None = None
    metavar: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def dest(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")

    def arguments(self) -> dict[str, Any]:
        """Keyword arguments for ``argparse`` and pytest's parser alike."""
        if self.flag_only:
            return {"action": "store_true", "help": self.help}
        kwargs: dict[str, Any] = {"default": self.default, "help": self.help}
        if self.number:
            kwargs["type"] = float
        if self.choices is not None:
            kwargs["choices"] = list(self.choices)
        if self.metavar is not None:
            kwargs["metavar"] = self.metavar
        return kwargs

    def forwarded(self, value: Any) -> list[str]:
        """The pytest arguments that pass ``value`` on (none for the default)."""
        if value is None or value is False or value == self.default:
            return []
        return [self.flag] if self.flag_only else [self.flag, str(value)]


OPTIONS: tuple[Option, ...] = (
    Option("--target", f"target name in the targets file (default: {DEFAULT_TARGET})",
           default=DEFAULT_TARGET),
    Option("--targets-file", f"targets file (default: ${TARGETS_ENV} or ./targets.toml)"),
    Option("--defects", "defect switches for the embedded testbed (a,b)", default=""),
    Option("--report-dir", f"where the reports go (default: {DEFAULT_REPORT_DIR})",
           default=DEFAULT_REPORT_DIR),
    Option("--spend-journal", "what each throttle bucket spent across runs (default: "
           "$AUTHFUZZ_JOURNAL or ~/.cache/authfuzz/spend.json)"),
    Option("--baseline", "an earlier findings.json (or {'accepted': [...]}): those findings "
           "are reported but do not fail the run; entries not found again are reported as "
           "fixed"),
    Option("--progress-every", "a status line (tests, findings, requests, budget) at most "
           f"every SECONDS (default {DEFAULT_INTERVAL:.0f}; 0: off)",
           default=DEFAULT_INTERVAL, number=True, metavar="SECONDS"),
    Option("--max-seconds", "stop checking after SECONDS; what was not checked is listed, "
           "and the run fails", number=True, metavar="SECONDS"),
    Option("--fit-throttle", "trim fuzzed examples until the run fits the target's "
           "throttles (the explicit examples, which exercise every cell, always stay)",
           flag_only=True),
    Option("--matrix", "coverage on the end screen: the branch x operation grid (summary) "
           "or the grid and every sub-form each branch ran (detailed); coverage.txt in the "
           "report directory always has the detailed view",
           default="summary", choices=("summary", "detailed")),
    Option("--as-production", "treat the target as production: send nothing that could "
           "change state", flag_only=True),
)  # fmt: skip


def add_to_argparse(parser: argparse.ArgumentParser) -> None:
    for option in OPTIONS:
        parser.add_argument(option.flag, **option.arguments())


def add_to_pytest(group: Any) -> None:
    """``group``: the ``authfuzz`` group of pytest's parser."""
    for option in OPTIONS:
        group.addoption(option.flag, **option.arguments())


def forward(args: argparse.Namespace, skip: Sequence[str] = ()) -> list[str]:
    """What ``authfuzz run`` was given, as the pytest arguments that say the same (but the
    options in ``skip``, which the command passes itself)."""
    return [
        word for o in OPTIONS if o.flag not in skip for word in o.forwarded(getattr(args, o.dest))
    ]
