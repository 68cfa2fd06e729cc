"""Exact-match query filters for v2 lists.

os and release ignore unknown parameters; release_file is strict and answers
400 for any parameter it does not know, ``format`` included (release-api.md 1.5).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from rest_framework.exceptions import ValidationError


def _boolean(value: str) -> bool:
    lowered = value.lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise ValueError(value)


def _text(value: str) -> str:
    return value


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
                raise FilterError({"error": [f"'exact' is not an allowed filter on the '{name}' field."]})
            continue
        if raw == "":
            continue
        try:
            value = spec.parse(raw)
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
    "version": Filter("version", int),
    "release_date": Filter("release_date"),
}
RELEASE_FILE_FILTERS = {
    "name": Filter("name"),
    "slug": Filter("slug"),
    "description__contains": Filter("description__contains"),
    "os": Filter("os_id", int),
    "release": Filter("release_id", int),
}
