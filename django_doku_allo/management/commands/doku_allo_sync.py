"""Settle payments and refunds whose outcome we do not know yet, by status inquiry.

DOKU retries a notification only a few times; this command is how nothing stays
unresolved. Run it from cron every few minutes. Two runs at once never check
the same row: each claims its rows with ``SELECT ... FOR UPDATE SKIP LOCKED`` and
stamps them before letting go.

Output is made for cron: nothing on stdout at ``-v 0`` (errors go to stderr), the
summary at ``-v 1``, one line per row at ``-v 2``, and a progress line only when
stdout is a terminal. The exit status is 1 when any status check failed.

``--workers N`` checks N rows at once on a thread pool (each row in its own
transaction, each thread with its own database connection, closed at the end) and
sizes the HTTP connection pool to N.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections, transaction
from django.db.models import Model, Q, QuerySet
from django.utils import timezone

from ... import services
from ...conf import doku_settings, get_client
from ...exceptions import DokuAlloError
from ...models import UNSETTLED_PAYMENT_STATUSES, Payment, Refund, RefundStatus

logger = logging.getLogger(__name__)


def claim(queryset: QuerySet[Any], limit: int) -> list[Any]:
    """Lock up to ``limit`` rows nobody else holds, stamp them checked, return them.

    Two queries for the whole batch; the rows come back as read under the lock, to be
    handed to the service (``claimed=True``) without another read.
    """
    with transaction.atomic():
        rows = list(queryset.select_for_update(skip_locked=True, of=("self",))
                    .order_by("pk")[:limit])
        now = timezone.now()
        queryset.model._default_manager.filter(pk__in=[r.pk for r in rows]).update(
            last_checked_at=now)
    for row in rows:
        row.last_checked_at = now
    return rows


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = "Check DOKU's status of pending and unknown payments and refunds."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--older-than", type=int, default=None,
                            help="Seconds since creation (default STATUS_CHECK_DELAY, 60).")
        parser.add_argument("--limit", type=int, default=1000,
                            help="At most this many payments and this many refunds.")
        parser.add_argument("--workers", type=_positive, default=1,
                            help="Status checks at once, on threads (default 1).")

    def handle(self, *args: Any, **options: Any) -> None:
        self.verbosity = int(options["verbosity"])
        self.workers = int(options["workers"])
        self.progress = self.verbosity == 1 and self.stdout.isatty()
        self._out = threading.Lock()
        delay = options["older_than"]
        if delay is None:
            delay = int(doku_settings.STATUS_CHECK_DELAY)
        if self.workers > 1:
            get_client().set_pool_size(max(self.workers, int(doku_settings.HTTP_POOL_SIZE)))
        cutoff = timezone.now() - timedelta(seconds=delay)
        not_recently = Q(last_checked_at__isnull=True) | Q(last_checked_at__lt=cutoff)
        payments = Payment.objects.filter(not_recently, status__in=UNSETTLED_PAYMENT_STATUSES,
                                          created_at__lte=cutoff)
        refunds = Refund.objects.filter(
            not_recently, status__in=(RefundStatus.REQUESTED, RefundStatus.UNKNOWN),
            created_at__lte=cutoff).select_related("payment")
        tally: Counter[str] = Counter()
        self._run("payment", claim(payments, options["limit"]), services.sync_payment, tally)
        self._run("refund", claim(refunds, options["limit"]), services.sync_refund, tally)
        errors = tally["payment_errors"] + tally["refund_errors"]
        if self.verbosity >= 1:
            summary = ("doku_allo_sync: " + ", ".join(f"{k}={v}" for k, v in sorted(tally.items()))
                       if tally else "doku_allo_sync: nothing to check")
            self.stdout.write(self.style.ERROR(summary) if errors else self.style.SUCCESS(summary))
        if errors:
            raise CommandError(f"{errors} status check(s) failed; see above. The rows stay "
                               "unsettled and are checked again on a later run.", returncode=1)

    def _run(self, kind: str, rows: list[Model], sync: Callable[..., Any],
             tally: Counter[str]) -> None:
        total = len(rows)
        done = 0

        def check(number: int, obj: Any) -> None:
            nonlocal done
            before = obj.status
            try:
                after = sync(obj, claimed=True).status
            except DokuAlloError as exc:
                outcome = None
                message = f"[{number}/{total}] {kind} {obj}: {exc}"
            except Exception as exc:  # counted and reported; the other rows still run
                logger.exception("doku_allo_sync: %s %s failed", kind, obj)
                outcome = None
                message = f"[{number}/{total}] {kind} {obj}: {type(exc).__name__}: {exc}"
            else:
                outcome = after
            with self._out:
                done += 1
                if outcome is None:
                    tally[f"{kind}_errors"] += 1
                    self._clear_progress()
                    self.stderr.write(message)
                else:
                    tally[f"{kind}s_checked"] += 1
                    if outcome != before:
                        tally[f"{kind}s_changed"] += 1
                    if self.verbosity >= 2:
                        self.stdout.write(f"[{number}/{total}] {kind} {obj}: {before} -> {after}")
                if self.progress:
                    self.stdout.write(f"\r{kind}s: {done}/{total}", ending="")
                    self.stdout.flush()

        jobs = list(enumerate(rows, start=1))
        if self.workers == 1 or total <= 1:
            for number, obj in jobs:
                check(number, obj)
        else:
            _in_threads(jobs, min(self.workers, total), check)
        if self.progress and total:
            self._clear_progress()

    def _clear_progress(self) -> None:
        if self.progress:
            self.stdout.write("\r\033[K", ending="")


def _in_threads(jobs: list[tuple[int, Any]], workers: int,
                run: Callable[[int, Any], None]) -> None:
    """Run ``run(*job)`` for every job on ``workers`` threads; re-raise the first crash."""
    feed: Iterator[tuple[int, Any]] = iter(jobs)
    feed_lock = threading.Lock()
    crashed: list[BaseException] = []

    def worker() -> None:
        try:
            while not crashed:
                with feed_lock:
                    job = next(feed, None)
                if job is None:
                    return
                run(*job)
        except BaseException as exc:
            crashed.append(exc)
        finally:
            connections.close_all()  # this thread's connections

    threads = [threading.Thread(target=worker, name=f"doku_allo_sync-{i}", daemon=True)
               for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if crashed:
        raise crashed[0]
