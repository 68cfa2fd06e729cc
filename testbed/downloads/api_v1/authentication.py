"""v1 authentication: ``Authorization: ApiKey <username>:<key>`` or a guest.

The Feb-2026 bypass lived here: the guest fallback and the wrong-key branch
shared one return value. At HEAD every branch below is explicit, so a wrong
key can only ever end in 401. Each defect switch re-opens exactly one branch.
"""

from __future__ import annotations

import hmac
import ipaddress

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from tastypie.authentication import Authentication
from tastypie.http import HttpUnauthorized
from tastypie.models import ApiKey

from testbed.downloads.switches import defect_on

LEGACY_PARAMS = ("username", "api_key")
API_KEY_AUTHENTICATED = "_authfuzz_api_key_authenticated"
BUILD_NETWORK = ipaddress.ip_network("10.0.0.0/8")  # only the trusted-network defect uses it


def is_api_key_authenticated(request: HttpRequest) -> bool:
    return bool(getattr(request, API_KEY_AUTHENTICATED, False))


class ApiKeyOrGuestAuthentication(Authentication):
    def is_authenticated(self, request: HttpRequest, **kwargs: object) -> bool | HttpResponse:
        setattr(request, API_KEY_AUTHENTICATED, False)

        legacy = [p for p in LEGACY_PARAMS if p in request.GET or p in request.POST]
        if legacy and not defect_on("legacy-credentials"):
            return HttpUnauthorized()

        header = request.META.get("HTTP_AUTHORIZATION", "")
        if defect_on("legacy-credentials") and legacy and not header:
            source = request.GET if any(p in request.GET for p in LEGACY_PARAMS) else request.POST
            header = f"ApiKey {source.get('username', '')}:{source.get('api_key', '')}"

        if not header:
            if defect_on("trusted-network"):
                tooling = _release_tooling_user(request)
                if tooling is not None:
                    request.user = tooling
                    setattr(request, API_KEY_AUTHENTICATED, True)
                    return True
            if not defect_on("session-cookie-write"):
                request.user = AnonymousUser()
            return True

        credentials = self._parse(header)
        if credentials is None:
            return HttpUnauthorized()
        username, key = credentials
        if defect_on("username-strip"):
            # Defect username-strip: a "be lenient with copy-pasted credentials" tidy-up, so
            # "ApiKey  admin:<key>" (two spaces), a tab, or "admin :<key>" all name admin.
            username = username.strip()

        user_model = get_user_model()
        try:
            user = user_model.objects.get(**{user_model.USERNAME_FIELD: username})
        except (user_model.DoesNotExist, user_model.MultipleObjectsReturned):
            return HttpUnauthorized()

        if not user.is_active and not defect_on("inactive-user"):
            return HttpUnauthorized()

        stored = ApiKey.objects.filter(user=user).values_list("key", flat=True).first()
        if defect_on("key-extension") and stored is not None:
            # Defect key-extension: the presented key is cut to the stored key's length before
            # the comparison, so the right key with anything appended still matches.
            key = key[: len(stored)]
        key_matches = stored is not None and hmac.compare_digest(stored, key)
        if not key_matches and not defect_on("guest-fallthrough"):
            return HttpUnauthorized()

        request.user = user
        setattr(request, API_KEY_AUTHENTICATED, True)
        return True

    @staticmethod
    def _parse(header: str) -> tuple[str, str] | None:
        """``ApiKey user:key`` (scheme in any case) or None for every malformed form."""
        scheme, sep, data = header.partition(" ")
        if not sep or scheme.lower() != "apikey":
            return None
        if data.count(":") != 1:
            return None
        username, _, key = data.partition(":")
        if not username or not key:
            return None
        return username, key

    def get_identifier(self, request: HttpRequest) -> str:
        if is_api_key_authenticated(request):
            return str(request.user.get_username())
        return super().get_identifier(request)


def _release_tooling_user(request: HttpRequest) -> object | None:
    """Defect trusted-network: "release tooling on the build network may write without a key".

    The mistake is where the client address comes from: the X-Real-IP header, which any client
    can send, instead of REMOTE_ADDR (which on python.org is the proxy anyway). A request from
    10.0.0.0/8 by that header becomes the first active staff superuser, as if it had a key.
    """
    try:
        address = ipaddress.ip_address(request.META.get("HTTP_X_REAL_IP", "").strip())
    except ValueError:
        return None
    if address not in BUILD_NETWORK:
        return None
    user_model = get_user_model()
    active_admins = user_model.objects.filter(is_active=True, is_staff=True, is_superuser=True)
    return active_admins.order_by("pk").first()
