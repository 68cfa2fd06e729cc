from rest_framework.routers import DefaultRouter

from testbed.downloads.api_v2.views import OSViewSet, ReleaseFileViewSet, ReleaseViewSet

router = DefaultRouter()
router.register("downloads/os", OSViewSet, basename="v2-os")
router.register("downloads/release", ReleaseViewSet, basename="v2-release")
router.register("downloads/release_file", ReleaseFileViewSet, basename="v2-release_file")

urlpatterns = router.urls
