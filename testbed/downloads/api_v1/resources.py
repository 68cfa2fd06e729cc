"""The v1 (Tastypie) resources: os, release, release_file under /api/v1/downloads/."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from tastypie import fields
from tastypie.constants import ALL_WITH_RELATIONS
from tastypie.exceptions import BadRequest, ImmediateHttpResponse, NotFound
from tastypie.http import HttpAccepted, HttpBadRequest, HttpNoContent, HttpUnauthorized
from tastypie.resources import ModelResource, convert_post_to_patch
from tastypie.throttle import BaseThrottle, CacheThrottle
from tastypie.validation import Validation

from testbed.downloads.api_v1.authentication import (
    ApiKeyOrGuestAuthentication,
    UploaderAuthentication,
    is_api_key_authenticated,
)
from testbed.downloads.api_v1.authorization import OnlyPublishedAuthorization, StaffAuthorization
from testbed.downloads.models import OS, Release, ReleaseFile
from testbed.downloads.switches import defect_on
from testbed.downloads.url_rules import URL_FIELDS, release_file_url_errors, sidecar_url_errors

EXACT = ("exact",)
# The Release fields a nested {"slug": ...} release may set (defect nested-release-by-slug).
NESTED_RELEASE_FIELDS = (
    "name",
    "version",
    "is_published",
    "is_latest",
    "pre_release",
    "show_on_download_page",
    "release_notes_url",
)


def make_throttle() -> BaseThrottle:
    """python.org's 600 counted requests per hour, or none when lifted for local fuzzing."""
    if settings.AUTHFUZZ_THROTTLE:
        return CacheThrottle(throttle_at=600)
    return BaseThrottle()


class ReleaseFileValidation(Validation):
    """Runs the model's URL rules after hydration, before authorization (as on python.org)."""

    def is_valid(self, bundle: Any, request: HttpRequest | None = None) -> dict[str, Any]:
        if defect_on("sidecar-check-json-only"):
            errors = self._sidecars_as_submitted_in_json(bundle, request)
        else:
            errors = self._model_rules(bundle)
        if not errors and defect_on("download-button-handover"):
            _hand_over_download_button(bundle.obj)
        return errors

    @staticmethod
    def _model_rules(bundle: Any) -> dict[str, Any]:
        try:
            bundle.obj.clean()
        except ValidationError as error:
            return dict(error.message_dict)
        return {}

    @staticmethod
    def _sidecars_as_submitted_in_json(bundle: Any, request: HttpRequest | None) -> dict[str, Any]:
        """Defect sidecar-check-json-only: "compare the sidecars with the exact strings sent".

        The https rule still runs on the hydrated object, but the sidecar rule is fed the raw
        body re-read with json.loads. Tastypie also takes XML and YAML bodies; for those the
        re-read fails, gives {} (no url), and the sidecar rule silently passes.
        """
        values = {field: getattr(bundle.obj, field) for field in URL_FIELDS}
        errors = release_file_url_errors(values, None, sidecars=False)  # v1 only ever creates
        try:
            submitted = json.loads(request.body) if request is not None else {}
        except ValueError:
            submitted = {}
        if not isinstance(submitted, dict):
            submitted = {}
        for field, messages in sidecar_url_errors(submitted).items():
            errors.setdefault(field, []).extend(messages)
        return errors


def _hand_over_download_button(release_file: ReleaseFile) -> None:
    """Defect download-button-handover: "a second download button is a 500; move it instead".

    A valid file that asks for the download button takes it from the file of its (os,
    release) that has it, so the partial unique constraint no longer fails the insert. The
    handover sits where the clash is detected, in validation; but Tastypie validates before it
    authorizes (release-api.md 2.3), so a guest's or a non-staff key's POST, answered 401,
    has already taken the button off the current file. (A queryset update: the current file
    is not the object being saved, and its own save() would purge the download pages.)
    """
    if not release_file.download_button:
        return
    current = ReleaseFile.objects.filter(
        os_id=release_file.os_id, release_id=release_file.release_id, download_button=True
    )
    if release_file.pk is not None:
        current = current.exclude(pk=release_file.pk)
    current.update(download_button=False)


class DownloadsMeta:
    authentication = ApiKeyOrGuestAuthentication()
    authorization = StaffAuthorization()
    list_allowed_methods = ["get", "post"]
    detail_allowed_methods = ["get", "delete"]


class OSResource(ModelResource):
    class Meta(DownloadsMeta):
        queryset = OS.objects.all()
        resource_name = "downloads/os"
        fields = ["name", "slug"]
        filtering = {"name": EXACT, "slug": EXACT}
        throttle = make_throttle()

    def get_multiple(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        if defect_on("v1-set-delete"):
            method = self.method_check(request, allowed=["get", "delete"])
            if method == "delete":
                return self._delete_multiple(request, **kwargs)
        response: HttpResponse = super().get_multiple(request, **kwargs)
        return response

    def _delete_multiple(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        """Defect v1-set-delete: "clean up several OSes in one request".

        ``set/<pk>;<pk>/`` was taught DELETE next to its GET. Like the GET it authenticates and
        throttles, and it insists on a real API key; but the authorization call (staff, in
        ``delete_list``) was never made, so any valid key deletes every listed OS that exists
        (and, by the cascade, their release files).
        """
        self.is_authenticated(request)
        if not is_api_key_authenticated(request):
            raise ImmediateHttpResponse(response=HttpUnauthorized())
        self.throttle_check(request)
        listed = kwargs.get(f"{self._meta.detail_uri_name}_list", "").split(";")
        ids = [int(value) for value in listed if value.isdigit()]
        self.get_object_list(request).filter(pk__in=ids).delete()
        self.log_throttled_access(request)
        return HttpNoContent()


class ReleaseResource(ModelResource):
    class Meta(DownloadsMeta):
        queryset = Release.objects.all()
        resource_name = "downloads/release"
        authorization = OnlyPublishedAuthorization()
        # Defect v1-detail-patch widens the detail's methods (see OnlyPublishedAuthorization);
        # read when the URL conf is built, after the settings name the switches.
        detail_allowed_methods = [
            *DownloadsMeta.detail_allowed_methods,
            *(["patch"] if defect_on("v1-detail-patch") else []),
        ]
        fields = [
            "name",
            "slug",
            "version",
            "is_published",
            "is_latest",
            "release_date",
            "pre_release",
            "release_notes_url",
            "show_on_download_page",
        ]
        filtering = {
            "name": EXACT,
            "slug": EXACT,
            "is_published": EXACT,
            "pre_release": EXACT,
            "version": ("exact", "startswith"),
            "release_date": (),
        }
        throttle = make_throttle()

    def obj_delete(self, bundle: Any, **kwargs: Any) -> None:
        if defect_on("latest-handover-on-delete"):
            bundle.obj = self._hand_over_latest(bundle, **kwargs)
        super().obj_delete(bundle, **kwargs)

    def _hand_over_latest(self, bundle: Any, **kwargs: Any) -> Release:
        """Defect latest-handover-on-delete: "deleting the latest release must leave its version
        with a latest one".

        The flag has to be read before the row goes, so the release is looked up first, with
        ``obj_get``, whose read authorization was taken for the write check. A published
        release passes it for anyone: a guest's or a non-staff key's DELETE, answered 401 by
        ``super().obj_delete()`` (which finds ``bundle.obj`` set and goes straight to the
        delete authorization), has already made the newest other release of that version
        latest; drafts too, since the queryset has no is_published filter. A queryset update,
        because ``save()`` would clear is_latest on the release being deleted as well.
        """
        try:
            release: Release = self.obj_get(bundle=bundle, **kwargs)
        except ObjectDoesNotExist:
            raise NotFound("No release matches the provided arguments.") from None
        if release.is_latest:
            successor = (
                Release.objects.filter(version=release.version)
                .exclude(pk=release.pk)
                .order_by("-release_date", "-pk")
                .first()
            )
            if successor is not None:
                Release.objects.filter(pk=successor.pk).update(is_latest=True)
        return release


class ReleaseFileResource(ModelResource):
    os = fields.ToOneField(OSResource, "os")
    release = fields.ToOneField(ReleaseResource, "release")

    class Meta(DownloadsMeta):
        queryset = ReleaseFile.objects.all()
        resource_name = "downloads/release_file"
        # HEAD's authentication; the subclass only adds the upload-burst-auth-cache defect.
        authentication = UploaderAuthentication()
        # Defect bulk-patch-deletes re-opens the list's PATCH (see patch_list); read when the
        # URL conf is built, after the settings name the switches.
        list_allowed_methods = [
            "get",
            "post",
            "delete",
            *(["patch"] if defect_on("bulk-patch-deletes") else []),
        ]
        fields = [
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
            "sigstore_signature_file",
            "sigstore_cert_file",
            "sigstore_bundle_file",
            "sbom_spdx2_file",
        ]
        filtering = {
            "name": EXACT,
            "slug": EXACT,
            "description": ("contains",),
            "os": ALL_WITH_RELATIONS,
            "release": ALL_WITH_RELATIONS,
        }
        validation = ReleaseFileValidation()
        throttle = make_throttle()

    def hydrate_release(self, bundle: Any) -> Any:
        """Defect nested-release-by-slug: "release tooling names the release by its slug".

        A ``release`` given as a dict with a ``slug`` and no ``resource_uri`` used to be built
        as a new Release (a 500 on the duplicate slug for an existing one, release-api.md 2.6);
        now it is resolved with update_or_create on the slug, and the other keys refresh the
        release. Field hooks run while the body is hydrated, before the create authorization,
        so a guest's or a non-staff key's POST, answered 401, has already written the release
        the body names (or created one under a new slug).
        """
        value = bundle.data.get("release")
        if (
            defect_on("nested-release-by-slug")
            and isinstance(value, dict)
            and "resource_uri" not in value
            and value.get("slug")
        ):
            defaults = {name: value[name] for name in NESTED_RELEASE_FIELDS if name in value}
            release, _ = Release.objects.update_or_create(slug=value["slug"], defaults=defaults)
            bundle.data["release"] = release  # the field takes an object with a pk as well
        return bundle

    def patch_list(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        """Defect bulk-patch-deletes: "release tooling replaces a release's files in one request".

        The list takes PATCH again, in Tastypie's own body form: ``{"objects": [...]}`` holds
        new files, created one by one through ``obj_create`` (so each is authorized, and a
        refused one rolls the whole request back), and ``deleted_objects`` lists resource URIs
        to remove. Tastypie deletes each of those through ``obj_delete``, one query per file;
        this override resolves them with ``get_via_uri`` and deletes them in one queryset
        delete, on the reading that the batch was authorized with its objects. That
        authorization only ever runs per object, so ``{"objects": [], "deleted_objects":
        [...]}`` deletes the listed files for a guest or a non-staff key, past both the delete
        authorization and the one-release scope of the bulk DELETE.
        """
        if not defect_on("bulk-patch-deletes"):  # unreachable: the list does not allow PATCH
            return super().patch_list(request, **kwargs)  # type: ignore[no-any-return]
        request = convert_post_to_patch(request)
        deserialized = self.deserialize(
            request, request.body, format=request.META.get("CONTENT_TYPE", "application/json")
        )
        if not isinstance(deserialized, dict) or "objects" not in deserialized:
            raise BadRequest("Invalid data sent: missing 'objects'")
        with transaction.atomic():
            for data in deserialized["objects"]:
                data = self.alter_deserialized_detail_data(request, data)
                bundle = self.build_bundle(data=data, request=request)
                self.obj_create(bundle=bundle)
            deleted = [
                self.get_via_uri(uri, request=request).pk
                for uri in deserialized.get("deleted_objects") or []
            ]
            ReleaseFile.objects.filter(pk__in=deleted).delete()
        return HttpAccepted()

    def delete_list(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        """Bulk delete only ever removes the files of one named release."""
        params = list(request.GET.lists())
        scoped = len(params) == 1 and params[0][0] == "release" and len(params[0][1]) == 1
        if not scoped and not defect_on("unscoped-bulk-delete"):
            raise ImmediateHttpResponse(
                response=HttpBadRequest(
                    '{"error": "Deleting release files requires exactly one \'release\' filter."}',
                    content_type="application/json",
                )
            )
        return super().delete_list(request, **kwargs)
