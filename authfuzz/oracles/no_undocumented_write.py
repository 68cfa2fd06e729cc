"""NoUndocumentedWrite: no caller, not even trusted staff, changes state through a route the
spec does not document.

A route the frameworks answer but nobody documented (a method a resource's allowed methods
were widened to, a second URL pattern that catches a misspelt path, a PUT that creates the
object it was meant to update) is a way in that no review looks at. Staff may write through
the documented routes; through any other, a change is reported here, apart from the
negative-credential findings of ``no-unauthenticated-write``: it says the route surface is
wider than the spec, not that authentication failed. Judged by reading state back
(``authfuzz.surface.check``); the status is only evidence.
"""

from __future__ import annotations

INVARIANT = "no-undocumented-write"
