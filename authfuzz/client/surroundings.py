"""What the client asks of custody around a risky request, as a protocol the client owns.

A request that could reach someone else's data is sent inside custody's snapshot-and-put-back
(``custody.protector.Protector``), and custody reads and writes through a client: naming only
the one method it calls keeps the client from importing custody, and custody from a circle.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol

from authfuzz.client.guard import Reach


class Guardian(Protocol):
    def around(self, reach: Reach) -> AbstractContextManager[object]: ...
