"""Which throttle bucket a request is counted in, and whether its answer was counted.

The server's rules (release-api.md section 5), applied from the outside:

- v1 counts a request against the username of a valid ``ApiKey user:key`` header (an active
  user's), or else against the guest's address, and only when the handler finished: a 2xx, or
  a 404 from a detail look-up. 401s (every failed authentication) are never counted.
- v2 counts against the user of a valid ``Token`` (an active user's), or else the anonymous
  client, every request that passed authentication and permission: anything but 401 and 403.
- A 429 is not counted either; it says the bucket is full. Nor is a 400 the front server
  gave a request it could not parse (not JSON): the application never saw it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from authfuzz.api_shapes import detail_target
from authfuzz.principals import Principals, Role

if TYPE_CHECKING:
    from authfuzz.client.messages import ApiRequest

GUEST = "guest"
ANONYMOUS = "anonymous"


@dataclass(frozen=True)
class Bucket:
    api: str  # v1 | v2
    identity: str  # a principal's name, or guest (v1) / anonymous (v2)

    @property
    def throttle(self) -> str:
        """The throttle class: v1, v2-user or v2-anonymous."""
        if self.api == "v1":
            return "v1"
        return "v2-anonymous" if self.identity == ANONYMOUS else "v2-user"

    @property
    def label(self) -> str:
        return f"{self.api} {self.identity}"

    @classmethod
    def from_label(cls, label: str) -> Bucket:
        api, _, identity = label.partition(" ")
        return cls(api, identity)


def bucket_of(request: ApiRequest, principals: Principals) -> Bucket | None:
    """The bucket ``request`` is counted in on a correct server; None outside the APIs."""
    if request.path.startswith("/api/v1/"):
        api = "v1"
    elif request.path.startswith("/api/v2/"):
        api = "v2"
    else:
        return None
    values = [v for name, v in request.headers if name.lower() == "authorization"]
    scheme, _, data = (values[0] if values else "").strip().partition(" ")
    for principal in principals:
        if principal.role is Role.INACTIVE:
            continue  # an inactive user never authenticates
        valid_v1 = f"{principal.username}:{principal.api_key}" if principal.api_key else None
        if api == "v1" and scheme.lower() == "apikey" and data == valid_v1:
            return Bucket(api, principal.name)
        if api == "v2" and scheme == "Token" and principal.token and data == principal.token:
            return Bucket(api, principal.name)
    return Bucket(api, GUEST if api == "v1" else ANONYMOUS)


def charged(request: ApiRequest, principals: Principals, status: int, bucket: Bucket) -> Bucket:
    """The bucket the server evidently counted ``request`` in, given its answer.

    On a correct server that is ``bucket_of``. But v1 keys its throttle on the username of the
    ``ApiKey`` header once authentication let the request through, and a correct server lets a
    wrong key through never (401): an answer other than 401 to a header naming a principal's
    username with the wrong key means a vulnerable server took it as that user, and counted (or
    throttled) it in that user's bucket, not the guest's."""
    if bucket.api != "v1" or bucket.identity != GUEST or status in (0, 401):
        return bucket
    values = [v for name, v in request.headers if name.lower() == "authorization"]
    scheme, _, data = (values[0] if values else "").strip().partition(" ")
    username = data.partition(":")[0]
    if scheme.lower() != "apikey" or not username:
        return bucket
    for principal in principals:
        if principal.username == username and principal.role is not Role.INACTIVE:
            return Bucket("v1", principal.name)
    return bucket


def counted(bucket: Bucket, status: int, path: str, content_type: str = "") -> bool:
    """Whether the server counted a request that got ``status`` (0: no answer).

    A 400 that is not JSON came from the front server refusing a malformed request (a control
    character or a NUL in a header): the application, and so its throttle, never saw it."""
    if status in (0, 429):
        return False
    if status == 400 and "json" not in content_type:
        return False
    if bucket.api == "v1":
        return 200 <= status < 300 or (status == 404 and detail_target(path) is not None)
    return status not in (401, 403)
