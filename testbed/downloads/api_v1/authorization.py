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
        if defect_on("any-key-reads-drafts") and is_api_key_authenticated(bundle.request):
            # Defect any-key-reads-drafts: "release managers preview a draft with their key".
            # Having a key was taken for being a release manager, but python.org gives every
            # account an ApiKey (a post_save hook): any signed-in user reads a draft's detail.
            # The list and set/ read through read_list, which still hides drafts.
            return True
        if defect_on("v1-detail-patch") and _patch_with_a_key(bundle.request):
            return True  # the PATCH looks its object up through here: drafts must be found
        raise Unauthorized("Unpublished objects are visible to staff only.")

    def update_detail(self, object_list: Any, bundle: Any) -> bool:
        """Defect v1-detail-patch: "release tooling PATCHes a draft to publish it".

        The release detail takes PATCH again (``ReleaseResource``), and updates were given to
        any valid API key, drafts included, on the reading that the staff rule is about
        creating and deleting: a non-staff key can rename, publish or unpublish any release.
        """
        if defect_on("v1-detail-patch") and is_api_key_authenticated(bundle.request):
            return True
        return super().update_detail(object_list, bundle)


def _patch_with_a_key(request: HttpRequest) -> bool:
    # Tastypie's patch_detail sets request.method to PATCH, also for an X-HTTP-Method-Override.
    return request.method == "PATCH" and is_api_key_authenticated(request)
