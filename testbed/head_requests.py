"""Answer HEAD without a body, as every deployment's server does.

waitress sends whatever body the application returns, also to HEAD (Tastypie's 405 carries
the Allow list as its body, DRF and Django their pages). A client on a kept-alive connection
then reads those bytes as the start of the next answer and the connection breaks: the gate
saw it as a network fault on every HEAD cell of the route surface. python.org's own servers
(gunicorn behind a proxy) send headers only, so the testbed does too; Content-Length still
says how long the body would have been, as HTTP allows.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class HeadWithoutBodyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.method == "HEAD" and not response.streaming:
            length = len(response.content)
            response.content = b""
            response["Content-Length"] = str(length)
        return response
