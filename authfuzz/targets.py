"""Named deployments from ``targets.toml``, validated with one-line errors.

A target without ``environment`` is treated as production: the safe reading
when somebody forgets to say. Secrets may be given inline (local testbeds) or
through ``*_env`` variables (CI secrets); an unset variable is an error that
names the variable, never a value.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from authfuzz.layout import DEFAULT_SPEC
from authfuzz.principals import Principal, Principals, Role
from authfuzz.throttles.rates import PYTHON_ORG, ThrottleConfigError, Throttles, parse_throttles

DEFAULT_URL_PREFIX = "https://www.python.org/"
DEFAULT_TARGET = "testbed"
TARGETS_ENV = "AUTHFUZZ_TARGETS_FILE"


class Environment(StrEnum):
    LOCAL = "local"
    STAGING = "staging"
    PRODUCTION = "production"


class TargetsFileError(ValueError):
    """A problem in targets.toml; the message is one line naming file, target and key."""


@dataclass(frozen=True)
class Target:
    name: str
    base_url: str | None  # None until an auto-started testbed is up
    environment: Environment
    url_prefix: str
    principals: Principals
    spec: Path
    max_rps: float | None = None
    max_requests: int | None = None
    start: str | None = None  # "testbed": the harness starts the embedded testbed itself
    # False: never send a request that could reach data that is not the run's own on a
    # vulnerable server (bulk deletes, method overrides, nested writes); those checks are
    # skipped with the reason instead of run inside a snapshot-and-restore.
    destructive: bool = True
    # The target's throttle limits (python.org's real rates unless targets.toml says otherwise;
    # None for a target without throttles, as the testbed the harness starts itself).
    throttles: Throttles | None = PYTHON_ORG

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.PRODUCTION

    def with_base_url(self, base_url: str) -> Target:
        from dataclasses import replace

        return replace(self, base_url=base_url.rstrip("/"))

    def with_environment(self, environment: Environment) -> Target:
        from dataclasses import replace

        return replace(self, environment=environment)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Hypothesis's printer walks a dataclass's fields itself, ignoring ``repr=False``."""
        printer.text(repr(self))


_TARGET_KEYS = {
    "base_url",
    "environment",
    "url_prefix",
    "spec",
    "max_rps",
    "max_requests",
    "start",
    "destructive",
    "throttles",
    "principals",
}
_PRINCIPAL_KEYS = {
    "name",
    "username",
    "role",
    "api_key",
    "api_key_env",
    "token",
    "token_env",
    "password",
    "password_env",
}


def _read_tables(path: Path) -> dict[str, Any]:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TargetsFileError(
            f"{path}: file not found (set --targets-file or AUTHFUZZ_TARGETS_FILE)"
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise TargetsFileError(f"{path}: not valid TOML: {error}") from None
    targets = data.get("targets")
    if not isinstance(targets, dict) or not targets:
        raise TargetsFileError(f"{path}: no [targets.NAME] table")
    return targets


def load_target(path: Path, name: str, *, resolve_secrets: bool = True) -> Target:
    """Load and validate one target; other targets' secrets are never resolved.

    ``resolve_secrets=False``: for commands that only name secrets (``export-auth``); every
    secret the file gives, inline or through a variable, is then ``UNRESOLVED``."""
    path = Path(path)
    tables = _read_tables(path)
    if name not in tables:
        known = ", ".join(sorted(tables))
        raise TargetsFileError(f"{path}: unknown target {name!r}; known targets: {known}")
    return _target(path, name, tables[name], resolve_secrets)


def targets_file(given: str | Path | None = None) -> Path:
    """The targets file a command reads: the one given, else ``$AUTHFUZZ_TARGETS_FILE``, else
    ./targets.toml. Every command and the plugin ask here, so a run's printed follow-up
    command (``authfuzz clean ...``) finds the file the run used."""
    return Path(given or os.environ.get(TARGETS_ENV) or "targets.toml")


def resolve_target(
    name: str | None,
    given_file: str | Path | None = None,
    *,
    defects: str = "",
    as_production: bool = False,
    resolve_secrets: bool = True,
) -> Target:
    """The target a command or a run names, as every command resolves it.

    ``defects`` may only be switched on in a testbed the harness starts itself;
    ``as_production`` treats any target as production. Raises ``TargetsFileError`` with a
    one-line reason."""
    target = load_target(
        targets_file(given_file), name or DEFAULT_TARGET, resolve_secrets=resolve_secrets
    )
    if defects and target.start != "testbed":
        raise TargetsFileError(
            f'--defects needs a target with start = "testbed"; {target.name!r} is '
            f"{target.environment.value} at {target.base_url}"
        )
    return target.with_environment(Environment.PRODUCTION) if as_production else target


UNRESOLVED = "(not read)"


def _target(path: Path, name: str, body: Any, resolve_secrets: bool = True) -> Target:
    where = f"{path}: targets.{name}"
    if not isinstance(body, dict):
        raise TargetsFileError(f"{where}: must be a table")
    unknown = sorted(set(body) - _TARGET_KEYS)
    if unknown:
        raise TargetsFileError(f"{where}: unknown key {unknown[0]!r}")

    start = body.get("start")
    if start not in (None, "testbed"):
        raise TargetsFileError(f'{where}.start: must be "testbed" (got {start!r})')
    base_url = body.get("base_url")
    if base_url is None and start is None:
        raise TargetsFileError(f"{where}: missing base_url")
    if base_url is not None and (
        not isinstance(base_url, str) or not base_url.startswith(("http://", "https://"))
    ):
        raise TargetsFileError(f"{where}.base_url: must be an http:// or https:// URL")

    raw_env = body.get("environment", Environment.PRODUCTION.value)
    try:
        environment = Environment(raw_env)
    except ValueError:
        choices = ", ".join(e.value for e in Environment)
        raise TargetsFileError(
            f"{where}.environment: {raw_env!r} is not one of {choices}"
        ) from None

    url_prefix = body.get("url_prefix", DEFAULT_URL_PREFIX)
    if not isinstance(url_prefix, str) or not url_prefix.startswith(("http://", "https://")):
        raise TargetsFileError(f"{where}.url_prefix: must be an http(s) URL prefix")

    spec = Path(body["spec"]) if "spec" in body else DEFAULT_SPEC
    if not spec.is_absolute():
        spec = (path.parent / spec).resolve()

    max_rps = body.get("max_rps")
    if max_rps is not None and (not isinstance(max_rps, int | float) or max_rps <= 0):
        raise TargetsFileError(f"{where}.max_rps: must be a positive number")
    max_requests = body.get("max_requests")
    if max_requests is not None and (not isinstance(max_requests, int) or max_requests <= 0):
        raise TargetsFileError(f"{where}.max_requests: must be a positive integer")

    destructive = body.get("destructive", True)
    if not isinstance(destructive, bool):
        raise TargetsFileError(f"{where}.destructive: must be true or false")

    # The testbed the harness starts for itself runs with python.org's throttles lifted.
    raw_throttles = body.get("throttles", False if start == "testbed" else None)
    try:
        throttles = parse_throttles(raw_throttles)
    except ThrottleConfigError as error:
        raise TargetsFileError(f"{where}.throttles: {error}") from None

    raw_principals = body.get("principals", [])
    if not isinstance(raw_principals, list):
        raise TargetsFileError(f"{where}.principals: use [[targets.{name}.principals]] tables")
    principals: list[Principal] = []
    for index, raw in enumerate(raw_principals):
        principal = _principal(f"{where}.principals[{index}]", raw, resolve_secrets)
        if any(p.name == principal.name for p in principals):
            raise TargetsFileError(
                f"{where}.principals: duplicate principal name {principal.name!r}"
            )
        principals.append(principal)

    return Target(
        name=name,
        base_url=base_url.rstrip("/") if base_url else None,
        environment=environment,
        url_prefix=url_prefix,
        principals=Principals(tuple(principals)),
        spec=spec,
        max_rps=float(max_rps) if max_rps is not None else None,
        max_requests=max_requests,
        start=start,
        destructive=destructive,
        throttles=throttles,
    )


def _principal(where: str, raw: Any, resolve_secrets: bool = True) -> Principal:
    if not isinstance(raw, dict):
        raise TargetsFileError(f"{where}: must be a table")
    unknown = sorted(set(raw) - _PRINCIPAL_KEYS)
    if unknown:
        raise TargetsFileError(f"{where}: unknown key {unknown[0]!r}")
    for key in ("name", "username", "role"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise TargetsFileError(f"{where}: missing {key}")
    where = where.rsplit(".", 1)[0] + f".principals.{raw['name']}"
    try:
        role = Role(raw["role"])
    except ValueError:
        choices = ", ".join(r.value for r in Role)
        raise TargetsFileError(f"{where}.role: {raw['role']!r} is not one of {choices}") from None
    return Principal(
        name=raw["name"],
        username=raw["username"],
        role=role,
        api_key=_secret(where, raw, "api_key", resolve_secrets),
        token=_secret(where, raw, "token", resolve_secrets),
        password=_secret(where, raw, "password", resolve_secrets),
        env=tuple(
            (kind, str(raw[f"{kind}_env"]))
            for kind in ("api_key", "token", "password")
            if raw.get(f"{kind}_env")
        ),
    )


def _secret(where: str, raw: dict[str, Any], key: str, resolve: bool = True) -> str | None:
    inline, env_name = raw.get(key), raw.get(f"{key}_env")
    if inline is not None and env_name is not None:
        raise TargetsFileError(f"{where}: give {key} or {key}_env, not both")
    if not resolve:
        return UNRESOLVED if (inline or env_name) else None
    if inline is not None:
        if not isinstance(inline, str) or not inline:
            raise TargetsFileError(f"{where}.{key}: must be a non-empty string")
        return inline
    if env_name is not None:
        if not isinstance(env_name, str) or not env_name:
            raise TargetsFileError(f"{where}.{key}_env: must name an environment variable")
        value = os.environ.get(env_name)
        if not value:
            raise TargetsFileError(f"{where}.{key}_env: environment variable {env_name} is not set")
        return value
    return None
