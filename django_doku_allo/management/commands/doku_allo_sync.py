"""Settle payments and refunds whose outcome we do not know yet, by status inquiry.

DOKU retries a notification only a few times; this command is how nothing stays
unresolved. Run it from cron every few minutes. Two runs at once never check
the same row: each claims its rows with ``SELECT ... FOR UPDATE SKIP LOCKED`` and
stamps them before letting go.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.db.models import Model, Q, QuerySet
from django.utils import timezone

from ... import services
from ...conf import doku_settings
from ...exceptions import DokuAlloError
from ...models import UNSETTLED_PAYMENT_STATUSES, Payment, Refund, RefundStatus


def claim(queryset: QuerySet[Any], limit: int) -> list[int]:
    """Lock up to ``limit`` rows nobody else holds, stamp them checked, return their ids."""
    with transaction.atomic():
        ids = list(queryset.select_for_update(skip_locked=True).order_by("pk")
                   .values_list("pk", flat=True)[:limit])
        queryset.model._default_manager.filter(pk__in=ids).update(
            last_checked_at=timezone.now())
    return ids


class Command(BaseCommand):
    help = "Check DOKU's status of pending and unknown payments and refunds."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--older-than", type=int, default=None,
                            help="Seconds since creation (default STATUS_CHECK_DELAY, 60).")
        parser.add_argument("--limit", type=int, default=1000,
                            help="At most this many payments and this many refunds.")

    def handle(self, *args: Any, **options: Any) -> None:
        delay = options["older_than"]
        if delay is None:
            delay = int(doku_settings.STATUS_CHECK_DELAY)
        cutoff = timezone.now() - timedelta(seconds=delay)
        not_recently = Q(last_checked_at__isnull=True) | Q(last_checked_at__lt=cutoff)
        payments = Payment.objects.filter(not_recently, status__in=UNSETTLED_PAYMENT_STATUSES,
                                          created_at__lte=cutoff)
        refunds = Refund.objects.filter(
            not_recently, status__in=(RefundStatus.REQUESTED, RefundStatus.UNKNOWN),
            created_at__lte=cutoff)
        tally: Counter[str] = Counter()
        self._run("payment", claim(payments, options["limit"]), Payment,
                  services.sync_payment, tally)
        self._run("refund", claim(refunds, options["limit"]), Refund,
                  services.sync_refund, tally)
        self.stdout.write(self.style.SUCCESS(
            "doku_allo_sync: " + ", ".join(f"{k}={v}" for k, v in sorted(tally.items()))
            if tally else "doku_allo_sync: nothing to check"))

    def _run(self, kind: str, ids: list[int], model: type[Model], sync: Any,
             tally: Counter[str]) -> None:
        total = len(ids)
        for number, pk in enumerate(ids, start=1):
            obj = model._default_manager.get(pk=pk)
            before = obj.status  # type: ignore[attr-defined]
            try:
                after = sync(obj).status
            except DokuAlloError as exc:
                tally[f"{kind}_errors"] += 1
                self.stderr.write(f"[{number}/{total}] {kind} {obj}: {exc}")
                continue
            tally[f"{kind}s_checked"] += 1
            if after != before:
                tally[f"{kind}s_changed"] += 1
            self.stdout.write(f"[{number}/{total}] {kind} {obj}: {before} -> {after}")
