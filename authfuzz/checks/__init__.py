"""The kinds of check, one module each: what each sends, as trials for the engine.

- ``auth_writes``: a negative credential against a write operation, and the positive control;
- ``identity``: a negative credential on a read of an unpublished release (all production gets);
- ``url_writes``: a URL case written as trusted staff through one write path and body format;
- ``bulk_deletes``: a bulk-delete filter sent as trusted staff, in a scene of its own;
- ``routes``: a route-surface cell (a method on a spelling of a path nobody documented);
- ``pocs``: a step of a PoC file;
- ``openapi``: a Schemathesis case dressed in a negative credential;
- ``stored_urls``: no trial at all, the URL policy over everything the target stores.

Each module turns its inputs into ``Trial`` values (``authfuzz.engine.trial``); none of them
reads state back or judges: the engine does, the same way for all.
"""
