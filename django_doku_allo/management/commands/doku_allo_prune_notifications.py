"""Delete unverified notification deliveries older than the retention.

Anyone can post to the notification URL, and every delivery is recorded before it
is verified: this command is what keeps those records from piling up. Verified
deliveries (DOKU's own) are never deleted. Run it from cron daily, say.
Deletes in batches, so a large backlog never holds one long transaction.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from ...conf import doku_settings
from ...models import Notification

BATCH = 1000


class Command(BaseCommand):
    help = "Delete unverified DOKU notification deliveries older than the retention."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than", type=int, default=None, metavar="SECONDS",
            help="Retention in seconds (default: DOKU_ALLO['NOTIFICATION_UNVERIFIED_RETENTION']).")
        parser.add_argument("--dry-run", action="store_true",
                            help="Count what would be deleted; delete nothing.")

    def handle(self, *args: Any, older_than: int | None, dry_run: bool, **options: Any) -> None:
        seconds = (older_than if older_than is not None
                   else int(doku_settings.NOTIFICATION_UNVERIFIED_RETENTION))
        cutoff = timezone.now() - timedelta(seconds=max(seconds, 0))
        stale = Notification.objects.filter(verified=False, received_at__lt=cutoff)
        if dry_run:
            self.stdout.write(f"{stale.count()} unverified deliveries would be deleted.")
            return
        deleted = 0
        while True:
            ids = list(stale.order_by("pk").values_list("pk", flat=True)[:BATCH])
            if not ids:
                break
            deleted += Notification.objects.filter(pk__in=ids, verified=False).delete()[0]
        self.stdout.write(f"{deleted} unverified deliveries deleted.")
