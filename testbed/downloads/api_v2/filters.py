"""Exact-match query filters for v2 lists.

os and release ignore unknown parameters; release_file is strict and answers
400 for any parameter it does not know, ``format`` included (release-api.md 1.5).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from rest_framework.exceptions import ValidationError

from testbed.downloads.models import OS, Release


def _boolean(value: str) -> bool:
    lowered = value.lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise ValueError(value)


def _text(value: str) -> str:
    return value


def _datetime(value: str) -> Any:
    """As django-filter's DateTimeFilter: a value it cannot parse is a 400, not a 500."""
    try:
        return forms.DateTimeField().clean(value)
    except DjangoValidationError:
        raise ValueError(value) from None


class InvalidChoice(ValueError):
    """A well-formed value that is not one of the allowed ones (a ChoiceFilter's 400)."""


def _version(value: str) -> int:
    version = int(value)
    if version not in dict(Release.VERSION_CHOICES):
        raise InvalidChoice(value)
    return version


def _existing_pk(model: Any) -> Callable[[str], int]:
    """As django-filter's ModelChoiceFilter: a pk that does not exist is a 400."""

    def parse(value: str) -> int:
        pk = int(value)
        if not model.objects.filter(pk=pk).exists():
            raise InvalidChoice(value)
        return pk

    return parse


@dataclass(frozen=True)
class Filter:
    lookup: str
    parse: Callable[[str], Any] = _text


class FilterError(ValidationError):
    pass


def apply_filters(
    queryset: QuerySet[Any], params: Mapping[str, str], allowed: Mapping[str, Filter], strict: bool
) -> QuerySet[Any]:
    for name, raw in params.items():
        spec = allowed.get(name)
        if spec is None:
            if strict:
                raise FilterError(
                    {"error": [f"'exact' is not an allowed filter on the '{name}' field."]}
                )
            continue
        if raw == "":
            continue
        try:
            value = spec.parse(raw)
        except InvalidChoice:
            message = "Select a valid choice. That choice is not one of the available choices."
            raise FilterError({name: [message]}) from None
        except (TypeError, ValueError):
            raise FilterError({name: ["Enter a valid value."]}) from None
        queryset = queryset.filter(**{spec.lookup: value})
    return queryset


OS_FILTERS = {"name": Filter("name"), "slug": Filter("slug")}
RELEASE_FILTERS = {
    "name": Filter("name"),
    "slug": Filter("slug"),
    "is_published": Filter("is_published", _boolean),
    "pre_release": Filter("pre_release", _boolean),
    "version": Filter("version", _version),
    "release_date": Filter("release_date", _datetime),
}
RELEASE_FILE_FILTERS = {
    "name": Filter("name"),
    "slug": Filter("slug"),
    "description__contains": Filter("description__contains"),
    "os": Filter("os_id", _existing_pk(OS)),
    "release": Filter("release_id", _existing_pk(Release)),
}
