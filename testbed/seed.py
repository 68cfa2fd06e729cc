"""Seed a fresh testbed database: the fixed accounts and a small catalogue.

Two OSes, a published and an unpublished release, and one release file whose
URLs follow the policy, so that reads, identity probes and canary checks have
something to look at from the first request.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from tastypie.models import ApiKey

from testbed.downloads.models import OS, Release, ReleaseFile
from testbed.principals import ACCOUNTS

PUBLISHED_SLUG = "python-3140"
DRAFT_SLUG = "python-3150a0"
SEED_FILE_URL = "https://www.python.org/ftp/python/3.14.0/Python-3.14.0.tgz"


def seed() -> None:
    user_model = get_user_model()
    for account in ACCOUNTS:
        user = user_model.objects.create_user(
            username=account.username,
            password=account.password,
            email=f"{account.username}@testbed.invalid",
            is_staff=account.is_staff,
            is_superuser=account.is_superuser,
            is_active=account.is_active,
        )
        ApiKey.objects.update_or_create(user=user, defaults={"key": account.api_key})
        Token.objects.filter(user=user).delete()
        Token.objects.create(user=user, key=account.token)

    source = OS.objects.create(name="Source release", slug="source")
    OS.objects.create(name="Windows", slug="windows")
    published = Release.objects.create(
        name="Python 3.14.0",
        slug=PUBLISHED_SLUG,
        version=Release.PYTHON3,
        is_published=True,
        is_latest=True,
        release_date=datetime(2025, 10, 7, tzinfo=UTC),
        release_notes_url="https://docs.python.org/3.14/whatsnew/changelog.html",
    )
    Release.objects.create(
        name="Python 3.15.0a0",
        slug=DRAFT_SLUG,
        version=Release.PYTHON3,
        is_published=False,
        pre_release=True,
        release_date=datetime(2026, 10, 14, tzinfo=UTC),
    )
    ReleaseFile.objects.create(
        name="Gzipped source tarball",
        slug="python-3140-tgz",
        os=source,
        release=published,
        is_source=True,
        url=SEED_FILE_URL,
        gpg_signature_file=f"{SEED_FILE_URL}.asc",
        sigstore_bundle_file=f"{SEED_FILE_URL}.sigstore",
        sha256_sum="0" * 64,
        filesize=29_000_000,
    )
