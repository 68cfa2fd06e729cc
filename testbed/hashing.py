"""The testbed's password hasher: Django's PBKDF2, at fewer rounds.

Django's default (PBKDF2-SHA256, about a million rounds) spends a few tenths of a second of
CPU per password on purpose. Every gate run logs in (the session-cookie branch needs a real
login), the harness's tests start hundreds of gate runs, and seeding four accounts hashed four
passwords per testbed start. Django's own advice for test settings is a faster hasher; this
one keeps the algorithm and the encoding (``pbkdf2_sha256$rounds$salt$hash``) and the code
path of a login, and changes only the number of rounds, which no check of the API depends on.
"""

from __future__ import annotations

from django.contrib.auth.hashers import PBKDF2PasswordHasher


class FewerRoundsPBKDF2PasswordHasher(PBKDF2PasswordHasher):  # type: ignore[misc]
    iterations = 10_000
