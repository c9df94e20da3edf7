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

import dj_database_url
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

BENCH_DIR = Path(__file__).resolve().parent
VAR_DIR = BENCH_DIR / "var"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench"


def _write_once(path: Path, make: object) -> Path:
    """Create ``path`` with ``make()`` bytes unless it exists (atomic: rename into place)."""
    if not path.exists():
        VAR_DIR.mkdir(exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        tmp.write_bytes(make())  # type: ignore[operator]
        tmp.chmod(0o600)
        os.replace(tmp, path)
    return path


def _rsa_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def public_pem(private_pem: str) -> str:
    key = serialization.load_pem_private_key(private_pem.encode("ascii"), password=None)
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo,
    ).decode("ascii")


MERCHANT_PRIVATE_KEY_PEM = _write_once(VAR_DIR / "merchant.pem", _rsa_pem).read_text()
DOKU_PRIVATE_KEY_PEM = _write_once(VAR_DIR / "doku.pem", _rsa_pem).read_text()
TOKEN_KEY = _write_once(VAR_DIR / "fernet.key", Fernet.generate_key).read_text().strip()

SECRET_KEY = "benchmarks-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
TIME_ZONE = "Asia/Jakarta"

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
    "benchmarks.baseline",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "benchmarks.urls"
WSGI_APPLICATION = "benchmarks.wsgi.application"
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

# Persistent connections, as a production deployment has (or pgbouncer gives):
# both the notification view and the baseline view get the same.
DATABASES = {
    "default": dj_database_url.parse(os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
                                     conn_max_age=60)
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STATIC_URL = "/static/"

CLIENT_ID = "BRN-0001-BENCHMARKS01"
CLIENT_SECRET = "SK-benchmarks-5c1f0e9a7b"

DOKU_ALLO = {
    "ENVIRONMENT": "simulator",
    "BASE_URL": os.environ.get("BENCH_BASE_URL", "http://127.0.0.1:8765/doku-simulator"),
    "CLIENT_ID": CLIENT_ID,
    "CLIENT_SECRET": CLIENT_SECRET,
    "PRIVATE_KEY": MERCHANT_PRIVATE_KEY_PEM,
    "DOKU_PUBLIC_KEY": public_pem(DOKU_PRIVATE_KEY_PEM),
    "TOKEN_ENCRYPTION_KEYS": [TOKEN_KEY],
    "READ_TIMEOUT": 10.0,
    "DEADLINE": 15.0,
}

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
