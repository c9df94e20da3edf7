"""Django settings of the benchmarks: one site on PostgreSQL holding

- the merchant side (``django_doku_allo``: notification endpoint, admin, DRF API),
- DOKU's side (the bundled simulator, mounted at ``/doku-simulator/``),
- ``benchmarks.baseline``: a bare view that inserts one row, the yardstick of benchmark 2.

Environment (the benchmark scripts set these for themselves and for the servers they start):
``BENCH_DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432/bench``) and
``BENCH_BASE_URL``, where the simulator answers (default ``http://127.0.0.1:8765/doku-simulator``).
Keys are development keys made once under ``benchmarks/var/``.
"""

from __future__ import annotations

import os
from pathlib import Path

from benchmarks.locations import DEFAULT_DATABASE_URL, VAR_DIR, simulator_url
from example_project.base_settings import *  # noqa: F403  (apps, middleware, templates)
from example_project.base_settings import INSTALLED_APPS, databases, doku_allo
from example_project.keys import DevKeys, public_key_path

_keys = DevKeys(VAR_DIR)
_merchant_key, _doku_key = _keys.private_key("merchant"), _keys.private_key("doku")
# As text, not paths: bench_client hands them to DOKU's SDK too.
MERCHANT_PRIVATE_KEY_PEM = _merchant_key.read_text()
MERCHANT_PUBLIC_KEY_PEM = Path(public_key_path(_merchant_key)).read_text()
DOKU_PRIVATE_KEY_PEM = _doku_key.read_text()
DOKU_PUBLIC_KEY_PEM = Path(public_key_path(_doku_key)).read_text()

SECRET_KEY = "benchmarks-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = [*INSTALLED_APPS, "benchmarks.baseline"]

ROOT_URLCONF = "benchmarks.urls"
WSGI_APPLICATION = "benchmarks.wsgi.application"

# Persistent connections, as a production deployment has (or pgbouncer gives):
# both the notification view and the baseline view get the same.
DATABASES = databases(DEFAULT_DATABASE_URL, env="BENCH_DATABASE_URL", conn_max_age=60)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

CLIENT_ID = "BRN-0001-BENCHMARKS01"
CLIENT_SECRET = "SK-benchmarks-5c1f0e9a7b"

DOKU_ALLO = doku_allo(
    os.environ.get("BENCH_BASE_URL", simulator_url(8765)),
    client_id=CLIENT_ID,
    client_secret=CLIENT_SECRET,
    private_key=MERCHANT_PRIVATE_KEY_PEM,
    doku_public_key=DOKU_PUBLIC_KEY_PEM,
    token_encryption_key=_keys.fernet_key(),
    READ_TIMEOUT=10.0,
    DEADLINE=15.0,
)

DOKU_ALLO_SIMULATOR = {
    "PRIVATE_KEY": DOKU_PRIVATE_KEY_PEM,
    # Nothing is delivered behind the benchmarks' back.
    "DELIVERY_MODE": "manual",
    "ENABLE_CONTROL_API": True,
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    # PageNumberPagination's page size when bench_scale compares it with the shipped
    # cursor (same 50 rows per page as the cursor and the admin).
    "PAGE_SIZE": 50,
}

# Logging as Django's default (WARNING and up to stderr): the library's INFO line per
# remote call is filtered by level, as in a deployment that does not collect INFO.
