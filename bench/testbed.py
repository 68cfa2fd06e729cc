"""Testbed start-up time and requests per second on this machine.

    python bench/testbed.py [--seconds 5] [--database-url postgresql://...]

Start-up is measured from spawning the process to the first answered request
(scratch database, migrations, seed, bind). Throughput is one client thread
with a pooled session, so it is the rate one harness worker can drive.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from testbed.principals import ACCOUNTS
from testbed.runner import Testbed


def rate(session: requests.Session, url: str, seconds: float, headers: dict[str, str]) -> float:
    count, deadline = 0, time.monotonic() + seconds
    started = time.monotonic()
    while time.monotonic() < deadline:
        session.get(url, headers=headers, timeout=10).raise_for_status()
        count += 1
    return count / (time.monotonic() - started)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    admin = ACCOUNTS[0]
    starts = []
    for _ in range(3):
        began = time.monotonic()
        with Testbed(database_url=args.database_url) as info:
            requests.get(f"{info.base_url}/api/v1/", timeout=10).raise_for_status()
            starts.append(time.monotonic() - began)
    print(f"start-up (spawn to first answer), 3 runs: {', '.join(f'{s:.2f}s' for s in starts)}")
    with Testbed(database_url=args.database_url) as info, requests.Session() as session:
        base = info.base_url
        cases = {
            "v1 GET os list (guest)": (f"{base}/api/v1/downloads/os/", {}),
            "v1 GET release list (staff key)": (
                f"{base}/api/v1/downloads/release/",
                {"Authorization": f"ApiKey {admin.username}:{admin.api_key}"},
            ),
            "v2 GET release_file list (staff token)": (
                f"{base}/api/v2/downloads/release_file/",
                {"Authorization": f"Token {admin.token}"},
            ),
        }
        for label, (url, headers) in cases.items():
            print(f"{label:42s} {rate(session, url, args.seconds, headers):7.0f} req/s")
        count, deadline = 0, time.monotonic() + args.seconds
        started = time.monotonic()
        while time.monotonic() < deadline:
            response = session.post(
                f"{base}/api/v1/downloads/os/",
                json={"name": "x", "slug": "x"},
                headers={"Authorization": f"ApiKey {admin.username}:wrong"},
                timeout=10,
            )
            assert response.status_code == 401
            count += 1
        print(
            f"{'v1 POST os with a wrong key (401)':42s} {count / (time.monotonic() - started):7.0f} req/s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
