"""Benchmark 4: doku_allo_sync --workers 1, 4, 16 over pending payments, DOKU answering in 200 ms.

Data (bulk_create on PostgreSQL): ``--payments`` pending payments older than a minute
(default 10,000), each known to the simulator (the mix of bench_scale: paid, paid, still
waiting, failed). The simulator runs in gunicorn (1 worker, gthread, enough threads
for 16 concurrent calls) and answers every status inquiry after ``--latency`` seconds
(default 0.2: a slow bank), injected through its control API.

Each ``--workers`` value runs ``doku_allo_sync --limit N --workers W`` once over the same
pending payments (reset to pending before each run); reported: total time, ms per
payment, the speed-up over one worker, HTTP requests, SQL queries per payment and errors.

Run: ``.venv/bin/python benchmarks/bench_sync.py [--payments 10000] [--workers 1 4 16]``
(``--payments 200`` for a quick run).
"""

from __future__ import annotations

import argparse
import io
import json
import secrets
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import common

NAME = "sync"


def create_payments(count: int) -> None:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from benchmarks.bench_scale import create_simulator_payments
    from django_doku_allo.models import Binding, BindingStatus, Payment, PaymentStatus
    from django_doku_allo.snap.signing import new_external_id

    user = get_user_model().objects.create_user(username="bench-sync", password="x" * 12)
    binding = Binding.objects.create(
        user=user, phone_number="6281200000003", cust_id_merchant=str(user.pk),
        status=BindingStatus.ACTIVE, external_id=new_external_id(), auth_code="bench",
        access_token="bench-token", access_token_expires_at=timezone.now() + timedelta(days=1),
        customer_ip="10.0.0.1")
    Payment.objects.bulk_create([
        Payment(binding=binding, user=user, partner_reference_no="ALLO" + secrets.token_hex(14),
                reference_no="DOKU" + secrets.token_hex(8), external_id=new_external_id(),
                amount=Decimal("150000.00"), description="Batik shirt",
                status=PaymentStatus.PENDING, customer_ip="10.0.0.1")
        for _ in range(count)], batch_size=5000)
    Payment.objects.update(created_at=timezone.now() - timedelta(minutes=5))
    create_simulator_payments(count)


def reset_payments() -> None:
    from django_doku_allo.models import Payment, PaymentStatus

    Payment.objects.update(status=PaymentStatus.PENDING, paid_at=None, doku_status="",
                           failure_reason="", last_checked_at=None)


def add_latency(server_url: str, seconds: float) -> None:
    body = json.dumps({"kind": "latency", "operation": "status", "seconds": seconds,
                       "times": None}).encode()
    request = urllib.request.Request(f"{server_url}{common.SIMULATOR_PREFIX}/_control/faults",
                                     data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status in (200, 201), response.status


@contextmanager
def query_counter() -> Iterator[list[int]]:
    """Counts queries on every thread's connection (the command's workers included)."""
    from django.db.backends.utils import CursorWrapper

    count = [0]
    lock = threading.Lock()
    original: Callable[..., Any] = CursorWrapper._execute_with_wrappers

    def counting(self: Any, *args: Any, **kwargs: Any) -> Any:
        with lock:
            count[0] += 1
        return original(self, *args, **kwargs)

    CursorWrapper._execute_with_wrappers = counting  # type: ignore[method-assign]
    try:
        yield count
    finally:
        CursorWrapper._execute_with_wrappers = original  # type: ignore[method-assign]


def run(payments: int, workers: int) -> dict[str, Any]:
    from django.core.management import CommandError, call_command

    from django_doku_allo.models import Payment, PaymentStatus

    reset_payments()
    common.wait_for_quiet()
    out, err = io.StringIO(), io.StringIO()
    with common.RequestCounter() as http, query_counter() as queries:
        started = time.perf_counter()
        with suppress(CommandError):  # a failed check: counted below from stderr
            call_command("doku_allo_sync", "--limit", str(payments), "--workers", str(workers),
                         stdout=out, stderr=err)
        elapsed = time.perf_counter() - started
    summary = [line for line in out.getvalue().splitlines() if line.startswith("doku_allo_sync")]
    return {
        "workers": workers, "payments": payments, "seconds": elapsed,
        "ms_per_payment": elapsed * 1000 / payments, "http_requests": http.count,
        "queries": queries[0], "errors": err.getvalue().count("\n"),
        "error_sample": err.getvalue()[:500], "summary": summary[-1] if summary else "",
        "still_pending": Payment.objects.filter(status=PaymentStatus.PENDING).count(),
    }


def report(runs: list[dict[str, Any]], args: argparse.Namespace) -> dict[str, Any]:
    base = runs[0]["seconds"]
    rows = [[str(r["workers"]), f"{r['payments']:,}", f"{r['seconds']:.1f}",
             common.fmt_ms(r["ms_per_payment"]), f"{base / r['seconds']:.1f}x",
             f"{r['http_requests']:,}", f"{r['queries'] / r['payments']:.2f}",
             r["summary"], str(r["errors"])] for r in runs]
    return {
        "title": f"doku_allo_sync --workers over {args.payments:,} payments, DOKU at "
                 f"{args.latency * 1000:.0f} ms",
        "command": f".venv/bin/python benchmarks/bench_sync.py --payments {args.payments}",
        "machine": common.machine(),
        "tables": [common.table(
            "doku_allo_sync --limit N --workers W against the simulator",
            ["workers", "pending payments", "total s", "ms per payment", "speed-up",
             "HTTP requests", "queries per payment", "command's tally", "errors"], rows)],
        "notes": [
            f"Every status inquiry waits {args.latency * 1000:.0f} ms in the simulator "
            "(gunicorn, 1 worker, 32 threads, same PostgreSQL and CPUs); the other HTTP "
            "request of a run is the B2B token.",
            "Queries per payment include the run's claims (2 for the payments, 1 for the "
            "refunds); each payment then costs 3: lock, save, its refunds.",
            "Each run starts from the same pending payments (reset in between); the "
            "simulator's answers are 00, 00, 01, 06 in rotation, so a quarter stays pending.",
        ],
        "data": {"runs": runs, "latency": args.latency},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=10_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--latency", type=float, default=0.2)
    args = parser.parse_args()
    port = common.free_port()
    common.setup_django(fresh_database=True, base_url=common.simulator_url(port))
    print(f"creating {args.payments:,} pending payments ...", flush=True)
    create_payments(args.payments)
    runs = []
    with common.gunicorn(port, workers=1, threads=32, name=NAME) as server:
        add_latency(server.url, args.latency)
        for workers in args.workers:
            print(f"doku_allo_sync --workers {workers} ...", flush=True)
            runs.append(run(args.payments, workers))
    common.finish(NAME, report(runs, args))


if __name__ == "__main__":
    main()
