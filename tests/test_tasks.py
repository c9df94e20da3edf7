"""Background tasks (django_doku_allo.tasks): status checks with backoff, signals via tasks.

The first tests run the tasks in this process; the last ones start a real
``db_worker`` (django-tasks-db) and the simulator (gunicorn) as subprocesses on a
database all processes see: the test database itself on PostgreSQL, a file copy of
the in-memory test database on SQLite.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TypeVar

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.db.utils import load_backend
from django.test import Client
from django.utils import timezone

pytest.importorskip("django_tasks_db", reason="needs django-tasks-db (pip install .[tasks])")

from django_tasks_db.models import DBTaskResult

from django_doku_allo import services, signals, tasks
from django_doku_allo.models import Payment, PaymentStatus
from django_doku_allo.simulator import customer as sim_customer
from django_doku_allo.testing import doku_simulator, post_notification
from tests.flows import bind, pay
from tests.support.keys import DOKU_PRIVATE_KEY_PEM, MERCHANT_PRIVATE_KEY_PEM

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")


def queued(task_name: str) -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path=f"django_doku_allo.tasks.{task_name}")
                .order_by("enqueued_at"))


def args_of(result: DBTaskResult) -> list[Any]:
    return list(result.args_kwargs["args"])


def signal_tasks(name: str) -> list[DBTaskResult]:
    return [r for r in queued("send_signal") if args_of(r)[0] == name]


@pytest.fixture
def with_tasks(settings: Any) -> Callable[..., None]:
    def turn_on(**extra: Any) -> None:
        settings.DOKU_ALLO = {**settings.DOKU_ALLO, "STATUS_CHECK_TASKS": True, **extra}

    return turn_on


# ------------------------------------------------------------------ in process
def test_backoff_schedule_after_the_first_check_repeats_its_last_step() -> None:
    assert [tasks._backoff(n) for n in range(1, 7)] == [120, 300, 900, 3600, 3600, 3600]


def test_nothing_is_enqueued_by_default(live_simulator: Any, user: Any, signals_sent: Any) -> None:
    payment = pay(bind(live_simulator, user))
    post_notification(Client(), payment, "00")

    assert DBTaskResult.objects.count() == 0
    assert len(signals_sent(signals.payment_succeeded)) == 1


def test_pending_payment_enqueues_its_first_check_after_the_status_check_delay(
    live_simulator: Any, user: Any, with_tasks: Any,
) -> None:
    binding = bind(live_simulator, user)
    with_tasks()

    before = timezone.now()
    payment = pay(binding)

    assert payment.status == PaymentStatus.PENDING
    [check] = queued("check_payment")
    assert args_of(check) == [payment.pk, 1]
    assert before + timedelta(seconds=60) <= check.run_after <= timezone.now() + timedelta(
        seconds=60)


def test_check_task_reschedules_itself_while_pending_and_stops_when_settled(
    live_simulator: Any, user: Any, with_tasks: Any, signals_sent: Any,
) -> None:
    binding = bind(live_simulator, user)
    with_tasks()
    payment = pay(binding)

    assert tasks.check_payment.call(payment.pk, 1) == PaymentStatus.PENDING
    again = queued("check_payment")[-1]
    assert args_of(again) == [payment.pk, 2]
    assert again.run_after >= timezone.now() + timedelta(seconds=110)  # +2 min

    sim_customer.confirm_payment(payment.reference_no)
    assert tasks.check_payment.call(payment.pk, 2) == PaymentStatus.SUCCEEDED
    assert len(queued("check_payment")) == 2  # no third check
    assert len(signals_sent(signals.payment_succeeded)) == 1
    # a settled payment is not checked with DOKU again
    assert tasks.check_payment.call(payment.pk, 3) == PaymentStatus.SUCCEEDED
    assert len(queued("check_payment")) == 2


def test_check_task_gives_up_after_the_last_attempt(live_simulator: Any, user: Any,
                                                   with_tasks: Any) -> None:
    binding = bind(live_simulator, user)
    with_tasks(STATUS_CHECK_MAX_ATTEMPTS=3)
    payment = pay(binding)

    assert tasks.check_payment.call(payment.pk, 3) == PaymentStatus.PENDING
    assert [args_of(r) for r in queued("check_payment")] == [[payment.pk, 1]]


def test_unknown_refund_enqueues_a_check(live_simulator: Any, user: Any, with_tasks: Any) -> None:
    from django_doku_allo.simulator import faults

    binding = bind(live_simulator, user)
    payment = pay(binding)
    sim_customer.confirm_payment(payment.reference_no)
    services.sync_payment(payment)
    with_tasks()
    faults.force_error("refund", "5000700")

    record = services.refund(payment, reason="size")

    assert record.status == "unknown"
    assert [args_of(r) for r in queued("check_refund")] == [[record.pk, 1]]
    assert tasks.check_refund.call(record.pk, 1) in ("unknown", "failed", "succeeded")


def test_signals_via_tasks_enqueue_rows_by_label_and_pk(
    make_payment: Any, settings: Any, signals_sent: Any,
) -> None:
    settings.DOKU_ALLO = {**settings.DOKU_ALLO, "SIGNALS_VIA_TASKS": True}
    payment = make_payment()

    assert post_notification(Client(), payment, "00").status_code == 200

    assert signals_sent(signals.payment_succeeded) == []
    assert len(signal_tasks("notification_received")) == 1
    [sent] = signal_tasks("payment_succeeded")
    assert args_of(sent) == ["payment_succeeded", "doku_allo.Payment",
                             {"payment": {"model": "doku_allo.Payment", "pk": payment.pk}}]
    assert tasks.send_signal.call(*args_of(sent))["sent"] is True
    [received] = signals_sent(signals.payment_succeeded)
    assert received["payment"].pk == payment.pk
    assert received["payment"].status == PaymentStatus.SUCCEEDED


def test_signal_with_a_reason_and_no_refund_row(make_payment: Any, settings: Any,
                                                signals_sent: Any) -> None:
    settings.DOKU_ALLO = {**settings.DOKU_ALLO, "SIGNALS_VIA_TASKS": True}
    payment = make_payment(status=PaymentStatus.SUCCEEDED)
    services.payments.apply_status(Payment.objects.get(pk=payment.pk), PaymentStatus.REFUNDED,
                                   source="test")
    [sent] = signal_tasks("payment_refunded")
    assert args_of(sent)[2]["refund"] == {"value": None}

    tasks.send_signal.call(*args_of(sent))

    [received] = signals_sent(signals.payment_refunded)
    assert received["refund"] is None


def test_enqueue_failure_sends_the_signal_inline(make_payment: Any, settings: Any,
                                                 signals_sent: Any,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    settings.DOKU_ALLO = {**settings.DOKU_ALLO, "SIGNALS_VIA_TASKS": True,
                          "TASK_BACKEND": "no-such-backend"}
    payment = make_payment()

    post_notification(Client(), payment, "00")

    assert len(signals_sent(signals.payment_succeeded)) == 1


def check_ids(settings: Any, **doku_allo: Any) -> list[str]:
    from django_doku_allo.checks import check_settings
    from tests import settings as defaults

    settings.DOKU_ALLO = {**defaults.DOKU_ALLO, **doku_allo}
    return [m.id for m in check_settings()]


def test_checks_refuse_a_backend_that_cannot_defer(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"},
                      "now": {"BACKEND": tasks.tasks_api().__name__
                              + ".backends.immediate.ImmediateBackend"}}

    assert "doku_allo.E016" not in check_ids(settings, STATUS_CHECK_TASKS=True)
    assert "doku_allo.E016" in check_ids(settings, STATUS_CHECK_TASKS=True, TASK_BACKEND="now")
    assert "doku_allo.E016" not in check_ids(settings, SIGNALS_VIA_TASKS=True,
                                             TASK_BACKEND="now")
    assert "doku_allo.E016" in check_ids(settings, SIGNALS_VIA_TASKS=True, TASK_BACKEND="nope")


def test_checks_refuse_a_bad_backoff_and_pool(settings: Any) -> None:
    assert "doku_allo.E017" in check_ids(settings, STATUS_CHECK_BACKOFF=[])
    assert "doku_allo.E017" in check_ids(settings, STATUS_CHECK_MAX_ATTEMPTS=0)
    assert "doku_allo.E018" in check_ids(settings, HTTP_POOL_SIZE=0)
    assert not {"doku_allo.E016", "doku_allo.E017", "doku_allo.E018"} & set(check_ids(settings))


# -------------------------------------------------------- with a real db_worker
@pytest.fixture
def shared_database(transactional_db: None, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """Database settings other processes can use to see what this test sees.

    PostgreSQL: the test database. SQLite: a migrated file database that this process
    then uses too, until the test ends.
    """
    settings_dict = connection.settings_dict
    if connection.vendor == "postgresql":
        yield {key: settings_dict[key] for key in
               ("ENGINE", "NAME", "USER", "PASSWORD", "HOST", "PORT")}
        return
    if connection.vendor != "sqlite":
        pytest.skip("the worker test knows how to share SQLite and PostgreSQL databases")
    if not os.environ.get("DOKU_ALLO_TEST_SQLITE_WORKER"):
        # It passes alone, but in the whole suite one run in three saw the simulator
        # process wait 30 s on SQLite's single write lock (a ReadTimeout); PostgreSQL
        # runs it in CI. DOKU_ALLO_TEST_SQLITE_WORKER=1 runs it on SQLite anyway.
        pytest.skip("a worker process on SQLite contends for its one write lock; runs on "
                    "PostgreSQL (DATABASE_URL), or set DOKU_ALLO_TEST_SQLITE_WORKER=1")
    path = tmp_path / "shared.sqlite3"
    options = {"timeout": 30, "transaction_mode": "IMMEDIATE"}  # no deferred-lock upgrades
    # This thread gets its own wrapper on a new, migrated file database. The in-memory
    # wrapper stays as it is: the live server's threads share it (and close it after
    # each request), and copying it (sqlite3's backup) waits forever on a transaction
    # another thread left open.
    memory = connections["default"]
    shared = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(
        {**settings_dict, "NAME": str(path), "OPTIONS": {**settings_dict["OPTIONS"], **options}},
        "default")
    connections["default"] = shared
    try:
        with shared.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode=WAL")
        call_command("migrate", verbosity=0, interactive=False)
        yield {"ENGINE": settings_dict["ENGINE"], "NAME": str(path), "OPTIONS": options}
    finally:
        shared.close()
        connections["default"] = memory


@dataclass
class Processes:
    url: str
    worker: subprocess.Popen[bytes]
    log_dir: Path
    signal_log: Path

    def signals(self) -> list[dict[str, Any]]:
        if not self.signal_log.exists():
            return []
        return [json.loads(line) for line in self.signal_log.read_text().splitlines()]

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()[-4000:]}"
                         for p in sorted(self.log_dir.glob("*.log")))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def processes(shared_database: dict[str, Any], tmp_path: Path) -> Iterator[Processes]:
    """The simulator under gunicorn and a django-tasks-db worker, on the shared database."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "tests.settings_tasks",
           "DOKU_ALLO_TEST_DATABASE": json.dumps(shared_database),
           "DOKU_ALLO_TEST_BASE_URL": f"{url}/doku-simulator",
           "DOKU_ALLO_TEST_SIGNAL_LOG": str(tmp_path / "signals.jsonl"),
           "DOKU_ALLO_TEST_MERCHANT_KEY": MERCHANT_PRIVATE_KEY_PEM,
           "DOKU_ALLO_TEST_DOKU_KEY": DOKU_PRIVATE_KEY_PEM}
    env.pop("DATABASE_URL", None)
    simulator = _start(["-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1",
                        "--threads", "4", "django.core.wsgi:get_wsgi_application()"],
                       env, tmp_path / "simulator.log")
    worker = _start(["-m", "django", "db_worker", "--interval", "0.1", "--no-startup-delay",
                     "--no-reload", "-v", "2"], env, tmp_path / "worker.log")
    running = Processes(url, worker, tmp_path, tmp_path / "signals.jsonl")
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if simulator.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the simulator did not start:\n{running.logs()}")
                time.sleep(0.1)
        yield running
    finally:
        _stop(worker)
        _stop(simulator)


def wait_for(condition: Callable[[], T], what: str, running: Processes,
             timeout: float = 45) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if running.worker.poll() is not None:
            break
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}\n{running.logs()}")


@pytest.mark.slow
def test_worker_checks_a_pending_payment_until_it_settles_and_sends_the_signal(
    processes: Processes, user: Any, settings: Any, signals_sent: Any,
) -> None:
    settings.DOKU_ALLO = {**settings.DOKU_ALLO, "STATUS_CHECK_TASKS": True,
                          "SIGNALS_VIA_TASKS": True, "STATUS_CHECK_DELAY": 1}
    with doku_simulator(processes.url):
        binding = bind(SimpleNamespace(url=processes.url), user)
        payment = pay(binding)
        assert payment.status == PaymentStatus.PENDING

        # the worker checks after 1 s, finds it pending, and checks again 1 s later
        wait_for(lambda: DBTaskResult.objects.filter(
            task_path="django_doku_allo.tasks.check_payment", status="SUCCESSFUL",
            return_value=PaymentStatus.PENDING).exists(), "a check that found it pending",
            processes)
        sim_customer.confirm_payment(payment.reference_no)  # its notification is never sent

        wait_for(lambda: Payment.objects.get(pk=payment.pk).status == PaymentStatus.SUCCEEDED,
                 "the worker to settle the payment", processes)
        [line] = wait_for(lambda: [s for s in processes.signals()
                                   if s["signal"] == "payment_succeeded"],
                          "payment_succeeded in the worker", processes)

    assert line == {"signal": "payment_succeeded", "pid": processes.worker.pid,
                    "payment": payment.pk, "status": "succeeded"}
    assert signals_sent(signals.payment_succeeded) == []  # not in this process
    checks = queued("check_payment")
    assert [args_of(c)[1] for c in checks] == list(range(1, len(checks) + 1))
    assert {c.status for c in checks} == {"SUCCESSFUL"}
    assert checks[-1].return_value == PaymentStatus.SUCCEEDED


@pytest.mark.slow
def test_notification_is_answered_and_its_receivers_run_in_the_worker(
    processes: Processes, make_payment: Any, settings: Any, signals_sent: Any,
) -> None:
    settings.DOKU_ALLO = {**settings.DOKU_ALLO, "SIGNALS_VIA_TASKS": True}
    payment = make_payment()

    assert post_notification(Client(), payment, "00").status_code == 200
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.SUCCEEDED

    lines = wait_for(lambda: len(processes.signals()) >= 2 and processes.signals(),
                     "both receivers in the worker", processes)
    assert {line["signal"] for line in lines} == {"payment_succeeded", "notification_received"}
    assert {line["pid"] for line in lines} == {processes.worker.pid}
    assert signals_sent(signals.payment_succeeded) == []
    assert signals_sent(signals.notification_received) == []
