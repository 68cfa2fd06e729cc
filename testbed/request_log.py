"""Append one line per request to a log file, so tests can prove what reached the server.

The production-guard test relies on it: it must be able to show that no
state-changing request arrived. Only the method, the override header and the
path are written, never headers, query strings or bodies, so no credential can
leak into the log.
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
        override = request.META.get("HTTP_X_HTTP_METHOD_OVERRIDE", "")
        response = self.get_response(request)
        if self.path:
            line = json.dumps(
                {
                    "method": method,
                    "override": override,
                    "path": request.path,
                    "status": response.status_code,
                    "time": round(time.time(), 4),
                }
            )
            with _lock, open(self.path, "a", encoding="utf-8") as log:
                log.write(line + "\n")
        return response
