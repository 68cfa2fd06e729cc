"""The client and its safety rules: the only way the harness talks to a target.

- ``client``: ``Client.send``, the one place every request goes through;
- ``guard``: the production guard (what could change state);
- ``faults``: what is transient, how retries back off, the circuit breaker;
- ``resend``: how a state-changing request is repeated only after a read-back;
- ``transport``: urllib3 on the wire; ``messages``: requests and responses as values;
- ``budget``: the request budget and rate limit; ``rendering``: curl lines and PoC requests;
- ``purpose``: why each request was sent, for the spend per purpose;
- ``surroundings``: what the client asks of custody around a risky request (a protocol, so
  the client imports nothing that imports it back).
"""

from authfuzz.client.budget import BudgetExhaustedError, Deadline
from authfuzz.client.client import Client
from authfuzz.client.faults import FaultPolicy, TargetUnreachableError
from authfuzz.client.messages import ApiRequest, ApiResponse, Pairs
from authfuzz.client.purpose import Purpose
from authfuzz.client.rendering import redacted_request, render_curl
from authfuzz.client.resend import send_write

__all__ = [
    "ApiRequest",
    "ApiResponse",
    "BudgetExhaustedError",
    "Client",
    "Deadline",
    "FaultPolicy",
    "Pairs",
    "Purpose",
    "TargetUnreachableError",
    "redacted_request",
    "render_curl",
    "send_write",
]
