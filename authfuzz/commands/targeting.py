"""How a command names its target: the same two options and the same resolution everywhere.

A run's end screen prints follow-up commands (``authfuzz clean --ledger ... --target ...``);
they work only if every command finds the targets file the run used.
"""

from __future__ import annotations

import argparse

from authfuzz.targets import DEFAULT_TARGET, TARGETS_ENV


def add_target_options(parser: argparse.ArgumentParser, *, required: bool) -> None:
    """``--target`` (required, or the embedded testbed by default) and ``--targets-file``."""
    if required:
        parser.add_argument("--target", required=True, help="target name in the targets file")
    else:
        parser.add_argument(
            "--target", help=f"target name in the targets file (default: {DEFAULT_TARGET})"
        )
    parser.add_argument(
        "--targets-file", help=f"targets file (default: ${TARGETS_ENV} or ./targets.toml)"
    )
