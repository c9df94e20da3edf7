"""Benchmark 3: scale. Admin and API lists at 100,000 payments; doku_allo_sync over 10,000.

Data (bulk_create on PostgreSQL, then ANALYZE): one customer with 100,000 payments over
ten bindings (70,000 succeeded, 12,000 failed, 8,000 refunded with their refunds, 10,000
pending and older than a minute), a typical customer with 100, DOKU's raw answers and
request bodies of realistic size.

Pages are requested in-process through Django's test client (full middleware, session
login): each one once to warm up, ``--repeat`` times timed, once more with
CaptureQueriesContext for its queries and their database time.

``doku_allo_sync --limit 10000`` then settles the 10,000 pending payments against the
simulator served by gunicorn (the simulator knows each payment: bulk-created on its side
with a mix of outcomes).

Run: ``.venv/bin/python benchmarks/bench_scale.py [--payments 100000] [--pending 10000]``
"""

from __future__ import annotations

import argparse
import io
import math
import secrets
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import common

NAME = "scale"
BINDINGS = 10
TYPICAL_PAYMENTS = 100
#: Simulator outcomes of the pending payments, in rotation: paid, paid, still waiting, failed.
SIM_STATUSES = ("00", "00", "01", "06")


# --------------------------------------------------------------------------- data
def _raw_answer(ref: str, reference_no: str) -> dict[str, Any]:
    return {
        "responseCode": "2005400", "responseMessage": "Successful",
        "referenceNo": reference_no, "partnerReferenceNo": ref,
        "webRedirectUrl": f"https://app-uat.doku.com/link/{reference_no}?otp=1&lang=id",
        "additionalInfo": {"channel": "DIRECT_DEBIT_ALLO_SNAP", "acquirer": "ALLO_BANK"},
    }


def _request_body(ref: str, amount: str) -> dict[str, Any]:
    return {
        "partnerReferenceNo": ref, "amount": {"value": amount, "currency": "IDR"},
        "additionalInfo": {
            "channel": "DIRECT_DEBIT_ALLO_SNAP", "remarks": "Order at the benchmark shop",
            "successPaymentUrl": f"https://shop.example/pay/return/?ref={ref}&result=success",
            "failedPaymentUrl": f"https://shop.example/pay/return/?ref={ref}&result=failed",
            "lineItems": [{"name": "Batik shirt", "price": amount, "quantity": "1"}],
        },
    }


def create_data(payments: int, pending: int) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from django_doku_allo.models import (
        Binding,
        BindingStatus,
        Payment,
        PaymentStatus,
        Refund,
        RefundStatus,
    )
    from django_doku_allo.snap.signing import new_external_id

    started = time.monotonic()
    users = get_user_model().objects
    admin = users.create_superuser("admin", "admin@shop.example", "x" * 12)
    heavy = users.create_user("bigspender", "big@shop.example", "x" * 12)
    typical = users.create_user("typical", "typical@shop.example", "x" * 12)
    now = timezone.now()

    def binding(user: Any, phone: str) -> Binding:
        return Binding.objects.create(
            user=user, phone_number=phone, cust_id_merchant=str(user.pk),
            status=BindingStatus.ACTIVE, external_id=new_external_id(),
            reference_no=str(10**19 + secrets.randbelow(10**19)), customer_ip="10.0.0.1",
            device_id="benchdevice", access_token="customer-token", activated_at=now)

    heavy_bindings = [binding(heavy, f"628120000{i:04d}") for i in range(BINDINGS)]
    typical_binding = binding(typical, "6281300000001")

    # Newest first: the first ``pending`` are pending, then a fixed mix of outcomes.
    def status_of(i: int) -> str:
        if i < pending:
            return PaymentStatus.PENDING
        k = i % 100
        if k < 12:
            return PaymentStatus.FAILED
        if k < 20:
            return PaymentStatus.REFUNDED
        return PaymentStatus.SUCCEEDED

    def rows(owner: Any, bindings: list[Binding], count: int, prefix: str) -> Iterator[Payment]:
        for i in range(count):
            ref = f"ALLO{prefix}{i:026d}"
            reference_no = f"{10**19 + i}" if prefix == "H" else f"{2 * 10**19 + i}"
            amount = f"{10000 + (i % 500) * 1000}.00"
            status = status_of(i) if prefix == "H" else PaymentStatus.SUCCEEDED
            yield Payment(
                binding=bindings[i % len(bindings)], user=owner, partner_reference_no=ref,
                reference_no=reference_no, external_id=new_external_id(),
                order_id=f"ORDER-{prefix}{i:08d}", amount=Decimal(amount),
                description="Order at the benchmark shop", status=status,
                doku_status={"succeeded": "00", "failed": "06", "refunded": "04"}.get(
                    status, "01"),
                web_redirect_url=f"https://app-uat.doku.com/link/{reference_no}?otp=1",
                response_code="2005400", response_message="Successful",
                request_body=_request_body(ref, amount), raw=_raw_answer(ref, reference_no),
                customer_ip="10.0.0.1", device_id="benchdevice",
                failure_reason="DOKU status 06" if status == PaymentStatus.FAILED else "")

    batch: list[Payment] = []
    with transaction.atomic():
        for payment in (*rows(heavy, heavy_bindings, payments, "H"),
                        *rows(typical, [typical_binding], TYPICAL_PAYMENTS, "T")):
            batch.append(payment)
            if len(batch) == 5000:
                Payment.objects.bulk_create(batch)
                batch = []
        Payment.objects.bulk_create(batch)
    table = Payment._meta.db_table
    with connection.cursor() as cursor:
        # Spread creation times over the past months (newest = lowest index, 2+ min old).
        cursor.execute(
            f"""UPDATE {table} SET
                  created_at = now() - interval '2 minutes'
                               - interval '150 seconds' * (id - (SELECT min(id) FROM {table})),
                  updated_at = now(),
                  paid_at = CASE WHEN status IN ('succeeded', 'refunded')
                                 THEN now() - interval '150 seconds' * (id - (SELECT min(id)
                                      FROM {table})) ELSE NULL END""")
    refunded = list(Payment.objects.filter(status=PaymentStatus.REFUNDED)
                    .values_list("pk", "amount", "partner_reference_no"))
    Refund.objects.bulk_create(
        [Refund(payment_id=pk, partner_refund_no=f"RFND{ref[4:]}{i:08d}",
                external_id=new_external_id(), amount=amount, reason="Customer returned it",
                status=RefundStatus.SUCCEEDED, refund_no=f"{3 * 10**19 + i}",
                response_code="2005800", response_message="Successful", refunded_at=now,
                raw={"responseCode": "2005800", "responseMessage": "Successful"})
         for i, (pk, amount, ref) in enumerate(refunded)], batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return {"admin": admin, "heavy": heavy, "typical": typical,
            "phone": heavy_bindings[3].phone_number, "refunds": len(refunded),
            "seconds": time.monotonic() - started}


def create_simulator_payments(pending: int) -> dict[str, int]:
    """DOKU's side of the pending payments, so each status check finds its payment."""
    from django.conf import settings
    from django.utils import timezone

    from django_doku_allo.models import Payment as MerchantPayment
    from django_doku_allo.models import PaymentStatus
    from django_doku_allo.simulator.models import Account, Binding, Payment
    from django_doku_allo.simulator.tokens import digest

    account = Account.objects.create(phone_no="6281200000003", name="Benchmark",
                                     balance=Decimal("1000000000.00"))
    binding = Binding.objects.create(
        reference_no="1" * 20, client_id=settings.CLIENT_ID, account=account,
        cust_id_merchant="bench", auth_code_hash=digest("bench-auth-code"),
        status=Binding.Status.ACTIVE, success_url="https://shop.example/ok",
        failed_url="https://shop.example/fail", request_body={}, activated_at=timezone.now())
    counts = dict.fromkeys(SIM_STATUSES, 0)
    rows = []
    merchant = (MerchantPayment.objects.filter(status=PaymentStatus.PENDING).order_by("pk")
                .values_list("partner_reference_no", "reference_no", "external_id", "amount"))
    for i, (ref, reference_no, external_id, amount) in enumerate(merchant):
        status = SIM_STATUSES[i % len(SIM_STATUSES)]
        counts[status] += 1
        rows.append(Payment(
            reference_no=reference_no, client_id=settings.CLIENT_ID, partner_reference_no=ref,
            external_id=external_id, fingerprint="bench", binding=binding, account=account,
            amount=amount, remarks="Order at the benchmark shop",
            line_items=[{"name": "Batik shirt", "price": f"{amount:.2f}", "quantity": "1"}],
            success_url="https://shop.example/ok", failed_url="https://shop.example/fail",
            ip_address="10.0.0.1", device_id="benchdevice",
            merchant_base_url="https://shop.example", request_body=_request_body(
                ref, f"{amount:.2f}"), status=status,
            paid_time=timezone.now() if status == "00" else None))
    Payment.objects.bulk_create(rows, batch_size=5000)
    assert len(rows) == pending, (len(rows), pending)
    return counts


# --------------------------------------------------------------------------- pages
@contextmanager
def timed_queries() -> Iterator[list[tuple[str, float]]]:
    """Every query run meanwhile, with its duration measured around the database call."""
    from django.db import connection

    log: list[tuple[str, float]] = []

    def wrapper(execute: Callable[..., Any], sql: str, params: Any, many: bool,
                context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            log.append((sql, time.perf_counter() - started))

    with connection.execute_wrapper(wrapper):
        yield log


def measure_page(client: Any, url: str, repeat: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as captured, timed_queries() as log:
        client.get(url)
    slowest = max(log, key=lambda q: q[1]) if log else ("", 0.0)
    return {
        "url": url, "repeat": repeat, "ms": common.summary_ms(times),
        "queries": len(captured.captured_queries),
        "sql_ms": sum(duration for _, duration in log) * 1000,
        "slowest_query_ms": slowest[1] * 1000,
        "slowest_query": slowest[0][:400],
        "slowest_is": describe(slowest[0]),
        "query_log": [[round(duration * 1000, 2), describe(sql), sql[:200]]
                      for sql, duration in log][:30],
        "bytes": len(response.content),
        "items": _items(response),
    }


def describe(sql: str) -> str:
    """What a query is for, in a few words (for the table)."""
    upper = sql.upper()
    if not sql:
        return "-"
    if "DISTINCT DATE_TRUNC" in upper:
        what = "date_hierarchy DISTINCT DATE_TRUNC"
    elif "MIN(" in upper and "MAX(" in upper:
        what = "date_hierarchy MIN/MAX"
    elif upper.startswith("SELECT COUNT(*)"):
        what = "COUNT(*)"
    elif " OFFSET " in upper:
        what = "rows, OFFSET " + upper.rsplit(" OFFSET ", 1)[1].split()[0]
    elif 'FROM "DJANGO_SESSION"' in upper or upper.startswith('SELECT "AUTH_USER"'):
        what = "session/user"
    else:
        what = "rows"
    if " LIKE " in upper:
        what += ", LIKE '%term%' scan"
    return what


def _items(response: Any) -> int | None:
    """Rows in a DRF list answer (paginated or not); None for HTML pages."""
    if not response.get("Content-Type", "").startswith("application/json"):
        return None
    data = response.json()
    results = data.get("results") if isinstance(data, dict) else data
    return len(results) if isinstance(results, list) else None


def measure_pages(data: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    from django.conf import settings
    from django.contrib import admin
    from django.test import Client
    from django.urls import NoReverseMatch, reverse
    from django.utils.module_loading import import_string
    from rest_framework.pagination import CursorPagination

    from django_doku_allo.conf import doku_settings
    from django_doku_allo.models import Payment

    pages: dict[str, Any] = {}
    total = args.payments + TYPICAL_PAYMENTS
    staff = Client()
    staff.force_login(data["admin"])
    label = Payment._meta.app_label
    try:
        changelist = reverse(f"admin:{label}_payment_changelist")
    except NoReverseMatch:
        changelist = None
    if changelist is not None:
        per_page = admin.site._registry[Payment].list_per_page
        last = math.ceil(total / per_page)
        middle_ref = f"ALLOH{args.payments // 2:026d}"
        admin_pages = {
            "admin: payments, page 1": changelist,
            f"admin: payments, last page ({last})": f"{changelist}?p={last}",
            "admin: payments, status=pending, page 1": f"{changelist}?status__exact=pending",
            "admin: payments, search a reference": f"{changelist}?q={middle_ref}",
            "admin: payments, search a full phone number": f"{changelist}?q={data['phone']}",
        }
        for name in ("refund", "binding"):
            with suppress(NoReverseMatch):
                admin_pages[f"admin: {name}s, page 1"] = reverse(
                    f"admin:{label}_{name}_changelist")
        for label, url in admin_pages.items():
            print(f"  {label} ...", flush=True)
            pages[label] = measure_page(staff, url, args.repeat)
        pages["_admin_per_page"] = per_page

    customer = Client()
    customer.force_login(data["heavy"])
    api = reverse("doku_allo_api:payment-list")
    shipped = doku_settings.as_dict().get("API_PAGINATION_CLASS")
    paginator_class = import_string(shipped) if shipped else None
    pages["_api_pagination_class"] = shipped or "none"
    if paginator_class is not None and issubclass(paginator_class, CursorPagination):
        size = paginator_class.page_size
        pages["_api_page_size"] = size
        print(f"  API: payments, shipped {paginator_class.__name__} ...", flush=True)
        pages[f"API: payments, shipped cursor ({size}/page), page 1"] = measure_page(
            customer, api, args.repeat)
        deep = deep_cursor_url(paginator_class, api, data["heavy"], args.payments - size)
        page = measure_page(customer, deep, args.repeat)
        assert page["items"] == size, page
        pages[f"API: payments, shipped cursor, last page (rows {args.payments - size + 1:,}"
              f"-{args.payments:,})"] = page
    elif paginator_class is not None:
        pages[f"API: payments, shipped {paginator_class.__name__}, page 1"] = measure_page(
            customer, api, args.repeat)
    offset_size = settings.REST_FRAMEWORK["PAGE_SIZE"]
    last = math.ceil(args.payments / offset_size)
    with api_pagination("rest_framework.pagination.PageNumberPagination"):
        print("  API: payments, PageNumberPagination ...", flush=True)
        pages[f"API: payments, PageNumberPagination ({offset_size}/page), page 1"] = \
            measure_page(customer, f"{api}?page=1", args.repeat)
        pages[f"API: payments, PageNumberPagination, last page ({last:,})"] = measure_page(
            customer, f"{api}?page={last}", args.repeat)
    with api_pagination(None):
        print(f"  API: payments, no paginator, {args.payments:,} rows ...", flush=True)
        pages[f"API: payments, API_PAGINATION_CLASS=None: all {args.payments:,} in one "
              "response"] = measure_page(customer, api, 1)
    pages["API: refunds, shipped, page 1"] = measure_page(
        customer, reverse("doku_allo_api:refund-list"), args.repeat)
    pages["API: bindings, shipped, page 1"] = measure_page(
        customer, reverse("doku_allo_api:binding-list"), args.repeat)
    return pages


@contextmanager
def api_pagination(path: str | None) -> Iterator[None]:
    """Run with ``DOKU_ALLO["API_PAGINATION_CLASS"] = path`` (read per request)."""
    from django.conf import settings
    from django.test import override_settings

    with override_settings(DOKU_ALLO={**settings.DOKU_ALLO, "API_PAGINATION_CLASS": path}):
        yield


def deep_cursor_url(paginator_class: Any, api: str, user: Any, offset: int) -> str:
    """The URL of the cursor page that starts after the ``offset``-th newest payment.

    Walking ``next`` links 2,000 times would take longer than the page itself; the cursor
    is built the way DRF builds it (position = the ordering field of the previous row).
    """
    from rest_framework.pagination import Cursor

    from django_doku_allo.models import Payment

    ordering = paginator_class.ordering
    ordering = list(ordering) if isinstance(ordering, (list, tuple)) else [ordering]
    previous = (Payment.objects.filter(user=user).order_by(*ordering)
                .values_list(ordering[0].lstrip("-"), flat=True)[offset - 1])
    paginator = paginator_class()
    paginator.base_url = f"http://testserver{api}"
    url = paginator.encode_cursor(Cursor(offset=0, reverse=False, position=str(previous)))
    return url.removeprefix("http://testserver")


# --------------------------------------------------------------------------- sync
@contextmanager
def query_counter() -> Iterator[list[int]]:
    from django.db import connection

    count = [0]

    def wrapper(execute: Callable[..., Any], sql: str, params: Any, many: bool,
                context: Any) -> Any:
        count[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield count


def run_sync(port: int, pending: int) -> dict[str, Any]:
    from django.core.management import call_command
    from django.db.models import Count
    from django.utils import timezone

    from django_doku_allo.models import Payment, PaymentStatus

    sim_counts = create_simulator_payments(pending)
    before = dict(Payment.objects.values_list("status").annotate(n=Count("pk")))
    out, err = io.StringIO(), io.StringIO()
    with common.gunicorn(port, workers=1, threads=4, name=NAME) as server:
        common.wait_for_quiet()
        with common.RequestCounter() as http, query_counter() as queries, \
                common.CpuWindow(server) as cpu:
            started = time.perf_counter()
            call_command("doku_allo_sync", "--limit", str(pending), stdout=out, stderr=err)
            elapsed = time.perf_counter() - started
    summary = [line for line in out.getvalue().splitlines() if line.startswith("doku_allo_sync")]
    still_pending = Payment.objects.filter(status=PaymentStatus.PENDING).count()
    return {
        "pending": pending, "seconds": elapsed, "ms_per_payment": elapsed * 1000 / pending,
        "command_cpu_s": cpu.local, "simulator_cpu_s": cpu.app, "postgres_cpu_s": cpu.db,
        "other_cores": cpu.as_dict()["other_cores"],
        "http_requests": http.count, "queries": queries[0],
        "summary": summary[-1] if summary else "", "errors": err.getvalue().count("\n"),
        "error_sample": err.getvalue()[:500], "simulator_statuses": sim_counts,
        "before": before, "still_pending": still_pending,
        "checked_recently": Payment.objects.filter(
            last_checked_at__gte=timezone.now() - timedelta(hours=1)).count(),
    }


# --------------------------------------------------------------------------- report
def admin_note(pages: dict[str, Any]) -> str:
    """Where the payment changelist's time goes, from the queries measured."""
    def matching(label_start: str) -> dict[str, Any] | None:
        return next((p for k, p in pages.items() if k.startswith(label_start)), None)

    first, last = matching("admin: payments, page 1"), matching("admin: payments, last page")
    search = matching("admin: payments, search a reference")
    parts = []
    if first:
        counts = [ms for ms, what, _ in first["query_log"] if what.startswith("COUNT(*)")]
        trunc = [ms for ms, what, _ in first["query_log"] if "DATE_TRUNC" in what]
        parts.append(
            f"Every changelist page runs COUNT(*) {len(counts)} time(s) "
            f"({' + '.join(common.fmt_ms(ms) for ms in counts)} ms) and date_hierarchy's "
            "DISTINCT DATE_TRUNC over the whole table "
            f"({' + '.join(common.fmt_ms(ms) for ms in trunc)} ms); both grow with the "
            "table.")
    if last:
        parts.append(f"The last page's OFFSET query takes "
                     f"{common.fmt_ms(last['slowest_query_ms'])} ms.")
    if search:
        scans = [ms for ms, what, _ in search["query_log"] if "LIKE" in what]
        if scans:
            parts.append(
                f"A search runs {len(scans)} queries that scan the table with "
                f"UPPER(field) LIKE '%term%': {common.fmt_ms(sum(scans))} ms of SQL per "
                "search page.")
        else:
            parts.append(
                "A search matches whole values through indexes: "
                f"{common.fmt_ms(search['sql_ms'])} ms of SQL per search page."
                if "sql_ms" in search else
                "A search matches whole values through indexes (no LIKE scan).")
    return " ".join(parts)


def report(data: dict[str, Any], pages: dict[str, Any], sync: dict[str, Any],
           args: argparse.Namespace) -> dict[str, Any]:
    rows = []
    for label, page in pages.items():
        if label.startswith("_"):
            continue
        rows.append([label, page["queries"], common.fmt_ms(page["ms"]["median"]),
                     common.fmt_ms(page["ms"]["max"]), common.fmt_ms(page["sql_ms"]),
                     common.fmt_ms(page["slowest_query_ms"]), page["slowest_is"],
                     "-" if page["items"] is None else f"{page['items']:,}",
                     f"{page['bytes'] / 1024:,.0f}"])
    notes = []
    if not any(label.startswith("admin") for label in pages):
        notes.append("The admin was not registered when this ran (django_doku_allo/admin.py "
                     "missing): no admin figures.")
    else:
        notes.append(f"Admin pages: list_per_page {pages['_admin_per_page']}, "
                     f"{args.payments + TYPICAL_PAYMENTS:,} payments. " + admin_note(pages))
    notes += [
        f"API lists ship with DOKU_ALLO['API_PAGINATION_CLASS'] = "
        f"{pages['_api_pagination_class']}; the PageNumberPagination and None rows set that "
        "setting for the measurement only (offset pages grow with depth; None serialises "
        "every payment of the customer in one response).",
    ]
    notes += [
        f"Data: {args.payments:,} payments of one customer over {BINDINGS} bindings "
        f"({args.pending:,} pending, 70% succeeded, 12% failed, 8% refunded with "
        f"{data['refunds']:,} refunds), {TYPICAL_PAYMENTS} of another; created in "
        f"{data['seconds']:.0f} s with bulk_create, then VACUUM ANALYZE.",
        f"Times: median of {args.repeat} requests through Django's test client after one "
        "warm-up (the unpaginated list: one request); queries and SQL time from one more "
        "request under CaptureQueriesContext.",
    ]
    statuses = ", ".join(f"{code}: {count:,}" for code, count in
                         sync["simulator_statuses"].items())
    sync_rows = [[
        f"{sync['pending']:,}", f"{sync['seconds']:.1f}", common.fmt_ms(sync["ms_per_payment"]),
        f"{sync['http_requests']:,}", f"{sync['queries'] / sync['pending']:.1f}",
        f"{sync['command_cpu_s'] * 1000 / sync['pending']:.2f}",
        f"{sync['simulator_cpu_s'] * 1000 / sync['pending']:.2f}",
        f"{sync['postgres_cpu_s'] * 1000 / sync['pending']:.2f}",
        f"{sync['other_cores']:.2f}", sync["summary"], sync["errors"],
    ]]
    notes += [
        f"doku_allo_sync: one status inquiry per payment against the simulator (gunicorn "
        f"1 worker, 4 threads, same PostgreSQL, same 2 CPUs); the simulator answered "
        f"{statuses} (00 paid, 01 still initiated, 06 failed); "
        f"{sync['still_pending']:,} payments remain pending afterwards (DOKU's '01').",
        "doku_allo_sync checks at most --limit payments per run (default 1000), one at a "
        f"time: at {common.fmt_ms(sync['ms_per_payment'])} ms per payment a default run "
        f"takes ~{sync['ms_per_payment']:.0f} s per 1000 pending payments.",
    ]
    return {
        "benchmark": NAME,
        "title": f"Scale: lists at {args.payments:,} payments, doku_allo_sync over "
                 f"{args.pending:,}",
        "command": ".venv/bin/python benchmarks/bench_scale.py",
        "machine": common.machine(),
        "config": {"payments": args.payments, "pending": args.pending, "repeat": args.repeat},
        "tables": [
            common.table("Pages (ms; size in KiB)",
                         ["page", "queries", "median", "max", "SQL total", "slowest query",
                          "slowest is", "rows returned", "KiB"], rows),
            common.table("doku_allo_sync --limit N against the simulator",
                         ["pending payments", "total s", "ms per payment", "HTTP requests",
                          "queries per payment", "command CPU ms/payment",
                          "simulator CPU ms/payment", "PostgreSQL CPU ms/payment",
                          "other jobs (CPUs busy)", "command's tally", "errors"], sync_rows),
        ],
        "notes": notes,
        "data": {"pages": pages, "sync": sync,
                 "data_seconds": data["seconds"], "refunds": data["refunds"]},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=100_000)
    parser.add_argument("--pending", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    port = common.free_port()
    common.setup_django(fresh_database=True, base_url=common.simulator_url(port))
    print(f"creating {args.payments:,} payments ...", flush=True)
    data = create_data(args.payments, args.pending)
    print(f"  done in {data['seconds']:.0f} s; measuring pages ...", flush=True)
    common.wait_for_quiet()
    pages = measure_pages(data, args)
    print(f"doku_allo_sync over {args.pending:,} pending payments ...", flush=True)
    sync = run_sync(port, args.pending)
    common.finish(NAME, report(data, pages, sync, args))


if __name__ == "__main__":
    main()
