from tastypie.api import Api

from testbed.downloads.api_v1.resources import OSResource, ReleaseFileResource, ReleaseResource

v1_api = Api(api_name="v1")
v1_api.register(OSResource())
v1_api.register(ReleaseResource())
v1_api.register(ReleaseFileResource())

urlpatterns = v1_api.urls
