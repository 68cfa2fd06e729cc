from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.validators import UniqueValidator

from testbed.downloads.models import OS, Release, ReleaseFile
from testbed.downloads.switches import defect_on
from testbed.downloads.url_rules import URL_FIELDS, release_file_url_errors


class OSSerializer(serializers.HyperlinkedModelSerializer):
    resource_uri = serializers.HyperlinkedIdentityField(view_name="v2-os-detail")

    class Meta:
        model = OS
        fields = ("name", "slug", "resource_uri")


class ReleaseSerializer(serializers.HyperlinkedModelSerializer):
    resource_uri = serializers.HyperlinkedIdentityField(view_name="v2-release-detail")

    class Meta:
        model = Release
        fields = (
            "name",
            "slug",
            "version",
            "is_published",
            "is_latest",
            "release_date",
            "pre_release",
            "release_notes_url",
            "show_on_download_page",
            "resource_uri",
        )
        extra_kwargs = {
            "name": {"required": True, "allow_blank": False},
            "slug": {"required": True, "allow_blank": False},
        }


class ReleaseFileSerializer(serializers.HyperlinkedModelSerializer):
    resource_uri = serializers.HyperlinkedIdentityField(view_name="v2-release_file-detail")
    os = serializers.HyperlinkedRelatedField(view_name="v2-os-detail", queryset=OS.objects.all())
    release = serializers.HyperlinkedRelatedField(
        view_name="v2-release-detail", queryset=Release.objects.all()
    )

    class Meta:
        model = ReleaseFile
        fields = (
            "name",
            "slug",
            "os",
            "release",
            "description",
            "is_source",
            "url",
            "gpg_signature_file",
            "md5_sum",
            "sha256_sum",
            "filesize",
            "download_button",
            "resource_uri",
            "sigstore_signature_file",
            "sigstore_cert_file",
            "sigstore_bundle_file",
            "sbom_spdx2_file",
        )
        extra_kwargs = {
            "name": {"required": True, "allow_blank": False},
            "slug": {"required": True, "allow_blank": False},
            "url": {"required": True, "allow_blank": False},
        }

    def get_fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = super().get_fields()
        if defect_on("url-swap-keeps-sidecars") and isinstance(self.instance, ReleaseFile):
            # Defect url-swap-keeps-sidecars: an update may take a URL another file holds, and
            # the view swaps the two files' URLs (ReleaseFileViewSet.perform_update), so the
            # unique check on url is dropped for updates; creates keep it.
            url = fields["url"]
            url.validators = [v for v in url.validators if not isinstance(v, UniqueValidator)]
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """Apply the model's URL rules to the object as it would be after this write."""
        if defect_on("patch-checks-sent-urls-only") and self.partial and self.instance is not None:
            return self._validate_sent_urls(attrs)
        candidate = ReleaseFile(pk=self.instance.pk) if self.instance is not None else ReleaseFile()
        if self.instance is not None:
            for field in ReleaseFile._meta.concrete_fields:
                setattr(candidate, field.attname, getattr(self.instance, field.attname))
        for name, value in attrs.items():
            setattr(candidate, name, value)
        try:
            candidate.clean()
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from None
        return attrs

    def _validate_sent_urls(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """Defect patch-checks-sent-urls-only: "a PATCH is checked for what it changes".

        The URL rules run on the fields the body sends, not on the file as it will be stored:
        the https rule still holds for each sent field (with the legacy exemption), and sent
        sidecars must match a sent url; but the url alone is never compared with the stored
        sidecars, and a sidecar alone with no url is compared with nothing. So a PATCH of the
        url leaves the sidecars naming the old artifact, and a PATCH of one sidecar may point
        it at any python.org path.
        """
        sent = {field: attrs[field] for field in URL_FIELDS if field in attrs}
        stored = ReleaseFile.objects.filter(pk=self.instance.pk).values(*URL_FIELDS).first()
        errors = release_file_url_errors(sent, stored)
        if errors:
            raise serializers.ValidationError(errors)
        return attrs
