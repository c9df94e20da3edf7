"""Settings for the test suite: SQLite by default, PostgreSQL when DATABASE_URL is set."""

import importlib.util
import os
import tempfile

from example_project.base_settings import *  # noqa: F403  (apps, middleware, templates)
from example_project.base_settings import INSTALLED_APPS, databases, doku_allo
from tests.support.keys import DOKU_PRIVATE_KEY_PEM, MERCHANT_PRIVATE_KEY_PEM, public_pem

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]


INSTALLED_APPS = [*INSTALLED_APPS, "drf_spectacular"]

# django.tasks (Django 6.0) or the django-tasks backport, with django-tasks-db's backend:
# the background-task tests (tests/test_tasks.py) need them; without them they skip.
if importlib.util.find_spec("django_tasks_db") is not None:
    if importlib.util.find_spec("django.tasks") is None:
        INSTALLED_APPS.append("django_tasks")
    INSTALLED_APPS.append("django_tasks_db")
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
ROOT_URLCONF = "tests.urls"

# SQLite files, not :memory:: Django (and pytest-django's live server) share one
# in-memory connection between the test thread and the live server's threads, and a
# client that gave up waiting (a read timeout) then races the server on that one
# connection. One file per run, so parallel runs never meet.
_SQLITE_FILE = os.path.join(tempfile.gettempdir(), f"doku-allo-tests-{os.getpid()}.sqlite3")
DATABASES = databases(f"sqlite:///{_SQLITE_FILE}")
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["TEST"] = {"NAME": _SQLITE_FILE.replace(".sqlite3", "-test.sqlite3")}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

CLIENT_ID = "BRN-0001-1700000000001"
CLIENT_SECRET = "SK-tests-3f9a1c0d5e"

DOKU_ALLO = doku_allo(
    # Tests that talk HTTP point this at pytest-django's live_server.
    "http://testserver/doku-simulator",
    client_id=CLIENT_ID,
    client_secret=CLIENT_SECRET,
    private_key=MERCHANT_PRIVATE_KEY_PEM,
    doku_public_key=public_pem(DOKU_PRIVATE_KEY_PEM),
    token_encryption_key="JTtgRIM8oqT_IN5Vpu4UyOt_-M06sBExFmkhciIqqwE=",
)

DOKU_ALLO_SIMULATOR = {
    "PRIVATE_KEY": DOKU_PRIVATE_KEY_PEM,
}

REST_FRAMEWORK = {"DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema"}

# Django's default logging, so errors really go out as mails to ADMINS (the locmem
# backend keeps them in mail.outbox): the suite checks that none carries a secret.
ADMINS = [("Ops", "ops@example.com")]
