"""authfuzz: a security regression gate for python.org's release-management API.

Four invariants (``authfuzz.codes`` names them, ``authfuzz.oracles`` judges them), each
checked by reading state back rather than trusting status codes: no request without valid,
active staff credentials changes state (or reveals a draft); no release-file URL outside the
allowed prefix is stored; a bulk delete stays within the one release it names; no route or
method the API does not document changes state.

PYTEST_DONT_REWRITE: the CLI imports this package before it starts pytest, so pytest
could not rewrite its asserts anyway (and warned that it could not); its checks fail
with their own messages (``FindingError``), so rewriting has nothing to add.
"""

__version__ = "0.1.0"
