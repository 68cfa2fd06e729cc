"""Django settings for the testbed.

Everything that varies between runs (database, defects, throttling, request
log) arrives as one JSON document in ``AUTHFUZZ_TESTBED_CONFIG``, written by
``testbed.serve``; nothing here reads other environment variables, so a
running testbed is fully described by that document.
"""

from __future__ import annotations

import json
import os
import secrets

_config = json.loads(os.environ.get("AUTHFUZZ_TESTBED_CONFIG", "{}"))

DEBUG = False
SECRET_KEY = _config.get("secret_key") or secrets.token_hex(32)
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
ROOT_URLCONF = "testbed.urls"
WSGI_APPLICATION = "testbed.wsgi.application"
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
STATIC_URL = "/static/"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "tastypie",
    "rest_framework",
    "rest_framework.authtoken",
    "testbed.downloads",
]

MIDDLEWARE = [
    "testbed.head_requests.HeadWithoutBodyMiddleware",
    "testbed.request_log.RequestLogMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

# Django's PBKDF2 at fewer rounds (testbed/hashing.py says why).
PASSWORD_HASHERS = ["testbed.hashing.FewerRoundsPBKDF2PasswordHasher"]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

DATABASES = {
    "default": _config.get("database", {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"})
}

# One process, one cache: the throttle buckets live as long as the testbed.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTHFUZZ_DEFECTS = frozenset(_config.get("defects", []))
AUTHFUZZ_THROTTLE = bool(_config.get("throttle", True))
AUTHFUZZ_REQUEST_LOG = _config.get("request_log")

# Only the proxy-user-header defect needs a backend that answers authenticate(remote_user=...).
if "proxy-user-header" in AUTHFUZZ_DEFECTS:
    AUTHENTICATION_BACKENDS = [
        "django.contrib.auth.backends.ModelBackend",
        "testbed.downloads.api_v2.authentication.ExistingRemoteUserBackend",
    ]

TASTYPIE_DEFAULT_FORMATS = ["json", "xml", "yaml"]
TASTYPIE_FULL_DEBUG = False

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.TokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["testbed.downloads.api_v2.permissions.IsStaffOrReadOnly"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_THROTTLE_CLASSES": (
        [
            "rest_framework.throttling.AnonRateThrottle",
            "rest_framework.throttling.UserRateThrottle",
        ]
        if AUTHFUZZ_THROTTLE
        else []
    ),
    "DEFAULT_THROTTLE_RATES": {"anon": "100/day", "user": "3000/day"},
    "NUM_PROXIES": 3,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django.request": {"handlers": ["console"], "level": "ERROR"}},
}
