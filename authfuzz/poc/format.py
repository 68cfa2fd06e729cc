"""The PoC file format (TOML): reading, validation, and one-line errors with file and line.

A PoC describes one attack: top-level ``id``, ``title``, ``api``, ``[references]``, an
optional ``description``, one or more ``[[steps]]`` (the full form) and optionally
``[[probe]]`` steps (a read-only form for production targets). Each step is a request
(``method``, ``path``, ``headers``, ``query``, ``json`` or ``json_text``, ``form``,
``session``) with placeholders instead of secrets, the ``invariant`` it must respect and,
for writes, what to ``readback``. docs/pocs.md ("PoC files and authfuzz repro") has a commented
example; every rule below answers an invalid file with ``FILE:LINE: problem``.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from authfuzz.client.bodies import FORMATS
from authfuzz.client.guard import could_change_state
from authfuzz.poc import placeholders
from authfuzz.vocabulary import RESOURCES

Pairs = tuple[tuple[str, str], ...]

INVARIANTS: dict[str, str] = {
    "rejected-and-unchanged": "the request must not take effect: no 2xx, and every readback "
    "object is unchanged (a slug readback: no such object exists afterwards)",
    "no-foreign-url": "no release-file URL outside the policy is stored, whatever the status "
    "(judged on the readback)",
    "identity-is-guest": "read-only: the server gives the credential no more than a guest's "
    "view, so the unpublished release in the path is not revealed",
}
METHODS = ("GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE")
SELECTORS = ("id", "slug", "release")
REFERENCE_KEYS = ("advisory", "pr", "commit", "docs", "finding")
APIS = ("v1", "v2")

_TOP_KEYS = ("id", "title", "api", "description", "references", "steps", "probe")
_STEP_KEYS = (
    "name",
    "method",
    "path",
    "headers",
    "query",
    "json",
    "json_text",
    "body_format",
    "form",
    "session",
    "invariant",
    "readback",
)
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_API_IN_PATH = re.compile(r"^/api/(v[0-9]+)/")
_TOML_LINE = re.compile(r"\s*\(at line (\d+), column \d+\)\s*$")


BODY_FORMATS = FORMATS


class PocFileError(ValueError):
    """An invalid PoC file; ``str()`` is one line: ``FILE:LINE: problem``."""

    def __init__(self, path: Path | str, line: int, problem: str) -> None:
        self.path = str(path)
        self.line = line
        self.problem = problem
        super().__init__(f"{self.path}:{line}: {problem}")


@dataclass(frozen=True)
class Readback:
    """What a trusted principal reads before and after the step."""

    resource: str  # os | release | release_file
    selector: str  # id: one object | slug: must not exist afterwards | release: its files
    value: str  # may hold placeholders

    def describe(self) -> str:
        return f"{self.resource} {self.selector}={self.value}"


@dataclass(frozen=True)
class Step:
    number: int  # 1-based, within its form
    form: str  # "full" ([[steps]]) or "probe" ([[probe]])
    name: str
    method: str
    path: str
    invariant: str
    headers: Pairs = ()
    query: Pairs = ()
    json_body: Any = None
    form_body: Pairs | None = None
    body_format: str = "json"  # how json_body travels: json, xml, yaml, form or multipart
    session: str | None = None  # principal reference whose session cookie is attached
    readbacks: tuple[Readback, ...] = ()
    line: int = 0

    @property
    def has_body(self) -> bool:
        return self.json_body is not None or self.form_body is not None

    def could_change_state(self) -> str | None:
        """Why this step could write on a vulnerable server (the guard's rule), or None."""
        reason = could_change_state(
            self.method,
            (name for name, _ in self.headers),
            self.has_body,
            (name for name, _ in self.query),
        )
        if reason is None and self.session is not None:
            reason = "getting a session cookie needs a login POST"
        return reason

    @property
    def label(self) -> str:
        kind = "probe step" if self.form == "probe" else "step"
        return f"{kind} {self.number}" + (f" ({self.name})" if self.name else "")


@dataclass(frozen=True)
class Poc:
    path: Path
    id: str
    title: str
    apis: tuple[str, ...]
    references: dict[str, tuple[str, ...]]
    steps: tuple[Step, ...]
    probe: tuple[Step, ...] = ()
    description: str = ""
    exported: bool = field(default=False)  # written by the exporter, not by hand

    def writes(self) -> tuple[Step, str] | None:
        """The first full-form step that could change state, with the reason."""
        for step in self.steps:
            reason = step.could_change_state()
            if reason is not None:
                return step, reason
        return None


# -- reading ------------------------------------------------------------------------------------


def load_poc(path: Path | str) -> Poc:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PocFileError(path, 0, "file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise PocFileError(path, 0, f"cannot read the file: {error}") from None
    return parse_poc(text, path)


def parse_poc(text: str, path: Path | str = "<poc>") -> Poc:
    path = Path(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        found = _TOML_LINE.search(message)
        line = int(found.group(1)) if found else 0
        raise PocFileError(path, line, f"not valid TOML: {_TOML_LINE.sub('', message)}") from None
    return _Reader(path, text).poc(data)


def expand(paths: list[str]) -> Iterator[Path]:
    """Files as given; a directory stands for the ``*.toml`` files in it, sorted."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from sorted(path.glob("*.toml"))
        else:
            yield path


class _Lines:
    """Where things are in the file: tomllib gives values, not line numbers.

    The file is cut into blocks at table headers: ``("top", 0)`` before the first header,
    ``("steps", i)`` from the i-th ``[[steps]]`` to the next block (its sub-tables such as
    ``[steps.json]`` included), likewise ``("probe", i)`` and ``("references", 0)``.
    """

    _HEADER = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_.\"' -]+?)\s*\]\]?\s*(#.*)?$")

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.blocks: dict[tuple[str, int], tuple[int, int]] = {}
        counts: dict[str, int] = {}
        current, start = ("top", 0), 1
        for number, line in enumerate(self.lines, 1):
            match = self._HEADER.match(line)
            if not match:
                continue
            name = match.group(1).replace('"', "").replace("'", "").strip()
            top = name.split(".")[0]
            if top == current[0] and "." in name:
                continue  # a sub-table of the current step: same block
            self.blocks[current] = (start, number - 1)
            index = counts.get(top, 0)
            counts[top] = index + 1
            current, start = (top, index), number
        self.blocks[current] = (start, len(self.lines))

    def block(self, name: str, index: int = 0) -> tuple[int, int]:
        return self.blocks.get((name, index), self.blocks.get(("top", 0), (1, len(self.lines))))

    def header(self, name: str, index: int) -> int:
        if (name, index) in self.blocks:
            return self.blocks[(name, index)][0]
        return self.key(name) or 1

    def key(self, key: str, name: str = "top", index: int = 0) -> int:
        """The line that sets ``key`` in a block (or opens it as a sub-table), else 0."""
        first, last = self.block(name, index)
        pattern = re.compile(
            rf"^\s*(?:{re.escape(key)}|\"{re.escape(key)}\"|'{re.escape(key)}')\s*="
            rf"|^\s*\[\[?\s*[A-Za-z0-9_.]*\.{re.escape(key)}\s*\]\]?"
        )
        for number in range(max(first, 1), last + 1):
            if pattern.match(self.lines[number - 1]):
                return number
        return 0

    def containing(self, needle: str, name: str = "top", index: int = 0) -> int:
        first, last = self.block(name, index)
        for number in range(max(first, 1), last + 1):
            if needle in self.lines[number - 1]:
                return number
        return 0


class _Reader:
    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text
        self.lines = _Lines(text)

    def fail(self, line: int, problem: str) -> PocFileError:
        return PocFileError(self.path, line or 1, problem)

    # -- top level ---------------------------------------------------------------------------

    def poc(self, data: dict[str, Any]) -> Poc:
        unknown = [k for k in data if k not in _TOP_KEYS]
        if unknown:
            raise self.fail(
                self.lines.key(unknown[0]) or self.lines.header(unknown[0], 0),
                f"unknown key {unknown[0]!r}; a PoC has {', '.join(_TOP_KEYS)}",
            )
        poc_id = self._string(data, "id")
        if not _ID.match(poc_id):
            raise self.fail(
                self.lines.key("id"),
                f"id {poc_id!r}: use lower-case letters, digits, '.', '_' and '-'",
            )
        title = self._string(data, "title")
        apis = self._apis(data)
        description = data.get("description", "")
        if not isinstance(description, str):
            raise self.fail(self.lines.key("description"), "description must be a string")
        references = self._references(data)
        steps = self._steps(data, "steps", apis, required=True)
        probe = self._steps(data, "probe", apis, required=False)
        return Poc(
            path=self.path,
            id=poc_id,
            title=title,
            apis=apis,
            references=references,
            steps=steps,
            probe=probe,
            description=description.strip(),
            exported=self.text.startswith("# Exported by authfuzz"),
        )

    def _string(self, data: dict[str, Any], key: str) -> str:
        value = data.get(key)
        if value is None:
            raise self.fail(1, f"missing {key!r}")
        if not isinstance(value, str) or not value.strip():
            raise self.fail(self.lines.key(key), f"{key} must be a non-empty string")
        return value.strip()

    def _apis(self, data: dict[str, Any]) -> tuple[str, ...]:
        raw = data.get("api")
        if raw is None:
            raise self.fail(1, 'missing \'api\' ("v1", "v2" or ["v1", "v2"])')
        values = [raw] if isinstance(raw, str) else raw
        if (
            not isinstance(values, list)
            or not values
            or any(v not in APIS for v in values)
            or len(set(values)) != len(values)
        ):
            raise self.fail(
                self.lines.key("api"), f'api {raw!r}: must be "v1", "v2" or ["v1", "v2"]'
            )
        return tuple(values)

    def _references(self, data: dict[str, Any]) -> dict[str, tuple[str, ...]]:
        raw = data.get("references")
        line = self.lines.header("references", 0)
        if raw is None:
            raise self.fail(1, f"missing [references] ({', '.join(REFERENCE_KEYS)})")
        if not isinstance(raw, dict) or not raw:
            raise self.fail(
                line, f"references must be a table with one of {', '.join(REFERENCE_KEYS)}"
            )
        out: dict[str, tuple[str, ...]] = {}
        for key, value in raw.items():
            key_line = self.lines.key(key, "references") or line
            if key not in REFERENCE_KEYS:
                raise self.fail(
                    key_line,
                    f"unknown reference {key!r}; references are {', '.join(REFERENCE_KEYS)}",
                )
            values = [value] if isinstance(value, str) else value
            if not isinstance(values, list) or not all(
                isinstance(v, str) and v.strip() for v in values
            ):
                raise self.fail(key_line, f"references.{key} must be a string or strings")
            out[key] = tuple(v.strip() for v in values)
        return out

    # -- steps ----------------------------------------------------------------------------------

    def _steps(
        self, data: dict[str, Any], section: str, apis: tuple[str, ...], required: bool
    ) -> tuple[Step, ...]:
        raw = data.get(section)
        if raw is None:
            if required:
                raise self.fail(1, "missing [[steps]]: a PoC needs at least one step")
            return ()
        if isinstance(raw, dict):
            raw = [raw]
        if not isinstance(raw, list) or not raw:
            raise self.fail(
                self.lines.key(section) or self.lines.header(section, 0),
                f"{section} must be one or more [[{section}]] tables",
            )
        return tuple(self._step(body, section, index, apis) for index, body in enumerate(raw))

    def _step(self, raw: Any, section: str, index: int, apis: tuple[str, ...]) -> Step:
        header = self.lines.header(section, index)
        where = ("probe step" if section == "probe" else "step") + f" {index + 1}"

        def key_line(key: str) -> int:
            return self.lines.key(key, section, index) or header

        if not isinstance(raw, dict):
            raise self.fail(header, f"{where}: must be a table")
        unknown = [k for k in raw if k not in _STEP_KEYS]
        if unknown:
            raise self.fail(
                key_line(unknown[0]),
                f"{where}: unknown key {unknown[0]!r}; a step has {', '.join(_STEP_KEYS)}",
            )
        for key in ("method", "path", "invariant"):
            if key not in raw:
                raise self.fail(header, f"{where}: missing {key!r}")

        method = raw["method"]
        if not isinstance(method, str) or method.upper() not in METHODS:
            raise self.fail(
                key_line("method"), f"{where}: method {method!r} is not one of {', '.join(METHODS)}"
            )
        method = method.upper()

        path = raw["path"]
        if not isinstance(path, str) or not path.startswith("/"):
            raise self.fail(key_line("path"), f"{where}: path must be a string starting with '/'")
        api = _API_IN_PATH.match(path)
        if api and api.group(1) not in apis:
            raise self.fail(
                key_line("path"),
                f"{where}: path is on {api.group(1)} but the PoC declares api = {list(apis)}",
            )

        invariant = raw["invariant"]
        if invariant not in INVARIANTS:
            raise self.fail(
                key_line("invariant"),
                f"{where}: unknown invariant {invariant!r}; expected one of "
                + ", ".join(INVARIANTS),
            )

        name = raw.get("name", "")
        if not isinstance(name, str):
            raise self.fail(key_line("name"), f"{where}: name must be a string")
        headers = self._pairs(raw, "headers", where, key_line)
        query = self._pairs(raw, "query", where, key_line)
        form_body = self._pairs(raw, "form", where, key_line) if "form" in raw else None
        json_body = self._json(raw, where, key_line)
        if form_body is not None and json_body is not None:
            raise self.fail(key_line("form"), f"{where}: give form or a JSON body, not both")
        body_format = raw.get("body_format", "json")
        if body_format not in BODY_FORMATS:
            raise self.fail(
                key_line("body_format"),
                f"{where}: body_format must be one of {', '.join(BODY_FORMATS)}",
            )

        session = raw.get("session")
        if session is not None and (
            not isinstance(session, str)
            or not re.match(r"^(@staff|@user|@inactive|[A-Za-z0-9_\-]+)$", session)
        ):
            raise self.fail(
                key_line("session"),
                f"{where}: session must name a principal (a name, @staff, @user or @inactive)",
            )

        readbacks = self._readbacks(raw, where, key_line)

        step = Step(
            number=index + 1,
            form="probe" if section == "probe" else "full",
            name=name.strip(),
            method=method,
            path=path,
            invariant=invariant,
            headers=headers,
            query=query,
            json_body=json_body,
            form_body=form_body,
            body_format=body_format,
            session=session,
            readbacks=readbacks,
            line=header,
        )
        self._placeholders(step, section, index, where)
        self._invariant_rules(step, section, where, key_line)
        return step

    def _pairs(self, raw: dict[str, Any], key: str, where: str, key_line: Any) -> Pairs:
        value = raw.get(key)
        if value is None:
            return ()
        line = key_line(key)
        problem = (
            f"{where}: {key} must be a table of strings or a list of [name, value] pairs "
            "(pairs allow a repeated name)"
        )
        items: list[tuple[Any, Any]]
        if isinstance(value, dict):
            items = list(value.items())
        elif isinstance(value, list) and all(
            isinstance(pair, list) and len(pair) == 2 for pair in value
        ):
            items = [(pair[0], pair[1]) for pair in value]
        else:
            raise self.fail(line, problem)
        out = []
        for name, item in items:
            if not isinstance(name, str) or not name:
                raise self.fail(line, problem)
            if isinstance(item, bool) or not isinstance(item, str | int):
                raise self.fail(line, f"{where}: {key} {name!r} must be a string")
            out.append((name, str(item)))
        return tuple(out)

    def _json(self, raw: dict[str, Any], where: str, key_line: Any) -> Any:
        if "json" in raw and "json_text" in raw:
            raise self.fail(key_line("json_text"), f"{where}: give json or json_text, not both")
        if "json" in raw:
            body = raw["json"]
            if not isinstance(body, dict | list):
                raise self.fail(key_line("json"), f"{where}: json must be a table or an array")
            return body
        if "json_text" in raw:
            text = raw["json_text"]
            if not isinstance(text, str):
                raise self.fail(key_line("json_text"), f"{where}: json_text must be a string")
            try:
                return json.loads(text)
            except json.JSONDecodeError as error:
                raise self.fail(
                    key_line("json_text"), f"{where}: json_text is not valid JSON: {error}"
                ) from None
        return None

    def _readbacks(self, raw: dict[str, Any], where: str, key_line: Any) -> tuple[Readback, ...]:
        value = raw.get("readback")
        if value is None:
            return ()
        line = key_line("readback")
        items = [value] if isinstance(value, dict) else value
        if not isinstance(items, list) or not items:
            raise self.fail(line, f"{where}: readback must be a table or a list of tables")
        out = []
        for item in items:
            if not isinstance(item, dict):
                raise self.fail(line, f"{where}: readback must be a table or a list of tables")
            unknown = [k for k in item if k not in ("resource", *SELECTORS)]
            if unknown:
                raise self.fail(
                    line,
                    f"{where}: readback key {unknown[0]!r} is not one of resource, "
                    + ", ".join(SELECTORS),
                )
            resource = item.get("resource")
            if resource not in RESOURCES:
                raise self.fail(
                    line,
                    f"{where}: readback resource {resource!r} is not one of {', '.join(RESOURCES)}",
                )
            selectors = [k for k in SELECTORS if k in item]
            if len(selectors) != 1:
                raise self.fail(line, f"{where}: readback needs exactly one of id, slug, release")
            selector = selectors[0]
            if selector == "release" and resource != "release_file":
                raise self.fail(
                    line, f'{where}: readback by release is for resource = "release_file"'
                )
            selected = item[selector]
            if isinstance(selected, bool) or not isinstance(selected, str | int):
                raise self.fail(line, f"{where}: readback {selector} must be a string")
            out.append(Readback(resource, selector, str(selected)))
        return tuple(out)

    def _placeholders(self, step: Step, section: str, index: int, where: str) -> None:
        for text in _strings(step):
            problem = placeholders.check(text)
            if problem is not None:
                needle, message = problem
                line = self.lines.containing(needle, section, index) or step.line
                raise self.fail(line, f"{where}: {message}")

    def _invariant_rules(self, step: Step, section: str, where: str, key_line: Any) -> None:
        if step.invariant == "identity-is-guest":
            if step.readbacks:
                raise self.fail(
                    key_line("readback"),
                    f"{where}: identity-is-guest judges the response; it takes no readback",
                )
            # The request itself must be read-only; a session cookie is allowed (its login
            # is a POST, so such a step never runs on production, and never in a [[probe]]).
            reason = could_change_state(
                step.method,
                (name for name, _ in step.headers),
                step.has_body,
                (name for name, _ in step.query),
            )
            if reason is not None:
                raise self.fail(
                    step.line, f"{where}: identity-is-guest must be read-only, but {reason}"
                )
            if not (
                placeholders.uses(step.path, "object", "draft_release")
                or placeholders.uses(step.path, "object", "release")
            ):
                raise self.fail(
                    key_line("path"),
                    f"{where}: identity-is-guest reads an unpublished release: put "
                    "{object.draft_release} (or {object.release}) in the path",
                )
        elif not step.readbacks:
            raise self.fail(
                step.line,
                f"{where}: {step.invariant} needs a readback (a status code is never evidence)",
            )
        if step.invariant == "no-foreign-url" and any(
            r.resource != "release_file" for r in step.readbacks
        ):
            raise self.fail(
                key_line("readback"), f"{where}: no-foreign-url reads back a release_file"
            )
        if section == "probe":
            if step.session is not None:
                raise self.fail(
                    key_line("session"),
                    f"{where}: a probe runs on production, where a session cookie would need "
                    "a login POST; a probe takes no session",
                )
            if step.invariant != "identity-is-guest":
                raise self.fail(
                    key_line("invariant"),
                    f"{where}: a probe step is a read-only identity probe "
                    '(invariant = "identity-is-guest")',
                )
            for text in _strings(step):
                for name in placeholders.found_in(text):
                    placeholder = placeholders.parse(name)
                    if placeholder.kind == "object" and placeholder.field != "draft_release":
                        raise self.fail(
                            self.lines.containing(placeholder.text, section, step.number - 1)
                            or step.line,
                            f"{where}: a probe runs where no canary can be created; use "
                            f"{{object.draft_release}}, not {placeholder.text}",
                        )


def _strings(step: Step) -> Iterator[str]:
    """Every string of a step that may hold placeholders."""
    yield step.path
    for _, value in (*step.headers, *step.query, *(step.form_body or ())):
        yield value
    yield from _json_strings(step.json_body)
    for readback in step.readbacks:
        yield readback.value


def _json_strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _json_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _json_strings(item)
