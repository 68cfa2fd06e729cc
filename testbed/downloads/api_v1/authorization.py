"""v1 authorization: staff with an API key may write; unpublished releases are staff-only.

Failures raise ``Unauthorized``, which Tastypie answers with 401 (never 403),
as python.org does.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from tastypie.authorization import Authorization
from tastypie.exceptions import Unauthorized

from testbed.downloads.api_v1.authentication import is_api_key_authenticated
from testbed.downloads.switches import defect_on


def _is_staff(request: HttpRequest) -> bool:
    return bool(getattr(request.user, "is_staff", False))


def may_write(request: HttpRequest) -> bool:
    if defect_on("session-cookie-write"):
        return _is_staff(request) and request.user.is_authenticated
    return _is_staff(request) and is_api_key_authenticated(request)


class StaffAuthorization(Authorization):
    def read_list(self, object_list: Any, bundle: Any) -> Any:
        return object_list

    def read_detail(self, object_list: Any, bundle: Any) -> bool:
        return True

    def _require_writer(self, bundle: Any) -> None:
        if not may_write(bundle.request):
            raise Unauthorized("Staff API-key authentication is required to write.")

    def create_list(self, object_list: Any, bundle: Any) -> Any:
        self._require_writer(bundle)
        return object_list

    def create_detail(self, object_list: Any, bundle: Any) -> bool:
        self._require_writer(bundle)
        return True

    def update_list(self, object_list: Any, bundle: Any) -> Any:
        self._require_writer(bundle)
        return object_list

    def update_detail(self, object_list: Any, bundle: Any) -> bool:
        self._require_writer(bundle)
        return True

    def delete_list(self, object_list: Any, bundle: Any) -> Any:
        self._require_writer(bundle)
        return object_list

    def delete_detail(self, object_list: Any, bundle: Any) -> bool:
        self._require_writer(bundle)
        return True


class OnlyPublishedAuthorization(StaffAuthorization):
    def read_list(self, object_list: Any, bundle: Any) -> Any:
        if _is_staff(bundle.request):
            return object_list
        return object_list.filter(is_published=True)

    def read_detail(self, object_list: Any, bundle: Any) -> bool:
        if _is_staff(bundle.request) or getattr(bundle.obj, "is_published", True):
            return True
        raise Unauthorized("Unpublished objects are visible to staff only.")
