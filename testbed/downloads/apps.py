from django.apps import AppConfig


class DownloadsConfig(AppConfig):
    name = "testbed.downloads"
    label = "downloads"
    default_auto_field = "django.db.models.AutoField"

    def ready(self) -> None:
        from testbed.downloads import signals  # noqa: F401  (registers the key/token hooks)
