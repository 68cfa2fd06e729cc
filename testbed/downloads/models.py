"""OS, Release and ReleaseFile with python.org's field names and constraints."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Left
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.text import slugify

from testbed.downloads.url_rules import (
    ALLOWED_PREFIX,
    LEGACY_PREFIX,
    URL_FIELDS,
    release_file_url_errors,
)


class NameSlugModel(models.Model):
    name = models.CharField(max_length=200, blank=True)
    slug = models.SlugField(max_length=200, unique=True, blank=True)

    class Meta:
        abstract = True

    def save(self, *args: object, **kwargs: object) -> None:
        if not self.slug:
            self.slug = slugify(self.name)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def __str__(self) -> str:
        return self.name


class ContentManageable(models.Model):
    created = models.DateTimeField(default=timezone.now, blank=True, db_index=True)
    updated = models.DateTimeField(blank=True, auto_now=True)
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, related_name="+", on_delete=models.SET_NULL
    )
    last_modified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, related_name="+", on_delete=models.SET_NULL
    )

    class Meta:
        abstract = True


class OS(ContentManageable, NameSlugModel):
    class Meta:
        verbose_name = "Operating System"
        verbose_name_plural = "Operating Systems"
        ordering = ("name",)


class Release(ContentManageable, NameSlugModel):
    PYTHON3 = 3
    PYTHON2 = 2
    PYTHON1 = 1
    INSTALL_MANAGER = 100
    VERSION_CHOICES = (
        (PYTHON3, "Python 3.x.x"),
        (PYTHON2, "Python 2.x.x"),
        (PYTHON1, "Python 1.x.x"),
        (INSTALL_MANAGER, "Python install manager"),
    )

    version = models.IntegerField(default=PYTHON3, choices=VERSION_CHOICES)
    is_latest = models.BooleanField(default=False, db_index=True)
    is_published = models.BooleanField(default=False, db_index=True)
    pre_release = models.BooleanField(default=False, db_index=True)
    show_on_download_page = models.BooleanField(default=True, db_index=True)
    release_date = models.DateTimeField(default=timezone.now)
    release_notes_url = models.URLField(blank=True)

    class Meta:
        ordering = ("name",)
        get_latest_by = "release_date"

    def save(self, *args: object, **kwargs: object) -> None:
        super().save(*args, **kwargs)
        if self.is_latest:
            Release.objects.filter(version=self.version, is_latest=True).exclude(pk=self.pk).update(
                is_latest=False
            )


def starts_with(field: str, prefix: str) -> Q:
    """A case-sensitive prefix test on every backend (release-api.md 3.2).

    Not ``__startswith``: Django compiles that to LIKE, which SQLite matches ignoring case.
    """
    return Q(Exact(Left(field, len(prefix)), Value(prefix)))


def _url_fields_allowed() -> Q:
    """Each URL field is empty or on www.python.org (https, or legacy http)."""
    condition = Q()
    for field in URL_FIELDS:
        condition &= (
            Q(**{field: ""})
            | starts_with(field, ALLOWED_PREFIX)
            | starts_with(field, LEGACY_PREFIX)
        )
    return condition


class ReleaseFile(ContentManageable, NameSlugModel):
    os = models.ForeignKey(OS, related_name="releases", on_delete=models.CASCADE)
    release = models.ForeignKey(Release, related_name="files", on_delete=models.CASCADE)
    description = models.TextField(blank=True)
    is_source = models.BooleanField(default=False)
    url = models.URLField(unique=True, db_index=True, blank=True)
    gpg_signature_file = models.URLField(blank=True)
    sigstore_signature_file = models.URLField(blank=True)
    sigstore_cert_file = models.URLField(blank=True)
    sigstore_bundle_file = models.URLField(blank=True)
    sbom_spdx2_file = models.URLField(blank=True)
    md5_sum = models.CharField(max_length=200, blank=True)
    sha256_sum = models.CharField(max_length=200, blank=True)
    filesize = models.IntegerField(default=0)
    download_button = models.BooleanField(default=False)

    class Meta:
        verbose_name = "Release File"
        ordering = ("-release__is_published", "release__name", "os__name", "name")
        constraints = [
            models.UniqueConstraint(
                fields=["os", "release"],
                condition=Q(download_button=True),
                name="only_one_download_per_os_per_release",
            ),
            models.CheckConstraint(
                condition=_url_fields_allowed(),
                name="only_python_dot_org_urls",
                violation_error_message="All file URLs must begin with 'https://www.python.org/'",
            ),
        ]

    def clean(self) -> None:
        stored = None
        if self.pk is not None:
            stored = ReleaseFile.objects.filter(pk=self.pk).values(*URL_FIELDS).first()
        values = {field: getattr(self, field) for field in URL_FIELDS}
        errors = release_file_url_errors(values, stored)
        if errors:
            raise ValidationError(errors)
