"""Crash harness: payments and refunds while gunicorn workers (or the whole server) die.

    python benchmarks/crash_harness.py --payments 50 [--seed 1] [--kill-rate 0.5]

Serves the example shop with the simulator mounted (``benchmarks.crash_settings``) with
gunicorn, 3 sync workers, on its own PostgreSQL database (``crash_harness``, dropped and
re-created). This process plays the customer (OTP/PIN on the simulator), DOKU's delivery
worker (``deliver_due_notifications``) and the merchant's front end (the REST API over
HTTP, basic auth). Around each payment, refund and notification round it arms a
simulator fault (latency before the work, or an answer dropped after the work) so that
a SIGKILL at a random moment lands mid-request: before DOKU did anything, after DOKU
committed but before we recorded it, or while we record it. A killed worker is respawned
by gunicorn; a killed server (master and workers) is restarted here.

Then it reconciles (``manage.py doku_allo_sync``, repeatedly, past the
PAYMENT_CONFIRMATION_WINDOW) and compares our records with the simulator's ledger:

- mismatches: a payment we hold as succeeded/refunded that DOKU did not debit (or
  refunded differently), a payment DOKU debited that we hold as failed/expired, a
  refund whose state disagrees with DOKU's refunds, a debit DOKU made for a
  partnerReferenceNo we never recorded;
- double debits: more than one debit or refund at DOKU for one of our payments;
- stuck: any payment left initiated/pending/unknown, any refund requested/unknown;
- balances: each account's balance equals its opening balance minus what it paid net.

Prints a table and writes it to ``docs/crash-harness.md`` (``--no-write`` skips that).
Exits 1 when any check fails.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from base64 import b64encode
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

SETTINGS = "benchmarks.crash_settings"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/crash_harness"
VAR_DIR = REPO / "benchmarks" / "var"
DOC = REPO / "docs" / "crash-harness.md"
USERNAME, PASSWORD = "crash", "crash-pass-123"
AMOUNT = Decimal("10000.00")
PHONES = [f"62812000{n:05d}" for n in range(1, 6)]
WORKERS = 3
FAULT_SECONDS = 0.5
BEGIN, END = "<!-- crash-harness figures: begin -->", "<!-- crash-harness figures: end -->"


# --------------------------------------------------------------------------- database, Django
def database_url() -> str:
    return os.environ.setdefault("CRASH_DATABASE_URL", DEFAULT_DATABASE_URL)


def recreate_database() -> None:
    import psycopg
    from psycopg import sql

    url = urlsplit(database_url())
    name = url.path.lstrip("/")
    if name in ("test", "postgres", ""):
        raise SystemExit(f"refusing to drop database {name!r}")
    with psycopg.connect(url._replace(path="/postgres").geturl(), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def setup_django(base_url: str, window: float) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
    os.environ["CRASH_BASE_URL"] = base_url
    os.environ["CRASH_CONFIRMATION_WINDOW"] = str(window)
    database_url()
    recreate_database()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# --------------------------------------------------------------------------- the server
class Gunicorn:
    """gunicorn serving the example shop; killable by worker or as a whole, restartable."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = VAR_DIR / "gunicorn-crash.log"
        self.lock = threading.Lock()

    def start(self) -> None:
        VAR_DIR.mkdir(exist_ok=True)
        args = [str(Path(sys.executable).parent / "gunicorn"), "example_project.wsgi:application",
                "--bind", f"127.0.0.1:{self.port}", "--workers", str(WORKERS),
                "--timeout", "30", "--graceful-timeout", "1", "--log-level", "warning",
                "--error-logfile", str(self.log)]
        self.proc = subprocess.Popen(args, cwd=REPO, env={**os.environ},
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        self.wait_ready()

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}:\n"
                                   + self.log.read_text(errors="replace")[-3000:])
            if len(self.worker_pids()) >= WORKERS:
                try:
                    with urllib.request.urlopen(
                            f"{self.url}/doku-simulator/_control/faults", timeout=2) as answer:
                        if answer.status == 200:
                            return
                except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                    pass
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer within {timeout} s")

    def worker_pids(self) -> list[int]:
        if self.proc is None:
            return []
        pids: list[int] = []
        for task in Path(f"/proc/{self.proc.pid}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                pids.extend(int(p) for p in task.read_text().split())
        return pids

    def kill_worker(self, rng: random.Random) -> int | None:
        with self.lock:
            pids = self.worker_pids()
            if not pids:
                return None
            pid = rng.choice(pids)
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                return None
            return pid

    def kill_server(self) -> None:
        with self.lock:
            if self.proc is None:
                return
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            self.proc = None

    def ensure_up(self) -> bool:
        """Restart the server if it was killed; True when it had to."""
        with self.lock:
            down = self.proc is None or self.proc.poll() is not None
        if down:
            self.proc = None
            self.start()
        else:
            self.wait_ready()
        return down

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None


# --------------------------------------------------------------------------- the run
@dataclass
class Figures:
    payments: int = 0
    refunds: int = 0
    notification_rounds: int = 0
    kills: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    api_outcomes: Counter[str] = field(default_factory=Counter)
    customer: Counter[str] = field(default_factory=Counter)
    sync_runs: int = 0
    story: list[str] = field(default_factory=list)


class Harness:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.rng = random.Random(args.seed)
        self.server = Gunicorn(free_port())
        self.figures = Figures()
        self.auth = "Basic " + b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
        self.bindings: list[Any] = []
        #: order_id -> what happened around it (kills, faults), for the story of a mismatch
        self.events: dict[str, list[str]] = {}

    # ------------------------------------------------------------------ helpers
    def api(self, method: str, path: str, data: dict[str, Any] | None = None,
            timeout: float = 20) -> tuple[int | str, Any]:
        body = None if data is None else json.dumps(data).encode()
        request = urllib.request.Request(
            self.server.url + path, data=body, method=method,
            headers={"Content-Type": "application/json", "Authorization": self.auth,
                     "X-Device-ID": "crashharness"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                return answer.status, json.loads(answer.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, error.read()[:300]
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as error:
            return f"connection: {type(getattr(error, 'reason', error)).__name__}", None

    def arm_fault(self, operation: str, key: str) -> None:
        from django_doku_allo.simulator import faults

        choice = self.rng.random()
        if choice < 0.4:
            faults.add_latency(operation, FAULT_SECONDS, times=1)
            kind = f"latency {operation}"
        elif choice < 0.65:
            faults.drop_response(operation, times=1, delay=FAULT_SECONDS)
            kind = f"drop-after-work {operation}"
        else:
            kind = "none"
        self.figures.faults[kind] += 1
        self.events.setdefault(key, []).append(f"fault: {kind}")

    def maybe_kill(self, key: str, what: str) -> threading.Thread | None:
        if self.rng.random() >= self.args.kill_rate:
            return None
        delay = self.rng.uniform(0.02, FAULT_SECONDS + 0.3)
        whole = self.rng.random() < self.args.server_kill_share

        def kill() -> None:
            time.sleep(delay)
            if whole:
                self.server.kill_server()
                self.figures.kills["server"] += 1
                self.events.setdefault(key, []).append(
                    f"SIGKILL server {delay * 1000:.0f} ms into {what}")
            else:
                pid = self.server.kill_worker(self.rng)
                self.figures.kills["worker"] += 1
                self.events.setdefault(key, []).append(
                    f"SIGKILL worker {pid} {delay * 1000:.0f} ms into {what}")

        thread = threading.Thread(target=kill, daemon=True)
        thread.start()
        return thread

    def after(self, killer: threading.Thread | None) -> None:
        from django_doku_allo.simulator import faults

        if killer is not None:
            killer.join()
        if self.server.ensure_up():
            self.figures.kills["restarts"] += 1
        faults.reset()  # a fault the killed request never reached must not hit the next one

    # ------------------------------------------------------------------ phases
    def make_user_and_bindings(self) -> None:
        from django.contrib.auth import get_user_model

        from django_doku_allo import services
        from django_doku_allo.models import Binding
        from django_doku_allo.simulator import customer as sim_customer
        from django_doku_allo.snap.messages import CustomerContext

        user = get_user_model().objects.create_superuser(USERNAME, "crash@example.com",
                                                         PASSWORD)
        context = CustomerContext(ip_address="10.20.30.40", device_id="crashharness")
        for phone in PHONES:
            start = services.begin_binding(
                user=user, phone_number=phone, customer=context,
                return_url=f"{self.server.url}/doku-allo/binding/return/")
            page = sim_customer.complete_binding(start.binding.auth_code)
            state = parse_qs(urlsplit(page.redirect_url or "").query)["state"][0]
            services.handle_binding_return(state, succeeded=True)
            self.bindings.append(Binding.objects.get(pk=start.binding.pk))

    def one_payment(self, number: int) -> None:
        from django_doku_allo.models import Payment
        from django_doku_allo.simulator import customer as sim_customer
        from django_doku_allo.simulator.models import Payment as BankPayment

        order_id = f"crash-{number:04d}"
        binding = self.rng.choice(self.bindings)
        self.arm_fault("payment", order_id)
        killer = self.maybe_kill(order_id, "the payment request")
        status, _ = self.api("POST", "/api/payments/", {
            "binding": binding.pk, "amount": str(AMOUNT), "description": f"Order {number}",
            "order_id": order_id})
        self.figures.payments += 1
        self.figures.api_outcomes[f"payment {status}"] += 1
        self.events.setdefault(order_id, []).append(f"API answered {status}")
        self.after(killer)

        ours = Payment.objects.filter(order_id=order_id).first()
        bank = (BankPayment.objects.filter(partner_reference_no=ours.partner_reference_no).first()
                if ours is not None else None)
        if bank is not None and bank.status == BankPayment.Status.INITIATED:
            roll = self.rng.random()
            if roll < 0.85:
                sim_customer.confirm_payment(bank.reference_no)
                self.figures.customer["confirmed"] += 1
            elif roll < 0.93:
                sim_customer.cancel_payment(bank.reference_no)
                self.figures.customer["cancelled"] += 1
            else:
                self.figures.customer["abandoned"] += 1
        self.deliver(order_id)

    def deliver(self, key: str) -> None:
        from django_doku_allo.simulator.notifications import deliver_due_notifications

        killer = self.maybe_kill(key, "notification delivery") \
            if self.rng.random() < 0.3 else None
        deliver_due_notifications()
        self.figures.notification_rounds += 1
        self.after(killer)

    def one_refund(self) -> None:
        from django_doku_allo.models import Payment, PaymentStatus

        candidates = list(Payment.objects.filter(status=PaymentStatus.SUCCEEDED,
                                                 refunds__isnull=True).order_by("pk"))
        if not candidates:
            return
        payment = self.rng.choice(candidates)
        key = payment.order_id
        self.arm_fault("refund", key)
        killer = self.maybe_kill(key, "the refund request")
        status, _ = self.api("POST", f"/api/payments/{payment.pk}/refund/",
                             {"reason": "crash harness"})
        self.figures.refunds += 1
        self.figures.api_outcomes[f"refund {status}"] += 1
        self.events.setdefault(key, []).append(f"refund API answered {status}")
        self.after(killer)

    def reconcile(self) -> None:
        from django_doku_allo.models import (
            UNSETTLED_PAYMENT_STATUSES,
            Payment,
            Refund,
            RefundStatus,
        )
        from django_doku_allo.simulator.notifications import deliver_due_notifications

        newest = Payment.objects.order_by("-created_at").values_list("created_at", flat=True)
        last = newest.first()
        for _ in range(self.args.sync_rounds):
            deliver_due_notifications()
            subprocess.run([sys.executable, "manage.py", "doku_allo_sync", "--older-than", "0",
                            "--settings", SETTINGS], cwd=REPO, env={**os.environ}, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
            self.figures.sync_runs += 1
            open_payments = Payment.objects.filter(status__in=UNSETTLED_PAYMENT_STATUSES).count()
            open_refunds = Refund.objects.filter(
                status__in=(RefundStatus.REQUESTED, RefundStatus.UNKNOWN)).count()
            window_passed = last is None or (
                dt.datetime.now(dt.timezone.utc) - last).total_seconds() > self.args.window
            if not open_payments and not open_refunds and window_passed:
                return
            time.sleep(1.0)

    # ------------------------------------------------------------------ checks
    def check(self) -> dict[str, Any]:
        from django_doku_allo.models import (
            UNSETTLED_PAYMENT_STATUSES,
            Payment,
            PaymentStatus,
            Refund,
            RefundStatus,
        )
        from django_doku_allo.simulator.models import Account as BankAccount
        from django_doku_allo.simulator.models import Payment as BankPayment
        from django_doku_allo.simulator.models import Refund as BankRefund

        mismatches: list[str] = []
        doubles: list[str] = []
        ours = list(Payment.objects.order_by("pk"))
        known = {p.partner_reference_no for p in ours}
        for payment in ours:
            reference = payment.partner_reference_no
            bank = list(BankPayment.objects.filter(partner_reference_no=reference))
            debited = [b for b in bank if b.paid_time is not None]
            bank_refunds = list(BankRefund.objects.filter(
                payment__partner_reference_no=payment.partner_reference_no))
            if len(debited) > 1 or len(bank_refunds) > 1:
                doubles.append(self.story(payment, f"{len(debited)} debits, "
                                                   f"{len(bank_refunds)} refunds at DOKU"))
            if bank_refunds:
                expected = {PaymentStatus.REFUNDED}
            elif debited:
                expected = {PaymentStatus.SUCCEEDED}
            else:
                expected = {PaymentStatus.FAILED, PaymentStatus.EXPIRED}
            if payment.status not in expected and payment.status not in UNSETTLED_PAYMENT_STATUSES:
                bank_word = bank[0].status if bank else "no payment"
                mismatches.append(self.story(
                    payment, f"ours {payment.status}, DOKU {bank_word}"
                             f"{' (debited)' if debited else ''}"
                             f"{' (refunded)' if bank_refunds else ''}"))
            for refund in payment.refunds.all():
                at_bank = BankRefund.objects.filter(partner_refund_no=refund.partner_refund_no)
                if refund.status == RefundStatus.SUCCEEDED and not at_bank.exists():
                    mismatches.append(self.story(payment, f"refund {refund.partner_refund_no} "
                                                          "succeeded here, none at DOKU"))
                if refund.status == RefundStatus.FAILED and at_bank.exists():
                    mismatches.append(self.story(payment, f"refund {refund.partner_refund_no} "
                                                          "failed here, made at DOKU"))
        orphans = BankPayment.objects.filter(paid_time__isnull=False).exclude(
            partner_reference_no__in=known)
        for orphan in orphans:
            mismatches.append(f"DOKU debited {orphan.partner_reference_no}, which we never "
                              "recorded")
        stuck = [self.story(p, f"left {p.status}") for p in ours
                 if p.status in UNSETTLED_PAYMENT_STATUSES]
        stuck += [f"refund {r.partner_refund_no} of {r.payment.order_id} left {r.status}"
                  for r in Refund.objects.filter(
                      status__in=(RefundStatus.REQUESTED, RefundStatus.UNKNOWN))]
        balance_errors = []
        for account in BankAccount.objects.filter(phone_no__in=PHONES):
            paid = sum((b.amount for b in BankPayment.objects.filter(
                account=account, paid_time__isnull=False)), Decimal("0"))
            back = sum((r.amount for r in BankRefund.objects.filter(payment__account=account)),
                       Decimal("0"))
            if account.balance != Decimal("1000000.00") - paid + back:
                balance_errors.append(f"{account.phone_no}: {account.balance} != "
                                      f"1000000.00 - {paid} + {back}")
        return {
            "ours": Counter(p.status for p in ours),
            "our_refunds": Counter(r.status for r in Refund.objects.all()),
            "bank_payments": Counter(b.status for b in BankPayment.objects.all()),
            "bank_debits": BankPayment.objects.filter(paid_time__isnull=False).count(),
            "bank_refunds": BankRefund.objects.count(),
            "attention": Payment.objects.exclude(attention="").count(),
            "mismatches": mismatches, "doubles": doubles, "stuck": stuck,
            "balance_errors": balance_errors,
        }

    def story(self, payment: Any, what: str) -> str:
        events = "; ".join(self.events.get(payment.order_id, [])) or "no kill, no fault"
        return (f"{payment.order_id} ({payment.partner_reference_no}): {what}; "
                f"history: {events}; failure_reason={payment.failure_reason!r}")

    # ------------------------------------------------------------------ main
    def run(self) -> int:
        started = time.monotonic()
        setup_django(f"{self.server.url}/doku-simulator", self.args.window)
        from benchmarks.machine import machine, machine_line

        self.server.start()
        try:
            self.make_user_and_bindings()
            for number in range(1, self.args.payments + 1):
                self.one_payment(number)
                if self.rng.random() < self.args.refund_rate:
                    self.one_refund()
            self.server.ensure_up()
            self.reconcile()
            result = self.check()
        finally:
            self.server.stop()
        elapsed = time.monotonic() - started
        info = machine()
        ok = not (result["mismatches"] or result["doubles"] or result["stuck"]
                  or result["balance_errors"])
        report = self.render(result, elapsed, machine_line(info), ok)
        print(report)
        if not self.args.no_write:
            write_doc(report)
        return 0 if ok else 1

    def render(self, result: dict[str, Any], elapsed: float, machine: str, ok: bool) -> str:
        f = self.figures
        fmt = ", ".join

        def counts(counter: Counter[Any]) -> str:
            return fmt(f"{k} {v}" for k, v in sorted(counter.items())) or "-"

        rows = [
            ("command", f"`python benchmarks/crash_harness.py --payments {self.args.payments} "
                        f"--seed {self.args.seed} --kill-rate {self.args.kill_rate}`"),
            ("payments attempted / refunds attempted", f"{f.payments} / {f.refunds}"),
            ("SIGKILLs (worker / whole server) / restarts",
             f"{f.kills['worker']} / {f.kills['server']} / {f.kills['restarts']}"),
            ("faults armed", counts(f.faults)),
            ("API answers", counts(f.api_outcomes)),
            ("customer at DOKU", counts(f.customer)),
            ("reconciliation runs (doku_allo_sync)", str(f.sync_runs)),
            ("our payments, final", counts(result["ours"])),
            ("our refunds, final", counts(result["our_refunds"])),
            ("DOKU payments (latestTransactionStatus)", counts(result["bank_payments"])),
            ("DOKU debits / refunds", f"{result['bank_debits']} / {result['bank_refunds']}"),
            ("payments flagged for attention", str(result["attention"])),
            ("**mismatches** (ours vs DOKU's ledger)", str(len(result["mismatches"]))),
            ("**double debits or refunds**", str(len(result["doubles"]))),
            ("**stuck** (unsettled after reconciliation)", str(len(result["stuck"]))),
            ("**balance errors**", str(len(result["balance_errors"]))),
            ("verdict", "PASS" if ok else "FAIL"),
            ("wall time", f"{elapsed:.0f} s"),
            ("machine", machine),
        ]
        lines = ["| figure | value |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows)]
        for title, key in (("Mismatches", "mismatches"), ("Double debits", "doubles"),
                           ("Stuck", "stuck"), ("Balance errors", "balance_errors")):
            if result[key]:
                lines += ["", f"{title}:", *(f"- {line}" for line in result[key])]
        return "\n".join(lines)


def write_doc(report: str) -> None:
    text = DOC.read_text() if DOC.exists() else f"# Crash harness\n\n{BEGIN}\n{END}\n"
    if BEGIN not in text:
        text += f"\n{BEGIN}\n{END}\n"
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    DOC.write_text(f"{head}{BEGIN}\n{report}\n{END}{tail}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--payments", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--kill-rate", type=float, default=0.5,
                        help="chance that a payment, refund or delivery round gets a SIGKILL")
    parser.add_argument("--server-kill-share", type=float, default=0.25,
                        help="share of kills that take the whole server (master and workers)")
    parser.add_argument("--refund-rate", type=float, default=0.5,
                        help="chance of a refund attempt after each payment")
    parser.add_argument("--window", type=float, default=8.0,
                        help="PAYMENT_CONFIRMATION_WINDOW, seconds")
    parser.add_argument("--sync-rounds", type=int, default=30)
    parser.add_argument("--no-write", action="store_true", help="do not update the doc")
    return Harness(parser.parse_args(argv)).run()


if __name__ == "__main__":
    sys.exit(main())
