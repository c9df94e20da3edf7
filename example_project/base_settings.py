"""What every Django site in this repository shares.

Three sites build on this module: the example shop (``example_project.settings``), the
test suite (``tests.settings``) and the benchmarks (``benchmarks.settings``). Each does
``from example_project.base_settings import *`` and then sets what is its own: secret,
hosts, URLs, database default, keys, and the extras of its DOKU_ALLO.

The shop is the reference for a merchant's settings, so its base lives here; the other
two start from the same apps, middleware and templates, so what the tests and the
benchmarks exercise is what the shop runs.
"""

from __future__ import annotations

import os
from typing import Any

import dj_database_url

USE_TZ = True
TIME_ZONE = "Asia/Jakarta"

# The merchant's apps and DOKU's side (the simulator). A site that serves an OpenAPI
# schema adds "drf_spectacular"; the benchmarks leave it out.
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_doku_allo",
    "django_doku_allo.simulator",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After sessions (it reads the language the customer chose), before CommonMiddleware
    # (which may redirect, and should do so in that language).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

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

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Holds the B2B token (DOKU_ALLO["CACHE_ALIAS"]); locmem keeps one per process, which a
# development, test or benchmark host can afford (a deployment shares one cache).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
STATIC_URL = "/static/"


def databases(default_url: str, *, env: str = "DATABASE_URL",
              conn_max_age: int = 0) -> dict[str, dict[str, Any]]:
    """DATABASES from the URL in environment variable ``env``, else ``default_url``.

    The benchmarks read their own variable (BENCH_DATABASE_URL): they drop and re-create
    their database, which must never be the one DATABASE_URL names for the tests.
    """
    url = os.environ.get(env, default_url)
    default = dict(dj_database_url.parse(url, conn_max_age=conn_max_age))
    if default["ENGINE"].endswith("sqlite3"):
        default["OPTIONS"] = {**SQLITE_OPTIONS, **default.get("OPTIONS", {})}
    return {"default": default}


#: SQLite that stays correct when the simulator's notification arrives while the shop
#: still writes: readers never block the writer (WAL), a writer takes its lock when its
#: transaction begins rather than failing halfway (IMMEDIATE), and waits for the other
#: writer instead of answering "database is locked" at once.
SQLITE_OPTIONS: dict[str, Any] = {
    "timeout": 20,
    "transaction_mode": "IMMEDIATE",
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}


def doku_allo(base_url: str, *, client_id: str, client_secret: str, private_key: str,
              doku_public_key: str, token_encryption_key: str,
              **more: Any) -> dict[str, Any]:
    """DOKU_ALLO for a merchant talking to the simulator at ``base_url``.

    The keys may be PEM text or paths to PEM files (conf.py accepts both). ``more`` adds
    or overrides keys, e.g. ``ENVIRONMENT="sandbox"`` or the redirects.
    """
    return {
        "ENVIRONMENT": "simulator",
        "BASE_URL": base_url,
        "CLIENT_ID": client_id,
        "CLIENT_SECRET": client_secret,
        "PRIVATE_KEY": private_key,
        "DOKU_PUBLIC_KEY": doku_public_key,
        "TOKEN_ENCRYPTION_KEYS": [token_encryption_key],
        **more,
    }
