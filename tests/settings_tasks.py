"""Settings of the processes the background-task tests start: a db_worker and the simulator.

The test passes the database it uses (``DOKU_ALLO_TEST_DATABASE``, JSON: the test
database on PostgreSQL, a file copy of it on SQLite), where the simulator is served
(``DOKU_ALLO_TEST_BASE_URL``), where receivers log (``DOKU_ALLO_TEST_SIGNAL_LOG``) and
its RSA keys (``DOKU_ALLO_TEST_MERCHANT_KEY``, ``DOKU_ALLO_TEST_DOKU_KEY``: tests/keys.py
makes new ones in every process).
"""

import json
import os

from tests.settings import *  # noqa: F403
from tests.settings import DOKU_ALLO, DOKU_ALLO_SIMULATOR, INSTALLED_APPS
from tests.support.keys import public_pem

MERCHANT_KEY = os.environ.get("DOKU_ALLO_TEST_MERCHANT_KEY", DOKU_ALLO["PRIVATE_KEY"])
DOKU_KEY = os.environ.get("DOKU_ALLO_TEST_DOKU_KEY", DOKU_ALLO_SIMULATOR["PRIVATE_KEY"])

DATABASES = {"default": json.loads(os.environ["DOKU_ALLO_TEST_DATABASE"])}

INSTALLED_APPS = [*INSTALLED_APPS, "tests.worker_receivers.WorkerReceiversConfig"]

DOKU_ALLO = {
    **DOKU_ALLO,
    "BASE_URL": os.environ.get("DOKU_ALLO_TEST_BASE_URL", DOKU_ALLO["BASE_URL"]),
    "PRIVATE_KEY": MERCHANT_KEY,
    "DOKU_PUBLIC_KEY": public_pem(DOKU_KEY),
    "READ_TIMEOUT": 5.0,
    "DEADLINE": 10.0,
    "STATUS_CHECK_TASKS": True,
    "SIGNALS_VIA_TASKS": True,
    "STATUS_CHECK_DELAY": 1,
    "STATUS_CHECK_BACKOFF": [1],
}

# Nothing but the test sends the simulator's notifications.
DOKU_ALLO_SIMULATOR = {**DOKU_ALLO_SIMULATOR, "PRIVATE_KEY": DOKU_KEY,
                       "DELIVERY_MODE": "manual"}
