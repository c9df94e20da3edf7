"""Settings of the crash harness: the example shop (simulator mounted) on its own PostgreSQL.

``benchmarks/crash_harness.py`` sets the environment for itself and for the gunicorn it
starts: ``CRASH_DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432/crash_harness``,
dropped and re-created by every run) and ``CRASH_BASE_URL`` (where the simulator answers).
Everything that would make reconciliation wait for minutes is scaled down: no status-check
delay, a confirmation window of ``CRASH_CONFIRMATION_WINDOW`` seconds (default 8), short
timeouts, DOKU's notification retries compressed further.
"""

from __future__ import annotations

import os

from example_project.base_settings import databases
from example_project.settings import *  # noqa: F403  (the example shop, as it is)
from example_project.settings import DOKU_ALLO, DOKU_ALLO_SIMULATOR

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/crash_harness"
DATABASES = databases(DEFAULT_DATABASE_URL, env="CRASH_DATABASE_URL")
DEBUG = False
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

DOKU_ALLO = {
    **DOKU_ALLO,
    "BASE_URL": os.environ.get("CRASH_BASE_URL", "http://127.0.0.1:8766/doku-simulator"),
    "READ_TIMEOUT": 3.0,
    "DEADLINE": 5.0,
    "STATUS_CHECK_DELAY": 0,
    "PAYMENT_CONFIRMATION_WINDOW": float(os.environ.get("CRASH_CONFIRMATION_WINDOW", "8")),
    "API_THROTTLE_CLASSES": [],
}

DOKU_ALLO_SIMULATOR = {
    **DOKU_ALLO_SIMULATOR,
    # The harness plays DOKU's delivery worker: nothing is sent behind its back.
    "DELIVERY_MODE": "manual",
    "ENABLE_CONTROL_API": True,
    "NOTIFICATION_RETRY_DELAYS": [0, 0.2, 0.5, 1.0],
    "HTTP_TIMEOUT": 3,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django_doku_allo": {"handlers": ["console"], "level": "ERROR"}},
}
