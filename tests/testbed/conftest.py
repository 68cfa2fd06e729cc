"""Fixtures for the testbed's own tests.

- ``testbeds``: a per-session (per xdist worker) pool of running testbeds, keyed by the
  defect set and the throttle flag; start-up costs ~1.5 s, so each one starts once.
- ``testbed``: the clean testbed (no defects, throttle lifted), as python.org HEAD.
- ``staff_session``: a ``sessionid`` cookie of the admin user on the clean testbed, from a
  real Django admin login.

With ``DATABASE_URL`` set every testbed runs on its own scratch PostgreSQL database,
otherwise on a scratch SQLite file. Tests use fresh slugs, so their order does not matter.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import tbkit

from testbed.runner import TestbedInfo


@pytest.fixture(scope="session")
def testbeds() -> Iterator[tbkit.TestbedPool]:
    pool = tbkit.TestbedPool()
    try:
        yield pool
    finally:
        pool.close()


@pytest.fixture(scope="session")
def testbed(testbeds: tbkit.TestbedPool) -> TestbedInfo:
    info = testbeds.get(())
    tbkit.ensure_keyless_staff(info)
    return info


@pytest.fixture(scope="session")
def staff_session(testbed: TestbedInfo) -> str:
    return tbkit.login_session(testbed, tbkit.ADMIN)
