"""``authfuzz export-auth --format wfc --target NAME``: the target's principals for other fuzzers.

Web Fuzzing Commons (WFC) describes a fuzzer's users as an auth document that Schemathesis
(``[auth.wfc]``), EvoMaster and CATS all read. Writing the same principals authfuzz uses lets a
peer run with every user, staff and not, instead of one key, so a comparison is fair and a
finding can be cross-checked. Secrets are never written: each header value names the
environment variable authfuzz itself reads it from (``Token ${AUTHFUZZ_ADMIN_TOKEN}``); expand
them where the fuzzer runs (``envsubst < auth.yaml > /run/auth.yaml``), never in a file kept.

Each principal is two entries, one per API: v1 takes ``ApiKey user:key``, v2 ``Token key``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml

from authfuzz.commands.targeting import add_target_options
from authfuzz.principals import Principal
from authfuzz.targets import Target, TargetsFileError, resolve_target

PROG = "authfuzz export-auth"


def wfc_document(target: Target) -> dict[str, Any]:
    """The WFC auth document of ``target``'s principals, secrets as ``${VARIABLE}``."""
    entries: list[dict[str, Any]] = []
    configs = {
        "authfuzz.target": target.name,
        "authfuzz.secrets": "header values name environment variables: expand them "
        "(envsubst) where the fuzzer runs, never in a file that is kept",
    }
    if target.base_url:
        configs["authfuzz.base_url"] = target.base_url
    for principal in target.principals:
        configs[f"authfuzz.role.{principal.name}"] = principal.role.value
        entries += _entries(principal)
    return {"auth": entries, "configs": configs}


def _entries(principal: Principal) -> list[dict[str, Any]]:
    entries = []
    if principal.token:
        value = f"Token ${{{principal.env_name('token')}}}"
        entries.append(_entry(f"{principal.name}-v2", value))
    if principal.api_key:
        value = f"ApiKey {principal.username}:${{{principal.env_name('api_key')}}}"
        entries.append(_entry(f"{principal.name}-v1", value))
    return entries


def _entry(name: str, value: str) -> dict[str, Any]:
    return {"name": name, "fixedHeaders": [{"name": "Authorization", "value": value}]}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    add_target_options(parser, required=True)
    parser.add_argument("--format", choices=["wfc"], default="wfc", help="the document format")
    parser.add_argument("--json", action="store_true", help="JSON instead of YAML")
    parser.add_argument("--output", "-o", help="write here (default: standard output)")
    args = parser.parse_args(argv)
    try:
        target = resolve_target(args.target, args.targets_file, resolve_secrets=False)
    except TargetsFileError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    document = wfc_document(target)
    if args.json:
        text = json.dumps(document, indent=2) + "\n"
    else:
        text = yaml.safe_dump(document, sort_keys=False, width=100)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"{PROG}: {len(document['auth'])} auth entries for target {target.name!r} -> "
              f"{args.output}")  # fmt: skip
    else:
        sys.stdout.write(text)
    return 0
