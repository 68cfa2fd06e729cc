"""``authfuzz explain CODE``: what a finding code means, why it matters, how to fix it.

A failing gate in CI names codes (``AFW11``); the person reading the log is rarely the one who
wrote the check. ``authfuzz explain`` with no code lists every code.
"""

from __future__ import annotations

import argparse

from authfuzz.codes import catalogue, lookup


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="authfuzz explain", description=__doc__.splitlines()[0])
    parser.add_argument("code", nargs="?", help="a finding code, such as AFW11 (none: list all)")
    args = parser.parse_args(argv)
    if args.code is None:
        for code in catalogue():
            print(f"{code.code}  {code.invariant:<28} {code.family}: {code.what}")
        return 0
    found = lookup(args.code)
    if found is None:
        print(f"authfuzz explain: error: unknown code {args.code!r} (authfuzz explain lists all)")
        return 2
    print(found.explain())
    return 0
