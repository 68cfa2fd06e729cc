"""authfuzz: a security regression gate for python.org's release-management API.

Two invariants, checked by reading state back rather than trusting status
codes: no unauthenticated write is ever accepted, and no release-file URL
outside the allowed prefix is ever stored.

PYTEST_DONT_REWRITE: the CLI imports this package before it starts pytest, so pytest
could not rewrite its asserts anyway (and warned that it could not); its checks fail
with their own messages (``FindingError``), so rewriting has nothing to add.
"""

__version__ = "0.1.0"
