from typing import Any

from django.urls import re_path
from rest_framework.routers import DefaultRouter

from testbed.downloads.api_v2.views import (
    OSViewSet,
    ReleaseFileJsonSuffixViewSet,
    ReleaseFileViewSet,
    ReleaseNoSlashViewSet,
    ReleaseViewSet,
)
from testbed.downloads.switches import defect_on

router = DefaultRouter()
router.register("downloads/os", OSViewSet, basename="v2-os")
router.register("downloads/release", ReleaseViewSet, basename="v2-release")
router.register("downloads/release_file", ReleaseFileViewSet, basename="v2-release_file")

DETAIL_ACTIONS = {
    "get": "retrieve",
    "put": "update",
    "patch": "partial_update",
    "delete": "destroy",
}


def _defect_routes() -> list[Any]:
    """Patterns that only a defect switch adds, in front of the router's (the URL conf is read
    once per testbed process, after the settings name its switches)."""
    routes: list[Any] = []
    if defect_on("v2-json-suffix-write"):
        view = ReleaseFileJsonSuffixViewSet.as_view(
            DETAIL_ACTIONS, basename="v2-release_file", detail=True, name="Release File Instance"
        )
        routes.append(re_path(r"^downloads/release_file/(?P<pk>[0-9]+)\.(?P<format>json)/?$", view))
    if defect_on("no-slash-create"):
        view = ReleaseNoSlashViewSet.as_view(
            {"get": "list", "post": "create"},
            basename="v2-release",
            detail=False,
            name="Release List",
        )
        routes.append(re_path(r"^downloads/release$", view))
    return routes


urlpatterns = _defect_routes() + router.urls
