"""Proof-of-concept files: one attack per file, replayed with one verdict per step.

``format`` reads and validates a PoC file (TOML), ``placeholders`` fills its secrets and
objects at run time, ``replay`` sends its steps through the harness's client and judges them
with the gate's own oracles, ``export`` turns a finding into a PoC file.
"""
