"""The body formats the API parses, encoded the way each framework reads them.

v1 (Tastypie) deserialises JSON, XML and YAML; v2 (DRF) JSON, form-encoded and multipart. A
check that runs for one parser only (a URL rule that re-reads the body as JSON, say) is only
seen if the same write arrives in every format, so the workbench sends URL cases and
body-sensitive negative attempts through each (``authfuzz.travel.BODY_FORMATS``).

Hand-written where it is a few lines (Tastypie's XML is a flat ``<object>`` of typed
fields); multipart goes through urllib3's encoder rather than a boundary of our own.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode
from xml.sax.saxutils import escape

import yaml
from urllib3.filepost import encode_multipart_formdata

FORMATS = ("json", "xml", "yaml", "form", "multipart")


class BodyFormatError(ValueError):
    """A body this format cannot carry (a nested object in a form, say)."""


def encode_body(data: Any, body_format: str) -> tuple[bytes, str]:
    """(bytes, Content-Type) of ``data`` in ``body_format``."""
    if body_format == "json":
        return json.dumps(data, allow_nan=False).encode(), "application/json"
    if body_format == "yaml":
        return yaml.safe_dump(data, allow_unicode=True).encode(), "text/yaml"
    if body_format == "xml":
        return _xml(data).encode(), "application/xml"
    fields = form_fields(data)
    if body_format == "form":
        return urlencode(fields).encode(), "application/x-www-form-urlencoded"
    if body_format == "multipart":
        body, content_type = encode_multipart_formdata(fields)
        return body, content_type
    raise BodyFormatError(f"unknown body format {body_format!r} (one of {', '.join(FORMATS)})")


def encode_form(pairs: Sequence[tuple[str, str]], multipart: bool) -> tuple[bytes, str]:
    """Form pairs (repeated names kept, in order) as urlencoded or multipart."""
    if multipart:
        body, content_type = encode_multipart_formdata(list(pairs))
        return body, content_type
    return urlencode(list(pairs)).encode(), "application/x-www-form-urlencoded"


def form_fields(data: Any, nested_as_json: bool = False) -> list[tuple[str, str]]:
    """A flat object as form fields: booleans as ``true``/``false``, None as empty.

    ``nested_as_json``: a nested value travels as its JSON text, as a form client would send
    a fuzzed body it has to squeeze into fields, instead of refusing it.
    """
    if not isinstance(data, dict):
        if nested_as_json:
            return []
        raise BodyFormatError("only a flat object can travel as form fields")
    fields = []
    for name, value in data.items():
        if isinstance(value, dict | list) and nested_as_json:
            value = json.dumps(value)
        elif isinstance(value, dict | list):
            raise BodyFormatError(f"field {name!r} is nested: a form cannot carry it")
        if isinstance(value, bool):
            value = "true" if value else "false"
        fields.append((str(name), "" if value is None else str(value)))
    return fields


def _xml(data: Any) -> str:
    """Tastypie's XML: ``<object>`` with one element per field, typed by a ``type`` attribute."""
    if not isinstance(data, dict):
        raise BodyFormatError("only an object can travel as Tastypie XML")
    parts = ["<?xml version='1.0' encoding='utf-8'?>", "<object>"]
    for name, value in data.items():
        if isinstance(value, dict | list):
            raise BodyFormatError(f"field {name!r} is nested: not supported in XML here")
        if isinstance(value, bool):
            parts.append(f'<{name} type="boolean">{"True" if value else "False"}</{name}>')
        elif isinstance(value, int):
            parts.append(f'<{name} type="integer">{value}</{name}>')
        elif value is None:
            parts.append(f'<{name} type="null"/>')
        else:
            parts.append(f"<{name}>{escape(str(value))}</{name}>")
    parts.append("</object>")
    return "".join(parts)
