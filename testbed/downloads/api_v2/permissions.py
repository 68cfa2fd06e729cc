from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission


class IsStaffOrReadOnly(BasePermission):
    """Anyone may read; only staff may write. No object-level rule."""

    def has_permission(self, request: Any, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return bool(request.user and request.user.is_staff)


# -- permissions that only a defect puts in place (see views.py) -------------------------------

OBJECT_ACTIONS = ("update", "partial_update", "destroy")


class IsStaffOrCreator(IsStaffOrReadOnly):
    """Defect creatorless-release-writable: "whoever created a release may correct it".

    Updates and deletes of a release are decided per object: staff, or the release's creator
    (v2 now records it on create). The rule compares ``creator_id`` with ``request.user.pk``;
    an anonymous caller's pk is None, and so is the creator of every row v2 did not create:
    the seeded catalogue, legacy rows, releases made through v1 (which has no field for the
    creator). Anyone, without credentials, may update or delete those; releases
    created through v2 stay staff-only, so a probe of freshly created objects finds nothing.
    """

    def has_permission(self, request: Any, view: Any) -> bool:
        if getattr(view, "action", None) in OBJECT_ACTIONS:
            return True  # has_object_permission decides, once the release is found
        return super().has_permission(request, view)

    def has_object_permission(self, request: Any, view: Any, obj: Any) -> bool:
        if request.method in SAFE_METHODS or getattr(request.user, "is_staff", False):
            return True
        return bool(obj.creator_id == request.user.pk)


class UploadCheckedOnTheFile(IsStaffOrReadOnly):
    """Defect upload-checked-after-save: "who may upload will depend on the file's release".

    DRF never calls ``has_object_permission`` on create, so the create decision was moved to
    ``ReleaseFileViewSet.perform_create``, which checks the saved file; here creates pass.
    The object rule itself is still HEAD's (staff only).
    """

    def has_permission(self, request: Any, view: Any) -> bool:
        if getattr(view, "action", None) == "create":
            return True  # decided on the saved file, in perform_create
        return super().has_permission(request, view)

    def has_object_permission(self, request: Any, view: Any, obj: Any) -> bool:
        return super().has_permission(request, view)
