"""Benchmark 4: what hostile requests to the notification URL cost in stored bytes.

No credentials are needed to post to the notification URL, and every delivery is
recorded before it is verified. This sends, through Django's test client (in process,
no server), the two floods of the hostile-input issue:

- ``body``: 1,000 unsigned deliveries, each with a random 64 KiB body (just under the cap);
- ``headers``: 100 unsigned deliveries, each with ~720 KB of random headers (200 x 3.6 KB);

and reports the growth of the notification table: ``pg_total_relation_size`` on
PostgreSQL (table, TOAST and indexes), the sum of the stored lengths on SQLite. Each
flood runs twice: with the settings' defaults (the per-address rate bound on) and with
``NOTIFICATION_RATE_LIMIT`` ``None`` (the storage caps alone).

Run it against a database of its own (it is migrated, and the notification table is
emptied before each flood)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hostile_wt \\
        .venv/bin/python benchmarks/bench_hostile.py

For a before/after comparison, run the same file with ``BENCH_ROOT`` naming another
checkout (its ``django_doku_allo`` and ``tests.settings`` are imported instead) and
another database. Figures are printed and written to ``benchmarks/results/hostile.json``.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = Path(os.environ.get("BENCH_ROOT") or HERE.parent)
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

NOTIFY_PATH = "/doku-allo/v1.0/debit/notify"
UNSIGNED = {"X-TIMESTAMP": "2024-01-01T00:00:00+07:00", "X-SIGNATURE": "forged"}
FLOODS: dict[str, dict[str, Any]] = {
    "body": {"requests": 1000, "body_bytes": 64 * 1024 - 16, "headers": 0},
    "headers": {"requests": 100, "body_bytes": 2, "headers": 200},
}


def table_bytes() -> int:
    from django.db import connection
    from django.db.models import Sum, TextField
    from django.db.models.functions import Cast, Length

    from django_doku_allo.models import Notification

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_total_relation_size('doku_allo_notification')")
            return int(cursor.fetchone()[0])
    # SQLite: what the rows hold (body and headers as stored text).
    totals = Notification.objects.aggregate(
        body=Sum(Length("body")), headers=Sum(Length(Cast("headers", TextField()))))
    return int(totals["body"] or 0) + int(totals["headers"] or 0)


def flood(name: str, spec: dict[str, Any], rate_limit: Any) -> dict[str, Any]:
    from django.conf import settings
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client, override_settings

    from django_doku_allo import conf
    from django_doku_allo.models import Notification

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # back to an empty table, its pages released
            cursor.execute("TRUNCATE doku_allo_notification")
    else:
        Notification.objects.all().delete()
    cache.clear()
    doku_allo = dict(settings.DOKU_ALLO)
    if rate_limit != "default":
        doku_allo["NOTIFICATION_RATE_LIMIT"] = rate_limit
    client = Client()
    statuses: dict[int, int] = {}
    before = table_bytes()
    started = time.perf_counter()
    with override_settings(DOKU_ALLO=doku_allo):
        conf.reset()
        for _ in range(spec["requests"]):
            body = os.urandom(spec["body_bytes"] // 2).hex()  # random: TOAST cannot shrink it
            headers = {**UNSIGNED, **{f"X-Junk-{i}": os.urandom(1800).hex()
                                      for i in range(spec["headers"])}}
            status = client.post(NOTIFY_PATH, data=body, content_type="application/json",
                                 headers=headers).status_code
            statuses[status] = statuses.get(status, 0) + 1
    elapsed = time.perf_counter() - started
    conf.reset()
    grown = table_bytes() - before
    return {"flood": name, "rate_limit": rate_limit, "requests": spec["requests"],
            "statuses": statuses, "rows": Notification.objects.count(),
            "bytes": grown, "mib": round(grown / 2**20, 2), "seconds": round(elapsed, 1)}


def main() -> None:
    import django
    from django.core.management import call_command
    from django.db import connection

    django.setup()
    logging.disable(logging.WARNING)  # one refusal line per request otherwise
    call_command("migrate", verbosity=0)
    print(f"package: {ROOT}  database: {connection.vendor} {connection.settings_dict['NAME']}")
    results = [flood(name, spec, limit) for name, spec in FLOODS.items()
               for limit in ("default", None)]
    for r in results:
        print(f"{r['flood']:8} rate_limit={r['rate_limit']!s:8} {r['requests']:5} requests "
              f"-> {r['rows']:5} rows, +{r['mib']:8} MiB, statuses {r['statuses']}, "
              f"{r['seconds']} s")
    out = HERE / "results" / "hostile.json"
    if os.environ.get("BENCH_ROOT"):
        out = HERE / "results" / "hostile-before.json"
    out.write_text(json.dumps({"package": str(ROOT), "database": connection.vendor,
                               "results": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
