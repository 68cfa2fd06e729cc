"""``authfuzz export-auth``: the target's principals as a WFC auth document, no secret in it.

- every principal with a token gets a v2 entry (``Token ${VAR}``), every one with an API key
  a v1 entry (``ApiKey user:${VAR}``), named after it; roles are in ``configs``;
- the variables are the ones authfuzz reads (``*_env`` names, or AUTHFUZZ_<NAME>_<KIND>);
- no secret value appears, whether the file gives it inline or through a variable that is
  set; an unset variable is not needed (nothing is read), an unknown target is one line;
- the document has the shape WFC's auth schema requires (``auth`` entries with a ``name``,
  headers with ``name`` and ``value``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from authfuzz.commands.export_auth import wfc_document
from authfuzz.targets import load_target

REPO = Path(__file__).resolve().parents[2]
TARGETS = REPO / "targets.toml"


def _export(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "authfuzz.cli", "export-auth", "--targets-file", str(TARGETS),
         *args],
        cwd=REPO, capture_output=True, text=True, timeout=60, env=env,
    )  # fmt: skip


def test_every_principal_is_an_entry_per_api_with_variables_not_values() -> None:
    done = _export("--target", "testbed")
    assert done.returncode == 0, done.stderr
    document = yaml.safe_load(done.stdout)
    entries = {e["name"]: e["fixedHeaders"] for e in document["auth"]}
    target = load_target(TARGETS, "testbed")
    assert set(entries) == {f"{p.name}-{api}" for p in target.principals for api in ("v1", "v2")}
    assert entries["admin-v2"] == [
        {"name": "Authorization", "value": "Token ${AUTHFUZZ_ADMIN_TOKEN}"}
    ]
    assert entries["retired-v1"] == [
        {"name": "Authorization", "value": "ApiKey retired:${AUTHFUZZ_RETIRED_API_KEY}"}
    ]
    assert document["configs"]["authfuzz.role.retired"] == "inactive"
    for secret in target.principals.secrets():  # inline in targets.toml: never copied out
        assert secret not in done.stdout


def test_env_names_are_kept_and_set_variables_are_not_read() -> None:
    env = {**os.environ, "AUTHFUZZ_STAGING_TOKEN": "s3cr3t-token-value-0123456789"}
    env.pop("AUTHFUZZ_STAGING_API_KEY", None)  # unset: not needed to name it
    done = _export("--target", "staging", "--json", env=env)
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    values = [h["value"] for e in document["auth"] for h in e["fixedHeaders"]]
    assert values == [
        "Token ${AUTHFUZZ_STAGING_TOKEN}",
        "ApiKey release-bot:${AUTHFUZZ_STAGING_API_KEY}",
    ]
    assert "s3cr3t" not in done.stdout


def test_the_document_has_wfc_s_required_shape() -> None:
    document = wfc_document(load_target(TARGETS, "testbed", resolve_secrets=False))
    assert isinstance(document["auth"], list) and document["auth"]
    for entry in document["auth"]:
        assert isinstance(entry["name"], str) and entry["name"]
        assert set(entry) <= {"name", "fixedHeaders", "loginEndpointAuth", "requireMockHandling"}
        for header in entry["fixedHeaders"]:
            assert set(header) == {"name", "value"} and all(
                isinstance(v, str) for v in header.values()
            )
    assert all(isinstance(v, str) for v in document["configs"].values())


def test_an_unknown_target_is_one_line() -> None:
    done = _export("--target", "nope")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "unknown target 'nope'" in done.stderr
