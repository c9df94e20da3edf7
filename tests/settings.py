"""Settings for the test suite: SQLite by default, PostgreSQL when DATABASE_URL is set."""

import importlib.util
import os
from pathlib import Path

import dj_database_url

from tests.keys import DOKU_PRIVATE_KEY_PEM, MERCHANT_PRIVATE_KEY_PEM, public_pem

BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = "tests-only-not-secret"
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
    "drf_spectacular",
    "django_doku_allo",
    "django_doku_allo.simulator",
]

# django.tasks (Django 6.0) or the django-tasks backport, with django-tasks-db's backend:
# the background-task tests (tests/test_tasks.py) need them; without them they skip.
if importlib.util.find_spec("django_tasks_db") is not None:
    if importlib.util.find_spec("django.tasks") is None:
        INSTALLED_APPS.append("django_tasks")
    INSTALLED_APPS.append("django_tasks_db")
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "tests.urls"
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
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", "sqlite:///:memory:"), conn_max_age=0
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
STATIC_URL = "/static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

CLIENT_ID = "BRN-0001-1700000000001"
CLIENT_SECRET = "SK-tests-3f9a1c0d5e"

DOKU_ALLO = {
    "ENVIRONMENT": "simulator",
    # Tests that talk HTTP point this at pytest-django's live_server.
    "BASE_URL": "http://testserver/doku-simulator",
    "CLIENT_ID": CLIENT_ID,
    "CLIENT_SECRET": CLIENT_SECRET,
    "PRIVATE_KEY": MERCHANT_PRIVATE_KEY_PEM,
    "DOKU_PUBLIC_KEY": public_pem(DOKU_PRIVATE_KEY_PEM),
    "TOKEN_ENCRYPTION_KEYS": ["JTtgRIM8oqT_IN5Vpu4UyOt_-M06sBExFmkhciIqqwE="],
}

DOKU_ALLO_SIMULATOR = {
    "PRIVATE_KEY": DOKU_PRIVATE_KEY_PEM,
}

REST_FRAMEWORK = {"DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema"}

# Django's default logging, so errors really go out as mails to ADMINS (the locmem
# backend keeps them in mail.outbox): the suite checks that none carries a secret.
ADMINS = [("Ops", "ops@example.com")]
