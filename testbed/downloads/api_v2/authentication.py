"""Authentication pieces that only the v2 proxy-user-header defect switches on.

At HEAD v2 authenticates with a DRF token and nothing else; nothing here is used then
(``settings.AUTHENTICATION_BACKENDS`` lists the backend only with that switch on).
"""

from __future__ import annotations

from django.contrib.auth.backends import RemoteUserBackend
from rest_framework.authentication import RemoteUserAuthentication


class ForwardedUserAuthentication(RemoteUserAuthentication):
    """Defect proxy-user-header: "the proxy in front of us authenticates, take its word".

    The mistake is trusting a request header for that: ``X-Forwarded-User`` reaches Django
    as ``HTTP_X_FORWARDED_USER`` whether a proxy set it or the client did, and nothing in front
    of the testbed (or of a misconfigured deployment) strips it.
    """

    header = "HTTP_X_FORWARDED_USER"


class ExistingRemoteUserBackend(RemoteUserBackend):
    """Maps a proxy-supplied username to an existing account; never creates one."""

    create_unknown_user = False
