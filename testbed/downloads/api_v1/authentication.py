"""v1 authentication: ``Authorization: ApiKey <username>:<key>`` or a guest.

The Feb-2026 bypass lived here: the guest fallback and the wrong-key branch
shared one return value. At HEAD every branch below is explicit, so a wrong
key can only ever end in 401. Each defect switch re-opens exactly one branch.
"""

from __future__ import annotations

import hmac
import ipaddress
import unicodedata
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from tastypie.authentication import Authentication
from tastypie.http import HttpUnauthorized
from tastypie.models import ApiKey

from testbed.downloads.switches import defect_on

LEGACY_PARAMS = ("username", "api_key")
API_KEY_AUTHENTICATED = "_authfuzz_api_key_authenticated"
BUILD_NETWORK = ipaddress.ip_network("10.0.0.0/8")  # only the trusted-network defect uses it
UPLOAD_BURST_SECONDS = 3  # only the upload-burst-auth-cache defect uses it


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

        if defect_on("nfkc-credentials"):
            header = _as_normalised_text(header)
        credentials = self._parse(header)
        if credentials is None:
            return HttpUnauthorized()
        username, key = credentials
        if defect_on("username-strip"):
            # Defect username-strip: a "be lenient with copy-pasted credentials" tidy-up, so
            # "ApiKey  admin:<key>" (two spaces), a tab, or "admin :<key>" all name admin.
            username = username.strip()

        remembered = self._remembered_user(username)
        if remembered is not None:
            request.user = remembered
            setattr(request, API_KEY_AUTHENTICATED, True)
            return True

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
        if defect_on("nfkc-credentials"):
            # (hmac.compare_digest takes ASCII-only str: bytes, so a key NFKC leaves non-ASCII
            # is a plain mismatch instead of HEAD's TypeError and 500.)
            key_matches = stored is not None and hmac.compare_digest(stored.encode(), key.encode())
        else:
            key_matches = stored is not None and hmac.compare_digest(stored, key)
        if not key_matches and not defect_on("guest-fallthrough"):
            return HttpUnauthorized()

        request.user = user
        setattr(request, API_KEY_AUTHENTICATED, True)
        self._remember(user)
        return True

    def _remembered_user(self, username: str) -> Any:
        """A user this request may skip the key check for: never, except in the subclass."""
        return None

    def _remember(self, user: Any) -> None:
        """Called after each valid key; only the defect subclass keeps anything."""

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


class UploaderAuthentication(ApiKeyOrGuestAuthentication):
    """The release-file resource's authentication: HEAD's, plus a cache only a defect uses.

    Defect upload-burst-auth-cache: "release tooling uploads a release's files in a burst of
    POSTs; skip the user and key lookups for an uploader seen in the last few seconds". The
    cache entry is keyed by the username alone, so for UPLOAD_BURST_SECONDS after any valid
    request to release_file, the next request naming that username is taken as that user
    whatever key it carries (a wrong one, another user's). A hit refreshes nothing: the window
    is counted from the last request whose key was actually checked.
    """

    def _remembered_user(self, username: str) -> Any:
        if not defect_on("upload-burst-auth-cache"):
            return None
        pk = cache.get(_uploader_cache_key(username))
        if pk is None:
            return None
        return get_user_model().objects.filter(pk=pk, is_active=True).first()

    def _remember(self, user: Any) -> None:
        if defect_on("upload-burst-auth-cache"):
            cache.set(_uploader_cache_key(user.get_username()), user.pk, UPLOAD_BURST_SECONDS)


def _uploader_cache_key(username: str) -> str:
    return f"v1-uploader:{username}"


def _as_normalised_text(header: str) -> str:
    """Defect nfkc-credentials: "a non-ASCII key is a 500 (hmac.compare_digest takes ASCII str
    only), and non-ASCII usernames cannot sign in".

    The fix decodes the header's bytes as UTF-8 (WSGI hands them over as ISO-8859-1 text; as
    DRF does for Basic credentials, falling back to ISO-8859-1) and normalises the result NFKC,
    as Django's login form normalises usernames. It normalises the whole credential, the key
    included: fullwidth letters and digits, mathematical digits, ligatures such as U+FB00 (ff)
    all become the ASCII key they are compatible with, so the key's many spellings pass.
    """
    try:
        raw = header.encode("latin-1")
    except UnicodeEncodeError:
        return unicodedata.normalize("NFKC", header)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = header
    return unicodedata.normalize("NFKC", text)


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
