"""How long the order page refreshes itself while the payment is unsettled.

The page refreshes (a meta refresh, no JavaScript) so DOKU's notification shows up
without the customer doing anything. A customer who walked away from Allo Bank's
OTP/PIN page would otherwise leave a tab refreshing forever: after
``REFRESH_LIMIT`` the page stops and offers "Check again" instead.
"""

from __future__ import annotations

from datetime import datetime, timedelta

#: Seconds between two refreshes of the order page.
REFRESH_EVERY_SECONDS = 2
#: A notification normally lands within seconds; two minutes covers a slow OTP/PIN entry.
REFRESH_LIMIT = timedelta(minutes=2)


def keeps_refreshing(started_at: datetime | None, now: datetime, *, settled: bool,
                     limit: timedelta = REFRESH_LIMIT) -> bool:
    """Whether the order page should refresh itself once more.

    ``started_at`` is when the payment began (the order's creation if it has none);
    ``settled`` says the payment has ended, after which there is nothing to wait for.
    """
    if settled or started_at is None:
        return False
    return now - started_at < limit
