"""Throughput of the harness's client, and of the Schemathesis suite, against raw requests.

The client and a raw ``requests.Session`` send the same request (a v1 POST with
a wrong key, answered 401) to the same testbed in the same run, alternating
rounds so that machine noise hits both alike; the goal for client / raw is at
least 0.8. The Schemathesis suite's rate is read from the testbed's request log
while ``suites/test_openapi_fuzz.py`` runs against that testbed (its own
generation, checks and read-backs included), and compared with the same raw rate.

    python bench/throughput.py [--seconds 3] [--rounds 3] [--no-schemathesis]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from authfuzz.client import ApiRequest, Client  # noqa: E402
from authfuzz.targets import load_target  # noqa: E402
from testbed.principals import targets_toml  # noqa: E402
from testbed.runner import Testbed, TestbedInfo  # noqa: E402

PATH = "/api/v1/downloads/os/"
BODY = {"name": "bench", "slug": "bench"}
HEADERS = (("Authorization", "ApiKey admin:wrong-key"),)


def raw_rate(base_url: str, seconds: float) -> float:
    with requests.Session() as session:
        count, started = 0, time.monotonic()
        while time.monotonic() - started < seconds:
            assert (
                session.post(
                    base_url + PATH, json=BODY, headers=dict(HEADERS), timeout=10
                ).status_code
                == 401
            )
            count += 1
        return count / (time.monotonic() - started)


def client_rate(client: Client, seconds: float) -> float:
    request = ApiRequest("POST", PATH, headers=HEADERS, json_body=BODY)
    count, started = 0, time.monotonic()
    while time.monotonic() - started < seconds:
        assert client.send(request).status == 401
        count += 1
    return count / (time.monotonic() - started)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-schemathesis", dest="schemathesis", action="store_false")
    args = parser.parse_args()
    target = load_target(REPO / "targets.toml", "testbed")
    with Testbed() as info:
        client = Client(target.with_base_url(info.base_url))
        raw, ours = [], []
        for _ in range(args.rounds):
            raw.append(raw_rate(info.base_url, args.seconds))
            ours.append(client_rate(client, args.seconds))
        client.close()
        suite_rate = schemathesis_rate(info) if args.schemathesis else None
    raw_mean, ours_mean = sum(raw) / len(raw), sum(ours) / len(ours)
    print(f"raw requests.Session: {raw_mean:7.1f} req/s  ({', '.join(f'{r:.0f}' for r in raw)})")
    print(f"authfuzz Client:      {ours_mean:7.1f} req/s  ({', '.join(f'{r:.0f}' for r in ours)})")
    ratio = ours_mean / raw_mean
    print(f"ratio client/raw:     {ratio:.2f} (goal >= 0.8)")
    if suite_rate is not None:
        print(
            f"Schemathesis suite:   {suite_rate:7.1f} req/s  (ratio to raw {suite_rate / raw_mean:.2f})"
        )
    return 0 if ratio >= 0.8 else 1


def schemathesis_rate(info: TestbedInfo) -> float:
    """Requests per second the OpenAPI suite drives, from the testbed's own request log."""
    with tempfile.TemporaryDirectory() as tmp:
        targets = Path(tmp) / "targets.toml"
        targets.write_text(targets_toml("bench", info.base_url, "local"))
        seen_before = len(info.logged_requests())
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "suites/test_openapi_fuzz.py",
                "-q",
                "-p",
                "no:cacheprovider",
                "--targets-file",
                str(targets),
                "--target",
                "bench",
                "--report-dir",
                str(Path(tmp) / "r"),
            ],
            cwd=REPO,
            capture_output=True,
            check=False,
        )
    times = [r["time"] for r in info.logged_requests()[seen_before:]]
    return len(times) / (max(times) - min(times)) if len(times) > 1 else 0.0


if __name__ == "__main__":
    sys.exit(main())
