from django.contrib import admin

from testbed.downloads.models import OS, Release, ReleaseFile


class ReleaseFileInline(admin.StackedInline):
    model = ReleaseFile
    extra = 0


@admin.register(Release)
class ReleaseAdmin(admin.ModelAdmin):
    inlines = [ReleaseFileInline]
    list_display = ("name", "version", "is_published", "pre_release", "is_latest")


admin.site.register(OS)
