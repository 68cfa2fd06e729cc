from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("testbed.downloads.api_v1.urls")),
    path("api/v2/", include("testbed.downloads.api_v2.urls")),
]
