"""Every finding as a PoC file that ``authfuzz repro`` replays.

A finding carries its request as redacted data (``Finding.replay``): the very request that
failed, which for a Hypothesis test is the example Hypothesis shrank to. The exporter turns it
into one step with placeholders instead of anything bound to the run:

- secrets are already ``{principal.NAME.KIND}``; a near miss the redactor masked as
  ``{redacted}`` becomes ``{random_key}`` (a wrong key: the same branch, not the same bytes);
- canary pks in paths, bodies and the bulk-delete query become ``{object.os}`` etc., the
  unpublished release of an identity probe ``{object.draft_release}``, the base URL of v2
  hyperlinks ``{base_url}``, and the run's nonces ``{nonce}`` (so a replay never collides with
  what the first run stored: slugs and ``url`` are unique);
- literal braces are escaped (``{{``), so a fuzzed value stays a literal.

The read-back follows from the operation: a create is read back by its slug, a detail write
by ``{object.R}``, a bulk delete by the canary release's files. A write finding whose
credential sits in headers or the query also gets a read-only ``[[probe]]`` form: the same
credential reading ``{object.draft_release}``. Findings without a replayable request (the
stored-URL sweep) or from a PoC file are not exported; the caller gets the reason.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from authfuzz.api_shapes import OVERRIDE_HEADERS, OVERRIDE_PARAMS, effective_method
from authfuzz.findings import Finding
from authfuzz.poc.format import PocFileError, parse_poc
from authfuzz.principals import Principals
from authfuzz.redaction import Redactor

EXPORT_MARKER = "# Exported by authfuzz from a finding"

# A masked near miss keeps its unmasked edge (``{redacted}d``: the key with its last
# character changed); the whole key-like run becomes ``{random_key}``, one wrong key.
_REDACTION = re.compile(
    r"\{principal\.[A-Za-z0-9_\-]+\.(?:api_key|token|password)\}"
    r"|[A-Za-z0-9]*\{redacted\}[A-Za-z0-9]*"
)
_OBJECT_URL = re.compile(
    r"(?P<base>https?://[^/\s\"'{}]+)?(?P<path>/api/v[12]/downloads/(?P<resource>release_file|"
    r"release|os)/)(?P<pk>\d+)/"
)
_NONCE = re.compile(r"(?<![0-9A-Za-z])[0-9a-f]{12}(?![0-9A-Za-z])")
_DOWNLOADS = re.compile(r"^/api/(?P<api>v[12])/downloads/(?P<resource>release_file|release|os)/")
_URL_BRANCH = re.compile(r"^(?P<path>v[12]-[a-z]+):(?P<field>[a-z0-9_]+)$")
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_INT64 = 2**63


class NotExportableError(Exception):
    """This finding cannot become a PoC file; the message says why."""


@dataclass(frozen=True)
class Exported:
    finding: Finding
    path: Path | None  # None: not exported
    reason: str = ""


def export_findings(
    findings: list[Finding], directory: Path, principals: Principals | None = None
) -> list[Exported]:
    """Write one PoC file per distinct finding request; previous exports there are replaced."""
    directory = Path(directory)
    remove_exports(directory)
    redactor = Redactor.for_principals(principals) if principals is not None else None
    out: list[Exported] = []
    written: set[str] = set()
    for finding in findings:
        try:
            poc_id, text = finding_to_poc(finding)
        except NotExportableError as error:
            out.append(Exported(finding, None, str(error)))
            continue
        except Exception as error:  # an exporter bug must never cost the run its reports
            out.append(Exported(finding, None, f"export failed: {type(error).__name__}: {error}"))
            continue
        if redactor is not None and redactor.contains_secret(text):
            out.append(Exported(finding, None, "the PoC text would contain a secret; not written"))
            continue
        path = directory / f"{poc_id}.toml"
        if poc_id not in written:
            directory.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            written.add(poc_id)
        out.append(Exported(finding, path))
    return out


def accounting(exported: list[Exported]) -> dict[str, object]:
    """How the findings became PoC files, so a reader never wonders why there are fewer:
    findings whose request is the same share one file; the others say why they have none."""
    files = {e.path for e in exported if e.path is not None}
    with_file = sum(1 for e in exported if e.path is not None)
    reasons: dict[str, int] = {}
    for e in exported:
        if e.path is None:
            reasons[e.reason] = reasons.get(e.reason, 0) + 1
    return {
        "files": len(files),
        "findings": len(exported),
        "sharing_a_file": with_file - len(files),
        "not_exported": reasons,
    }


def describe(account: dict[str, object]) -> str:
    """``33 PoC file(s) for 54 finding(s): 21 share a file (the same request)``."""
    text = f"{account['files']} PoC file(s) for {account['findings']} finding(s)"
    notes = []
    if account["sharing_a_file"]:
        notes.append(f"{account['sharing_a_file']} share a file (the same request)")
    reasons = account["not_exported"]
    assert isinstance(reasons, dict)
    notes += [f"{n} without one: {reason}" for reason, n in reasons.items()]
    return text + (": " + "; ".join(notes) if notes else "")


def remove_exports(directory: Path) -> None:
    """Delete PoC files an earlier run exported there; files people wrote stay."""
    for old in Path(directory).glob("*.toml"):
        if _is_export(old):
            old.unlink(missing_ok=True)


def _is_export(path: Path) -> bool:
    try:
        with path.open(encoding="utf-8") as handle:
            return handle.readline().startswith(EXPORT_MARKER)
    except (OSError, UnicodeDecodeError):
        return False


# -- one finding --------------------------------------------------------------------------------


def finding_to_poc(finding: Finding) -> tuple[str, str]:
    """(id, TOML text) of the PoC that replays this finding."""
    if finding.branch.startswith("poc:"):
        raise NotExportableError("it came from a PoC file, which already exists")
    replay = finding.replay
    if not replay:
        raise NotExportableError(f"oracle {finding.oracle} recorded no replayable request")
    if finding.oracle == "identity-probe":
        invariant = "identity-is-guest"
    elif finding.oracle == "read-back" and finding.invariant == "no-foreign-url":
        invariant = "no-foreign-url"
    elif finding.oracle == "read-back" and finding.invariant == "no-unauthenticated-write":
        invariant = "rejected-and-unchanged"
    else:
        raise NotExportableError(f"no PoC invariant for {finding.invariant} [{finding.oracle}]")

    templater = _Templater(finding, draft=invariant == "identity-is-guest")
    method = str(replay["method"]).upper()
    path = templater.text(str(replay["path"]))
    headers = templater.pairs(replay.get("headers") or [])
    query = templater.pairs(replay.get("query") or [], bulk=True)
    form = None if replay.get("form") is None else templater.pairs(replay["form"])
    body = templater.json(replay.get("json"))
    session = replay.get("session_of")

    where = _DOWNLOADS.match(path)
    if where is None:
        raise NotExportableError(f"path {path!r} is outside the downloads API")
    api, resource = where.group("api"), where.group("resource")
    effective = effective_method(method, headers, query, form or ())
    readback = None if invariant == "identity-is-guest" else _readback(path, effective, body)
    if invariant == "no-foreign-url" and (readback or {}).get("resource") != "release_file":
        raise NotExportableError("a URL finding that is not on a release file")

    step: dict[str, Any] = {"name": f"{finding.branch}: {effective} {path}"}
    step.update({"method": method, "path": path})
    if headers:
        step["headers"] = _pairs_value(headers)
    if query:
        step["query"] = _pairs_value(query)
    if form is not None:
        step["form"] = _pairs_value(form)
    if body is not None:
        if _toml_safe(body):
            step["json"] = body
        else:
            step["json_text"] = json.dumps(body, sort_keys=True)
    if replay.get("body_format"):
        step["body_format"] = str(replay["body_format"])
    if session:
        step["session"] = str(session)
    step["invariant"] = invariant
    if readback is not None:
        step["readback"] = readback

    probe = None
    if invariant == "rejected-and-unchanged" and not session and form is None:
        probe = _probe(api, headers, query, finding.branch)

    digest = hashlib.sha256(
        json.dumps([step, invariant], sort_keys=True).encode("utf-8")
    ).hexdigest()[:8]
    kind = _kind(effective, readback)
    poc_id = _slug(f"found-{finding.branch}-{api}-{resource}-{kind}-{digest}")
    text = _render(poc_id, finding, api, step, probe)
    try:
        parse_poc(text, f"{poc_id}.toml")
    except PocFileError as error:
        raise NotExportableError(f"the exported file would be invalid: {error}") from None
    return poc_id, text


def _readback(path: str, effective: str, body: Any) -> dict[str, str]:
    where = _DOWNLOADS.match(path)
    assert where is not None
    resource, rest = where.group("resource"), path[where.end() :]
    if rest == f"{{object.{resource}}}/":
        return {"resource": resource, "id": f"{{object.{resource}}}"}
    if rest in ("", "delete_by_release/") and (effective == "DELETE" or rest):
        return {"resource": "release_file", "release": "{object.release}"}
    if rest == "" and effective == "POST":
        slug = body.get("slug") if isinstance(body, dict) else None
        if not isinstance(slug, str) or not slug:
            raise NotExportableError("a create without a slug in its JSON body cannot be read back")
        return {"resource": resource, "slug": slug}
    raise NotExportableError(f"no read-back for {effective} {path}")


def _kind(effective: str, readback: dict[str, str] | None) -> str:
    if readback is None:
        return "probe"
    if "slug" in readback:
        return "create"
    if "release" in readback:
        return "bulk-delete"
    return "delete" if effective == "DELETE" else "update"


def _probe(
    api: str, headers: list[tuple[str, str]], query: list[tuple[str, str]], branch: str
) -> dict[str, Any] | None:
    """The same credential reading the unpublished release: the form production may receive."""
    kept_headers = [
        (n, v)
        for n, v in headers
        if n.lower() not in OVERRIDE_HEADERS and n.lower() != "content-type"
    ]
    kept_query = [
        (k, v) for k, v in query if "{object." not in v and k.lower() not in OVERRIDE_PARAMS
    ]
    probe: dict[str, Any] = {
        "name": f"{branch}: the same credential reads an unpublished release",
        "method": "GET",
        "path": f"/api/{api}/downloads/release/{{object.draft_release}}/",
    }
    if kept_headers:
        probe["headers"] = _pairs_value(kept_headers)
    if kept_query:
        probe["query"] = _pairs_value(kept_query)
    probe["invariant"] = "identity-is-guest"
    return probe


class _Templater:
    """Turns the strings of one finding's request into PoC strings with placeholders."""

    def __init__(self, finding: Finding, draft: bool) -> None:
        self.draft = draft
        self.literal_nonces: list[str] = []
        # The URL suite's explicit examples use "<path>-<field>-<category>" as their nonce.
        match = _URL_BRANCH.match(finding.branch)
        categories = [
            label.split(":", 1)[1] for label in finding.labels if label.startswith("category:")
        ]
        if match and categories:
            self.literal_nonces = [f"{match.group('path')}-{match.group('field')}-{categories[0]}"]

    def text(self, value: str) -> str:
        parts = []
        position = 0
        for match in _REDACTION.finditer(value):
            parts.append(self._literal(value[position : match.start()]))
            token = match.group(0)
            parts.append("{random_key}" if "{redacted}" in token else token)
            position = match.end()
        parts.append(self._literal(value[position:]))
        return "".join(parts)

    def _literal(self, value: str) -> str:
        value = value.replace("{", "{{").replace("}", "}}")

        def objects(match: re.Match[str]) -> str:
            resource = match.group("resource")
            name = "draft_release" if self.draft and resource == "release" else resource
            base = "{base_url}" if match.group("base") else ""
            return f"{base}{match.group('path')}{{object.{name}}}/"

        value = _OBJECT_URL.sub(objects, value)
        for nonce in self.literal_nonces:
            value = value.replace(nonce, "{nonce}")
        return _NONCE.sub("{nonce}", value)

    def pairs(self, raw: list[Any], bulk: bool = False) -> list[tuple[str, str]]:
        out = []
        for name, value in raw:
            text = self.text(str(value))
            if bulk and name in ("release", "os") and str(value).isdigit():
                text = f"{{object.{name}}}"
            out.append((str(name), text))
        return out

    def json(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {str(k): self.json(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.json(v) for v in value]
        return value


# -- rendering ----------------------------------------------------------------------------------


def _pairs_value(pairs: list[tuple[str, str]]) -> dict[str, str] | list[list[str]]:
    """A table when every name is distinct (readable), else [name, value] pairs."""
    names = [n for n, _ in pairs]
    if len(set(names)) == len(names):
        return dict(pairs)
    return [[n, v] for n, v in pairs]


def _render(
    poc_id: str, finding: Finding, api: str, step: dict[str, Any], probe: dict[str, Any] | None
) -> str:
    labels = "; ".join(finding.labels)
    description = (
        f"Exported from a finding on target {finding.target!r}: {finding.invariant} "
        f"[{finding.oracle}], branch {finding.branch}, operation {finding.operation}.\n"
        f"What the gate saw: {finding.summary}.\n"
        f"Read-back then: {finding.evidence}.\n" + (f"Attempt: {labels}.\n" if labels else "")
    )
    lines = [
        EXPORT_MARKER + f" ({finding.invariant}, branch {finding.branch}).",
        "# Replay: authfuzz repro THIS_FILE --target NAME (or --defects ... on the testbed).",
        "# Move it into pocs/ to keep it as a permanent regression test of the gate.",
        f"id = {_value(poc_id)}",
        f"title = {_value(f'{finding.branch} on {finding.operation}: {finding.summary}')}",
        f"api = {_value(api)}",
        f"description = {_value(description)}",
        "",
        "[references]",
        f"finding = {_value(f'{finding.invariant} [{finding.oracle}] {finding.branch}: {finding.operation}')}",
        "",
        "[[steps]]",
        *(f"{_key(k)} = {_value(v)}" for k, v in step.items()),
    ]
    if probe is not None:
        lines += ["", "[[probe]]", *(f"{_key(k)} = {_value(v)}" for k, v in probe.items())]
    return "\n".join(lines) + "\n"


def _toml_safe(value: Any) -> bool:
    """Can TOML hold this JSON value (no null, integers within 64 bits, finite floats)?"""
    if value is None:
        return False
    if isinstance(value, bool | str):
        return True
    if isinstance(value, int):
        return -_INT64 <= value < _INT64
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(_toml_safe(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _toml_safe(v) for k, v in value.items())
    return False


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _string(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{_key(str(k))} = {_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"no TOML form for {type(value).__name__}")


def _string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    out = ['"']
    for char in text:
        code = ord(char)
        if char == '"':
            out.append('\\"')
        elif char == "\\":
            out.append("\\\\")
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04X}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-.")
    return slug or "finding"
