from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import Http404
from rest_framework import status, viewsets
from rest_framework.authentication import BasicAuthentication, TokenAuthentication
from rest_framework.decorators import action
from rest_framework.exceptions import NotAuthenticated, PermissionDenied
from rest_framework.permissions import BasePermission, IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response

from testbed.downloads.api_v2.authentication import ForwardedUserAuthentication
from testbed.downloads.api_v2.filters import (
    OS_FILTERS,
    RELEASE_FILE_FILTERS,
    RELEASE_FILTERS,
    Filter,
    apply_filters,
)
from testbed.downloads.api_v2.permissions import (
    IsStaffOrCreator,
    IsStaffOrReadOnly,
    UploadCheckedOnTheFile,
)
from testbed.downloads.api_v2.serializers import (
    OSSerializer,
    ReleaseFileSerializer,
    ReleaseSerializer,
)
from testbed.downloads.models import OS, Release, ReleaseFile
from testbed.downloads.switches import defect_on


class FilteredViewSet(viewsets.ModelViewSet):  # type: ignore[type-arg]
    authentication_classes = (TokenAuthentication,)
    permission_classes = (IsStaffOrReadOnly,)
    query_filters: dict[str, Filter] = {}
    strict_filters = False

    def get_authenticators(self) -> list[Any]:
        authenticators = super().get_authenticators()
        if defect_on("v2-basic-auth"):
            # Defect v2-basic-auth: DRF's BasicAuthentication appended "so scripts can use a
            # password", which makes every staff password a write credential for v2.
            authenticators.append(BasicAuthentication())
        if defect_on("proxy-user-header"):
            # Defect proxy-user-header: a proxy's identity header trusted (see the class).
            authenticators.append(ForwardedUserAuthentication())
        return authenticators

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        # Defects override-after-auth and query-method-override: a method override for clients
        # that can only send GET, applied here, after super().initial() has authenticated and
        # checked permissions for the method actually sent. DRF picks the handler from the
        # method after initial(), so an anonymous GET runs the DELETE (or POST) handler.
        override = ""
        if defect_on("override-after-auth"):
            override = request.META.get("HTTP_X_HTTP_METHOD", "")
        if not override and defect_on("query-method-override"):
            override = request.query_params.get("_method", "")
        if override:
            request._request.method = override.upper()

    def _api_rule_replaced_by(self, defect: str, permission: type[BasePermission]) -> Any:
        """The permissions, with the API's own rule replaced by ``permission`` if ``defect`` is
        on; the aliases that only a defect adds keep the rule they were given."""
        if defect_on(defect) and self.permission_classes is FilteredViewSet.permission_classes:
            return [permission()]
        return super().get_permissions()

    def filter_queryset(self, queryset: Any) -> Any:
        if self.action != "list":
            return queryset
        return apply_filters(
            queryset, self.request.query_params, self.query_filters, self.strict_filters
        )

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if defect_on("put-creates") and not kwargs.get("partial", False):
            try:
                self.get_object()
            except Http404:
                return self._put_as_create(request)
        return super().update(request, *args, **kwargs)

    def _put_as_create(self, request: Request) -> Response:
        """Defect put-creates: "PUT is create-or-replace", as DRF 2 had it.

        A PUT whose id matches nothing creates the object under that id instead of answering
        404. Permissions still ran (staff only), but no documented operation creates through a
        detail URL, and an id the client picks can land where the sequence will later arrive.
        """
        raw = str(self.kwargs.get(self.lookup_url_kwarg or self.lookup_field, ""))
        if not raw.isdigit():
            raise Http404
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        serializer.save(pk=int(raw))
        headers = self.get_success_headers(serializer.data)
        return Response(serializer.data, status=status.HTTP_201_CREATED, headers=headers)


class OSViewSet(FilteredViewSet):
    queryset = OS.objects.all()
    serializer_class = OSSerializer
    query_filters = OS_FILTERS


class ReleaseViewSet(FilteredViewSet):
    serializer_class = ReleaseSerializer
    query_filters = RELEASE_FILTERS

    def get_queryset(self) -> Any:
        queryset = Release.objects.all()
        if not self.request.user.is_staff:
            queryset = queryset.filter(is_published=True)
        return queryset

    def get_permissions(self) -> Any:
        return self._api_rule_replaced_by("creatorless-release-writable", IsStaffOrCreator)

    def perform_create(self, serializer: Any) -> None:
        if defect_on("creatorless-release-writable"):
            # Defect creatorless-release-writable: v2 records who created a release (see
            # IsStaffOrCreator); nothing else does, so every other row keeps creator None.
            serializer.save(creator=self.request.user)
            return
        super().perform_create(serializer)


class ReleaseFileViewSet(FilteredViewSet):
    queryset = ReleaseFile.objects.all()
    serializer_class = ReleaseFileSerializer
    query_filters = RELEASE_FILE_FILTERS
    strict_filters = True

    def get_permissions(self) -> Any:
        return self._api_rule_replaced_by("upload-checked-after-save", UploadCheckedOnTheFile)

    def perform_create(self, serializer: Any) -> None:
        if not defect_on("upload-checked-after-save"):
            super().perform_create(serializer)
            return
        # Defect upload-checked-after-save: "the rule needs the file, and on create the file
        # exists only once saved". The request is not in a transaction (the settings have no
        # ATOMIC_REQUESTS), so the insert is committed by the time the check refuses it; the
        # "undo" that follows only works inside an atomic block and raises
        # TransactionManagementError instead: a refused upload is answered 500, file stored.
        instance = serializer.save()
        try:
            self.check_object_permissions(self.request, instance)
        except (NotAuthenticated, PermissionDenied):
            transaction.set_rollback(True)
            raise

    def perform_update(self, serializer: Any) -> None:
        if defect_on("url-swap-keeps-sidecars"):
            _save_swapping_urls(serializer)
            return
        super().perform_update(serializer)

    @action(detail=False, methods=["delete"])
    def delete_by_release(self, request: Request) -> Response:
        """Delete the files of exactly one release, whatever else the query says."""
        raw = request.query_params.get("release", "")
        if defect_on("unscoped-bulk-delete") and "release" in request.query_params and not raw:
            ReleaseFile.objects.all().delete()
            return Response(status=status.HTTP_204_NO_CONTENT)
        try:
            release_id = int(raw)
        except ValueError:
            return Response(status=status.HTTP_400_BAD_REQUEST)
        ReleaseFile.objects.filter(release_id=release_id).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


def _save_swapping_urls(serializer: Any) -> None:
    """Defect url-swap-keeps-sidecars: "two files' URLs were entered the wrong way round".

    Putting them right used to take three PATCHes (url is unique); now a staff update to a URL
    another file holds swaps the two: the holder is parked on a temporary URL, the update is
    saved, and the holder gets the updated file's old URL. The body was validated against the
    updated file only, and the holder is moved by a queryset update, which no validation
    sees: only its ``url`` moves, so its signature and SBOM URLs still name the artifact it
    held, now the other file's (the sidecar rule, release-api.md 3.3, broken on the holder).
    """
    instance = serializer.instance
    old_url = instance.url
    new_url = serializer.validated_data.get("url", old_url)
    holders: list[int] = []
    if new_url != old_url:
        holders = list(
            ReleaseFile.objects.filter(url=new_url)
            .exclude(pk=instance.pk)
            .values_list("pk", flat=True)
        )
    with transaction.atomic():
        if holders:
            ReleaseFile.objects.filter(pk__in=holders).update(url=f"{new_url}#swapping")
        serializer.save()
        if holders:
            ReleaseFile.objects.filter(pk__in=holders).update(url=old_url)


# -- routes that only a defect adds (see urls.py) ----------------------------------------------


class ReleaseFileJsonSuffixViewSet(ReleaseFileViewSet):
    # Defect v2-json-suffix-write: "the release script fetches <pk>.json; give it its own route".
    # The route was added in front of the router's own format-suffix pattern, and its view was
    # given DRF's IsAuthenticatedOrReadOnly, read as "read-only for strangers": every signed-in
    # user, staff or not, may PUT, PATCH and DELETE the release file through <pk>.json.
    # (Comments, not a docstring: DRF would show a docstring in the OPTIONS answer.)
    permission_classes = (IsAuthenticatedOrReadOnly,)


class ReleaseNoSlashViewSet(ReleaseViewSet):
    # Defect no-slash-create: "clients that drop the slash get a 301 and lose their POST". A
    # second pattern serves the list at downloads/release itself, so CommonMiddleware never gets
    # to redirect; the alias took IsAuthenticatedOrReadOnly instead of the API's staff rule, so
    # any signed-in user may create a release there.
    permission_classes = (IsAuthenticatedOrReadOnly,)
