"""A real local replica of python.org's release-management API.

It exists so that authfuzz always has a target that behaves like the real
deployment at its newest commit, and so that every historical defect can be
switched back on to prove the harness detects it.
"""
