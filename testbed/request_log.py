"""Append one line per request to a log file, so tests can prove what reached the server.

The production-guard test relies on it: it must be able to show that no
state-changing request arrived. Only the method, the method overrides it carried
(which header or parameter, and the method asked for) and the path are written,
never other headers, query strings or bodies, so no credential can leak into the
log.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

_lock = threading.Lock()


class RequestLogMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.path = settings.AUTHFUZZ_REQUEST_LOG

    def __call__(self, request: HttpRequest) -> HttpResponse:
        method = request.method
        overrides = _overrides(request)
        response = self.get_response(request)
        if self.path:
            line = json.dumps(
                {
                    "method": method,
                    "override": overrides[0][1] if overrides else "",
                    "overrides": overrides,
                    "path": request.path,
                    "status": response.status_code,
                    "time": round(time.time(), 4),
                }
            )
            with _lock, open(self.path, "a", encoding="utf-8") as log:
                log.write(line + "\n")
        return response


_OVERRIDE_HEADERS = ("X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override")
_METHOD_WORD = 12  # a method name is short; anything longer is cut, so no secret fits


def _overrides(request: HttpRequest) -> list[tuple[str, str]]:
    """(carrier, method asked for) of every override header or ``_method`` parameter."""
    found = []
    for name in _OVERRIDE_HEADERS:
        value = request.META.get("HTTP_" + name.upper().replace("-", "_"))
        if value is not None:
            found.append((name, value[:_METHOD_WORD]))
    for where, params in (("query", request.GET), ("form", _form_params(request))):
        for key in params:
            if key.lower() == "_method":
                found.append((f"{where} {key}", str(params.get(key, ""))[:_METHOD_WORD]))
    return found


def _form_params(request: HttpRequest) -> dict[str, str]:
    """The form body's fields, without reading a body the view has not asked for yet."""
    content_type = request.META.get("CONTENT_TYPE", "")
    if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        return {}
    try:
        return {key: request.POST.get(key, "") for key in request.POST}
    except Exception:  # a malformed body is the view's problem, not the log's
        return {}
