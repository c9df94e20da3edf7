"""``manage.py doku_allo_sync``: settles what notifications did not."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from django_doku_allo import services, signals
from django_doku_allo.models import Payment, PaymentStatus
from django_doku_allo.simulator import customer as sim_customer
from tests.flows import bind, pay
from tests.support.threads import run_together

pytestmark = pytest.mark.django_db(transaction=True)


def age(payment: Payment, seconds: int = 120) -> None:
    Payment.objects.filter(pk=payment.pk).update(
        created_at=timezone.now() - timedelta(seconds=seconds))


def run_sync(*args: str) -> str:
    out = StringIO()
    call_command("doku_allo_sync", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def run_sync_failing(*args: str) -> tuple[str, str, CommandError]:
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("doku_allo_sync", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue(), failed.value


def our_queries(captured: CaptureQueriesContext) -> list[str]:
    """The app's own queries (on SQLite the simulator's share the captured connection)."""
    return [q["sql"] for q in captured.captured_queries
            if '"doku_allo_' in q["sql"] and '"doku_allo_simulator_' not in q["sql"]]


def test_sync_settles_a_paid_payment_whose_notification_never_came(live_simulator: Any, user: Any
                                                                   ) -> None:
    binding = bind(live_simulator, user)
    paid = pay(binding)
    sim_customer.confirm_payment(paid.reference_no)  # notification left undelivered
    waiting = pay(binding)
    age(paid)
    age(waiting)

    output = run_sync()

    paid.refresh_from_db()
    waiting.refresh_from_db()
    assert paid.status == PaymentStatus.SUCCEEDED
    assert waiting.status == PaymentStatus.PENDING
    assert "payments_checked=2" in output
    assert "payments_changed=1" in output


def test_sync_leaves_payments_younger_than_the_status_check_delay(live_simulator: Any, user: Any
                                                                  ) -> None:
    binding = bind(live_simulator, user)
    payment = pay(binding)
    sim_customer.confirm_payment(payment.reference_no)

    output = run_sync()

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert "nothing to check" in output


def test_second_run_right_after_skips_rows_just_checked(live_simulator: Any, user: Any) -> None:
    binding = bind(live_simulator, user)
    payment = pay(binding)
    age(payment)

    first = run_sync("--older-than", "60")
    second = run_sync("--older-than", "60")

    assert "payments_checked=1" in first
    assert "nothing to check" in second


def test_unreachable_doku_is_reported_and_changes_nothing(live_simulator: Any, user: Any,
                                                          settings: Any) -> None:
    from django_doku_allo import conf

    binding = bind(live_simulator, user)
    payment = pay(binding)
    age(payment)
    settings.DOKU_ALLO = {**settings.DOKU_ALLO, "BASE_URL": "http://127.0.0.1:9/doku",
                          "CONNECT_RETRIES": 0}
    conf.reset()

    output, errors, failed = run_sync_failing()

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert "payment_errors=1" in output
    assert payment.partner_reference_no in errors
    assert failed.returncode == 1


def test_quiet_at_verbosity_0_even_with_work_done(live_simulator: Any, user: Any) -> None:
    binding = bind(live_simulator, user)
    paid = pay(binding)
    sim_customer.confirm_payment(paid.reference_no)
    age(paid)

    output = run_sync("-v", "0")

    paid.refresh_from_db()
    assert paid.status == PaymentStatus.SUCCEEDED
    assert output == ""


def test_errors_reach_stderr_and_the_exit_status_at_verbosity_0(live_simulator: Any, user: Any,
                                                                 settings: Any) -> None:
    from django_doku_allo import conf

    payment = pay(bind(live_simulator, user))
    age(payment)
    settings.DOKU_ALLO = {**settings.DOKU_ALLO, "BASE_URL": "http://127.0.0.1:9/doku",
                          "CONNECT_RETRIES": 0}
    conf.reset()

    output, errors, failed = run_sync_failing("-v", "0")

    assert output == ""
    assert payment.partner_reference_no in errors
    assert failed.returncode == 1


def test_one_line_per_row_only_at_verbosity_2(live_simulator: Any, user: Any) -> None:
    binding = bind(live_simulator, user)
    first, second = pay(binding), pay(binding)
    age(first)
    age(second)

    summary_only = run_sync("--older-than", "60")
    Payment.objects.update(last_checked_at=None)
    detailed = run_sync("--older-than", "60", "-v", "2")

    assert summary_only.splitlines() == ["doku_allo_sync: payments_checked=2"]
    assert len([line for line in detailed.splitlines() if "pending -> pending" in line]) == 2
    assert detailed.splitlines()[-1] == "doku_allo_sync: payments_checked=2"


def test_no_progress_line_when_stdout_is_not_a_terminal(live_simulator: Any, user: Any) -> None:
    payment = pay(bind(live_simulator, user))
    age(payment)

    assert "\r" not in run_sync()


def test_progress_line_on_a_terminal(live_simulator: Any, user: Any) -> None:
    class Terminal(StringIO):
        def isatty(self) -> bool:
            return True

    payment = pay(bind(live_simulator, user))
    age(payment)
    out = Terminal()

    call_command("doku_allo_sync", stdout=out, stderr=StringIO())

    assert "\rpayments: 1/1" in out.getvalue()
    assert out.getvalue().rstrip().endswith("doku_allo_sync: payments_checked=1")


def test_three_queries_per_payment_where_a_plain_sync_makes_five(live_simulator: Any, user: Any
                                                                 ) -> None:
    binding = bind(live_simulator, user)
    for _ in range(3):
        age(pay(binding))

    with CaptureQueriesContext(connection) as three:
        run_sync("--limit", "3")
    # A fresh payment: checking one again whose answer did not change writes nothing.
    age(pay(binding))
    with CaptureQueriesContext(connection) as one:
        run_sync("--limit", "1")
    payment = pay(binding)
    age(payment)
    with CaptureQueriesContext(connection) as plain:
        services.sync_payment(payment)

    per_payment = (len(our_queries(three)) - len(our_queries(one))) / 2
    assert per_payment == 3, our_queries(three)
    # the batch's claim (select, stamp) and the refunds' claim (select): 3 per run
    assert len(our_queries(one)) == 3 + 3
    # a plain call re-reads and stamps the row first (the command claimed it already)
    assert len(our_queries(plain)) == 5


@pytest.mark.usefixtures("postgres_only")
def test_workers_settle_every_row_exactly_once(live_simulator: Any, user: Any, signals_sent: Any,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    binding = bind(live_simulator, user)
    payments = [pay(binding) for _ in range(24)]
    for payment in payments[::2]:
        sim_customer.confirm_payment(payment.reference_no)
    Payment.objects.update(created_at=timezone.now() - timedelta(seconds=120))
    checked: Counter[int] = Counter()
    threads: set[str] = set()
    guard = threading.Lock()
    sync = services.sync_payment

    def counting(payment: Payment, **kwargs: Any) -> Payment:
        with guard:
            checked[payment.pk] += 1
            threads.add(threading.current_thread().name)
        return sync(payment, **kwargs)

    monkeypatch.setattr(services, "sync_payment", counting)

    # two runs at once, 4 threads each: SKIP LOCKED keeps them off each other's rows
    outputs = run_together([lambda: run_sync("--workers", "4")] * 2, workers=2)

    assert not [o for o in outputs if isinstance(o, BaseException)], outputs
    assert checked == Counter({p.pk: 1 for p in payments})
    assert len(threads) > 1
    statuses = Counter(Payment.objects.values_list("status", flat=True))
    assert statuses == {PaymentStatus.SUCCEEDED: 12, PaymentStatus.PENDING: 12}
    assert len(signals_sent(signals.payment_succeeded)) == 12
    changed = sum(int(part.split("=")[1]) for o in outputs for part in str(o).split(", ")
                  if "payments_changed" in part)
    assert changed == 12


def test_workers_size_the_http_pool(live_simulator: Any, user: Any) -> None:
    from django_doku_allo.conf import get_client

    run_sync("--workers", "16")

    assert get_client().transport.pool_size == 16
