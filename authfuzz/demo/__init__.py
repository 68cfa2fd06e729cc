"""``authfuzz demo``: the gate against the clean testbed and a broken one, side by side.

A fresh checkout should be able to show, in one command and about a minute, what authfuzz is
for: the same gate run twice, once against the embedded testbed as python.org's HEAD behaves
(it must pass with zero findings) and once with a historical defect switched on (by default
``guest-fallthrough``, the February 2026 bypass, which it must catch). A gate that fails the
clean testbed or passes the broken one has demonstrated nothing, so the demo's exit code is
about the pair: 0 when clean passed and the defect was caught, 1 when either half went wrong,
2 for a usage or configuration error, 3 when a gate could not run at all (the testbed did not
start, the time limit passed).

Each gate is a real ``authfuzz run`` in a subprocess (its own process group, its output in
``gate.log`` next to its reports), so the demo shows exactly what ``authfuzz run`` would
conclude. The two run at once, one pytest process each. Anything printed that comes from a
run (findings, the tail of a log) goes through the redactor first.

``command`` parses the command line and drives the rest, ``gates`` starts, watches and stops
the two ``authfuzz run`` subprocesses, ``results`` reads what each left behind and decides the
exit code, ``display`` renders it all for the terminal.
"""

from authfuzz.demo.command import main

__all__ = ["main"]
