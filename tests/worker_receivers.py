"""Signal receivers of the db_worker the background-task tests start (tests/settings_tasks.py).

Each writes one JSON line to ``DOKU_ALLO_TEST_SIGNAL_LOG`` with the process id, so the
test sees which process ran it.
"""

from __future__ import annotations

import json
import os
from typing import Any

from django.apps import AppConfig


def _log(name: str, **fields: Any) -> None:
    path = os.environ.get("DOKU_ALLO_TEST_SIGNAL_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as log:
            log.write(json.dumps({"signal": name, "pid": os.getpid(), **fields}) + "\n")


def on_payment_succeeded(sender: Any, payment: Any, **kwargs: Any) -> None:
    _log("payment_succeeded", payment=payment.pk, status=payment.status)


def on_notification_received(sender: Any, notification: Any, **kwargs: Any) -> None:
    _log("notification_received", notification=notification.pk)


class WorkerReceiversConfig(AppConfig):
    name = "tests.worker_receivers"
    label = "worker_receivers"

    def ready(self) -> None:
        from django_doku_allo import signals

        signals.payment_succeeded.connect(on_payment_succeeded, dispatch_uid="tests-worker")
        signals.notification_received.connect(on_notification_received,
                                              dispatch_uid="tests-worker")
