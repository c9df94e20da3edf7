"""Benchmark 3: scale. Admin and API lists at 100,000 (or 1,000,000) payments;
doku_allo_sync over 10,000.

Data (``scale_data``, COPY on PostgreSQL, then VACUUM ANALYZE): one customer with
``--payments`` payments over ten bindings (70% succeeded, 12% failed, 8% refunded with
their refunds, 10,000 pending and older than a minute), a typical customer with 100, one
notification per ten payments, DOKU's raw answers and request bodies of realistic size.
``--keep-data`` generates it once and reuses it in later runs.

Pages (``scale_pages``) are requested in-process through Django's test client (full
middleware, session login): each one once to warm up, ``--repeat`` times timed, once more
with CaptureQueriesContext for its queries and their database time. ``--before`` measures
them with the admin as it was before its lists were bounded.

``doku_allo_sync --limit 10000`` then settles the 10,000 pending payments against the
simulator served by gunicorn (the simulator knows each payment: bulk-created on its side
with a mix of outcomes); not with ``--keep-data``/``--before``/``--no-sync``.

Results go to ``results/scale.json`` (100,000), ``results/scale_1m.json`` (a million),
``results/before/`` (``--before``), and are rendered into ``docs/performance-lists.md``.

Run: ``.venv/bin/python benchmarks/bench_scale.py [--payments 100000] [--pending 10000]``
     ``BENCH_DATABASE_URL=.../bench_1m .venv/bin/python benchmarks/bench_scale.py
     --payments 1000000 --keep-data [--before]``
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import locations, meters, servers
from benchmarks.machine import machine
from benchmarks.results import finish, render_markdown, table
from benchmarks.scale_data import BINDINGS, TYPICAL_PAYMENTS, create_data, create_simulator_payments
from benchmarks.scale_pages import admin_as_before, measure_pages
from benchmarks.stats import fmt_ms

NAME = "scale"


# --------------------------------------------------------------------------- sync
def run_sync(port: int, pending: int) -> dict[str, Any]:
    from django.core.management import call_command
    from django.db.models import Count
    from django.utils import timezone

    from django_doku_allo.models import Payment, PaymentStatus

    sim_counts = create_simulator_payments(pending)
    before = dict(Payment.objects.values_list("status").annotate(n=Count("pk")))
    out, err = io.StringIO(), io.StringIO()
    with servers.gunicorn(port, workers=1, threads=4, name=NAME) as server:
        meters.wait_for_quiet()
        with meters.RequestCounter() as http, meters.query_counter() as queries, \
                meters.CpuWindow(server) as cpu:
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
def admin_note(pages: dict[str, Any], *, before: bool = False) -> str:
    """Where the payment changelist's time goes, from the queries measured."""
    def matching(label_start: str) -> dict[str, Any] | None:
        return next((p for k, p in pages.items() if k.startswith(label_start)), None)

    first, last = matching("admin: payments, page 1"), matching("admin: payments, deep")
    search = matching("admin: payments, search a reference")
    parts = []
    if first:
        counts = [(ms, what) for ms, what, _ in first["query_log"] if "COUNT" in what]
        trunc = [ms for ms, what, _ in first["query_log"] if "DATE_TRUNC" in what]
        estimate = [ms for ms, what, _ in first["query_log"] if what == "count estimate"]
        if estimate:
            parts.append("Unfiltered page 1 counts nothing: its total is the planner's "
                         f"estimate (pg_class.reltuples, {fmt_ms(estimate[0])} ms).")
        if counts:
            parts.append(
                f"Page 1 runs {len(counts)} count(s): "
                + ", ".join(f"{what} {fmt_ms(ms)} ms" for ms, what in counts) + ".")
        if trunc:
            parts.append("date_hierarchy's DISTINCT DATE_TRUNC over the whole table "
                         f"takes {' + '.join(fmt_ms(ms) for ms in trunc)} ms.")
    if last:
        parts.append(f"Page {last['url'].rsplit('=', 1)[1]}: its slowest query takes "
                     f"{fmt_ms(last['slowest_query_ms'])} ms"
                     + (" (every page is reachable, by OFFSET)." if before else
                        " (pages stop at list_max_pages; a page number beyond is answered "
                        "with the last page listed)."))
    if search:
        scans = [ms for ms, what, _ in search["query_log"] if "LIKE" in what]
        if scans:
            parts.append(
                f"A search runs {len(scans)} queries that scan the table with "
                f"UPPER(field) LIKE '%term%': {fmt_ms(sum(scans))} ms of SQL per "
                "search page.")
        else:
            parts.append(
                "A search matches whole values through indexes: "
                f"{fmt_ms(search['sql_ms'])} ms of SQL per reference search page.")
    return " ".join(parts)


def report(data: dict[str, Any], pages: dict[str, Any], sync: dict[str, Any] | None,
           args: argparse.Namespace) -> dict[str, Any]:
    rows = []
    for label, page in pages.items():
        if label.startswith("_"):
            continue
        rows.append([label, page["queries"], fmt_ms(page["ms"]["median"]),
                     fmt_ms(page["ms"]["max"]), fmt_ms(page["sql_ms"]),
                     fmt_ms(page["slowest_query_ms"]), page["slowest_is"],
                     "-" if page["items"] is None else f"{page['items']:,}",
                     f"{page['bytes'] / 1024:,.0f}"])
    notes = []
    if not any(label.startswith("admin") for label in pages):
        notes.append("The admin was not registered when this ran (django_doku_allo/admin.py "
                     "missing): no admin figures.")
    else:
        notes.append(f"Admin pages: list_per_page {pages['_admin_per_page']}, "
                     f"{args.payments + TYPICAL_PAYMENTS:,} payments. "
                     + admin_note(pages, before=args.before))
    notes += [
        f"API lists ship with DOKU_ALLO['API_PAGINATION_CLASS'] = "
        f"{pages['_api_pagination_class']}; the PageNumberPagination and None rows set that "
        "setting for the measurement only (offset pages grow with depth; None serialises "
        "every payment of the customer in one response).",
    ]
    created = ("generated once, by an earlier --keep-data run" if data["seconds"] is None
               else f"created in {data['seconds']:.0f} s with {data['method']}")
    notes += [
        f"Data: {args.payments:,} payments of one customer over {BINDINGS} bindings "
        f"({args.pending:,} pending, 70% succeeded, 12% failed, 8% refunded with "
        f"{data['refunds']:,} refunds), {TYPICAL_PAYMENTS} of another, "
        f"{data['notifications']:,} notifications; {created}, then VACUUM ANALYZE.",
        f"Times: median of {args.repeat} requests through Django's test client after one "
        "warm-up (the unpaginated list: one request); queries and SQL time from one more "
        "request under CaptureQueriesContext.",
    ]
    tables = [table("Pages (ms; size in KiB)",
                    ["page", "queries", "median", "max", "SQL total", "slowest query",
                     "slowest is", "rows returned", "KiB"], rows)]
    if sync is not None:
        statuses = ", ".join(f"{code}: {count:,}" for code, count in
                             sync["simulator_statuses"].items())
        sync_rows = [[
            f"{sync['pending']:,}", f"{sync['seconds']:.1f}", fmt_ms(sync["ms_per_payment"]),
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
            f"time: at {fmt_ms(sync['ms_per_payment'])} ms per payment a default run "
            f"takes ~{sync['ms_per_payment']:.0f} s per 1000 pending payments.",
        ]
        tables.append(table(
            "doku_allo_sync --limit N against the simulator",
            ["pending payments", "total s", "ms per payment", "HTTP requests",
             "queries per payment", "command CPU ms/payment", "simulator CPU ms/payment",
             "PostgreSQL CPU ms/payment", "other jobs (CPUs busy)", "command's tally",
             "errors"], sync_rows))
    return {
        "benchmark": result_name(args.payments),
        "title": f"Scale: lists at {args.payments:,} payments"
                 + (f", doku_allo_sync over {args.pending:,}" if sync else "")
                 + (" (the admin before its lists were bounded)" if args.before else ""),
        "command": ".venv/bin/python benchmarks/bench_scale.py"
                   + (f" --payments {args.payments}" if args.payments != 100_000 else "")
                   + (" --keep-data" if args.keep_data else "")
                   + (" --before" if args.before else "")
                   + (" --no-sync" if args.no_sync and not (args.keep_data or args.before)
                      else ""),
        "machine": machine(),
        "config": {"payments": args.payments, "pending": args.pending, "repeat": args.repeat},
        "tables": tables,
        "notes": notes,
        "data": {"pages": pages, "sync": sync, "data_seconds": data["seconds"],
                 "data_method": data["method"], "refunds": data["refunds"],
                 "notifications": data["notifications"]},
    }


PERFORMANCE_DOC = locations.REPO / "docs" / "performance-lists.md"
DOC_START, DOC_END = "<!-- scale:start -->", "<!-- scale:end -->"


def render_performance_doc() -> None:
    """docs/performance-lists.md, between its markers, <- every results/scale*.json."""
    if not PERFORMANCE_DOC.exists():
        return
    results = [json.loads(path.read_text(encoding="utf-8"))
               for path in sorted(locations.RESULTS_DIR.glob(f"{NAME}*.json"),
                                  key=lambda path: (len(path.stem), path.stem))]
    text = PERFORMANCE_DOC.read_text(encoding="utf-8")
    start, end = text.find(DOC_START), text.find(DOC_END)
    if start < 0 or end < start:
        return
    section = "\n" + "\n".join(render_markdown(result) for result in results) + "\n"
    text = text[:start + len(DOC_START)] + section + text[end:]
    start, end = text.find(COMPARE_START), text.find(COMPARE_END)
    if 0 <= start < end:
        text = (text[:start + len(COMPARE_START)] + "\n" + comparison(results) + "\n"
                + text[end:])
    PERFORMANCE_DOC.write_text(text, encoding="utf-8")
    print(f"{PERFORMANCE_DOC.relative_to(locations.REPO)}: rendered {len(results)} result(s)")


COMPARE_START, COMPARE_END = "<!-- compare:start -->", "<!-- compare:end -->"


def comparison(results: list[dict[str, Any]]) -> str:
    """Markdown: each page of every result that has a ``results/before/`` twin, by URL."""
    out = []
    for after in results:
        path = locations.RESULTS_DIR / "before" / f"{after['benchmark']}.json"
        if not path.exists():
            continue
        before = json.loads(path.read_text(encoding="utf-8"))
        old_pages = {label: page for label, page in before["data"]["pages"].items()
                     if not label.startswith("_")}
        urls = [page["url"] for page in old_pages.values()]
        # A page is its label; else its URL when no other page has it (the API list's
        # URL is the same under every paginator setting).
        by_url = {page["url"]: page for page in old_pages.values()
                  if urls.count(page["url"]) == 1}
        out += [f"**{after['config']['payments']:,} payments**: before = `--before` "
                f"({before['machine'].get('date', '')}), after = code "
                f"{after['machine'].get('code', '?')} ({after['machine'].get('date', '')})",
                "",
                "| page | before ms (queries) | after ms (queries) | before / after |",
                "|---|---|---|---|"]
        for label, page in after["data"]["pages"].items():
            if label.startswith("_"):
                continue
            old = old_pages.get(label) or by_url.get(page["url"])
            if old is None:
                continue
            ratio = old["ms"]["median"] / page["ms"]["median"]
            out.append(f"| {label} | {fmt_ms(old['ms']['median'])} ({old['queries']}) | "
                       f"{fmt_ms(page['ms']['median'])} ({page['queries']}) | "
                       f"{ratio:,.1f}x |")
        out.append("")
    return "\n".join(out) if out else "_No before/after pair in benchmarks/results yet._"


def database_exists() -> bool:
    import psycopg

    url = urlsplit(servers.database_url())
    with psycopg.connect(url._replace(path="/postgres").geturl(), autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                            [url.path.lstrip("/")]).fetchone() is not None


def result_name(payments: int) -> str:
    """``scale`` for the default 100,000; ``scale_1m`` for a million; else by count."""
    if payments == 100_000:
        return NAME
    if payments % 1_000_000 == 0:
        return f"{NAME}_{payments // 1_000_000}m"
    return f"{NAME}_{payments}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=100_000)
    parser.add_argument("--pending", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep-data", action="store_true",
                        help="reuse the data set an earlier --keep-data run left in "
                             "BENCH_DATABASE_URL (migrated forward), generate it only if "
                             "absent; implies --no-sync (the sync changes the data)")
    parser.add_argument("--no-sync", action="store_true",
                        help="pages only, no doku_allo_sync run")
    parser.add_argument("--before", action="store_true",
                        help="measure the admin as it was before its lists were bounded "
                             "(scale_pages.admin_as_before), into results/before/; "
                             "implies --no-sync")
    args = parser.parse_args()
    args.no_sync = args.no_sync or args.keep_data or args.before
    port = servers.free_port()
    data = None
    if args.keep_data:
        servers.setup_django(fresh_database=not database_exists(),
                             base_url=locations.simulator_url(port))
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        from benchmarks.scale_data import existing_data

        data = existing_data(args.payments)
        if data is None:
            from django.db import connection

            connection.close()
            servers.recreate_database()
            call_command("migrate", verbosity=0)
        else:
            print(f"reusing the {args.payments:,} payments already in the database",
                  flush=True)
    else:
        servers.setup_django(fresh_database=True, base_url=locations.simulator_url(port))
    if data is None:
        print(f"creating {args.payments:,} payments ...", flush=True)
        data = create_data(args.payments, args.pending)
        print(f"  done in {data['seconds']:.0f} s; measuring pages ...", flush=True)
    meters.wait_for_quiet()
    with admin_as_before() if args.before else contextlib.nullcontext():
        pages = measure_pages(data, payments=args.payments, repeat=args.repeat)
    sync = None
    if not args.no_sync:
        print(f"doku_allo_sync over {args.pending:,} pending payments ...", flush=True)
        sync = run_sync(port, args.pending)
    name = result_name(args.payments)
    if args.before:
        (locations.RESULTS_DIR / "before").mkdir(parents=True, exist_ok=True)
    finish(f"before/{name}" if args.before else name, report(data, pages, sync, args))
    render_performance_doc()


if __name__ == "__main__":
    main()

