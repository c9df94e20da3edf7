"""Change list pages whose cost does not grow with the table: counts, page bound.

Django's admin counts every matching row (``COUNT(*)``) on every page and reaches page
*n* with ``OFFSET (n - 1) * per_page``: both read the whole table at a million
payments (164 ms and 6.3 s there). Here:

- an unfiltered list on PostgreSQL takes its total from the planner's estimate
  (``pg_class.reltuples``, kept by autovacuum/ANALYZE) once the table is estimated
  above ``estimate_count_above`` rows, and says "about";
- any other list counts at most ``list_max_pages * list_per_page + 1`` rows
  (``COUNT(*)`` over a ``LIMIT``ed subquery), and says "more than" when it reaches it;
- pages stop at ``list_max_pages``: the deepest ``OFFSET`` is bounded, so the slowest
  page costs the same at 100,000 rows as at 100 million. A page number beyond the last
  page shown is answered with that last page and a message saying how to go further
  (a filter, a search, or sorting the other way), never a 500 or Django's
  "something's wrong with your database installation".

Why a page bound rather than keyset ("older than ...") navigation: the admin's own
pagination, sorting and filter links keep working unchanged, every page stays an
ordinary ``ORDER BY ... LIMIT ... OFFSET`` the indexes serve, and staff looking for an
old payment search for it or filter by date; nobody pages 20,000 times.
"""

from __future__ import annotations

import math
from typing import Any

from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.paginator import InvalidPage, Paginator
from django.db import connections
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.formats import number_format
from django.utils.functional import cached_property
from django.utils.translation import gettext as _

__all__ = ["BoundedChangeList", "BoundedPaginator", "estimated_rows"]


def estimated_rows(queryset: QuerySet[Any]) -> int | None:
    """The planner's estimate of the rows in ``queryset``'s table, or None.

    None off PostgreSQL, and for a table never analysed (``reltuples`` is -1 then).
    """
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)",
                       [connection.ops.quote_name(queryset.model._meta.db_table)])
        row = cursor.fetchone()
    return int(row[0]) if row and row[0] is not None and row[0] >= 0 else None


class BoundedPaginator(Paginator):
    """A paginator with at most ``max_pages`` pages and a count that never reads the table.

    ``count_is_estimate``: ``count`` is the planner's estimate (an unfiltered list of a
    large table on PostgreSQL). ``count_is_lower_bound``: at least ``count`` rows match,
    maybe more (a filtered or small list that reached the bound).
    """

    def __init__(self, object_list: Any, per_page: int, orphans: int = 0,
                 allow_empty_first_page: bool = True, *, max_pages: int = 100,
                 estimate_count_above: int = 100_000) -> None:
        super().__init__(object_list, per_page, orphans, allow_empty_first_page)
        self.max_pages = max_pages
        self.estimate_count_above = estimate_count_above
        self.count_is_estimate = False
        self.count_is_lower_bound = False

    @property
    def row_bound(self) -> int:
        """Rows the pages can show; counting stops one beyond."""
        return self.max_pages * int(self.per_page)

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet):
            return super().count
        query = queryset.query
        if not query.where and not query.distinct:
            estimate = estimated_rows(queryset)
            if estimate is not None and estimate > self.estimate_count_above:
                self.count_is_estimate = True
                return estimate
        counted = queryset.order_by()[:self.row_bound + 1].count()
        if counted > self.row_bound:
            self.count_is_lower_bound = True
            return self.row_bound
        return counted

    @cached_property
    def num_pages(self) -> int:
        if self.count == 0 and not self.allow_empty_first_page:
            return 0
        hits = max(1, self.count - self.orphans)
        return min(math.ceil(hits / int(self.per_page)), self.max_pages)

    @property
    def truncated(self) -> bool:
        """More rows match than the pages show."""
        return self.count > self.row_bound or self.count_is_lower_bound


class BoundedChangeList(ChangeList):
    """A change list on a :class:`BoundedPaginator`; a page beyond the last is the last.

    ``page_clamped_from`` is the page number asked for when it was beyond the last
    page shown (None otherwise).
    """

    page_clamped_from: int | None = None
    # (A page number below 1 shows page 1, silently.)

    def get_results(self, request: HttpRequest) -> None:
        # Django's own get_results, but a page number beyond the last page shows the
        # last page (with a message) instead of redirecting to "?e=1".
        paginator = self.model_admin.get_paginator(request, self.queryset, self.list_per_page)
        result_count = paginator.count
        can_show_all = result_count <= self.list_max_show_all
        multi_page = result_count > self.list_per_page
        last = max(paginator.num_pages, 1)
        if self.page_num < 1:
            self.page_num = 1
        elif self.page_num > last:
            self.page_clamped_from, self.page_num = self.page_num, last
            messages.info(request, _(
                "Page %(asked)d is beyond the last page listed (%(last)d). To reach "
                "older rows, filter by date or status, search for a reference, or sort "
                "the other way.") % {"asked": self.page_clamped_from, "last": last})
        if (self.show_all and can_show_all) or not multi_page:
            result_list = self.queryset._clone()
        else:
            try:
                result_list = paginator.page(self.page_num).object_list
            except InvalidPage as exc:  # not expected after the clamping above
                raise IncorrectLookupParameters from exc
        self.result_count = result_count
        # Never a second COUNT(*) over the unfiltered table: see show_full_result_count.
        self.show_full_result_count = False
        self.show_admin_actions = True
        self.full_result_count = None
        self.result_list = result_list
        self.can_show_all = can_show_all
        self.multi_page = multi_page
        self.paginator = paginator

    @property
    def result_count_text(self) -> str:
        """The count as the pages show it: exact, "about N" or "more than N"."""
        paginator = self.paginator
        # Grouped as the staff member's language groups: 1,000,100 in English, 1.000.100
        # in Indonesian.
        number = number_format(self.result_count, force_grouping=True)
        if getattr(paginator, "count_is_estimate", False):
            return _("about %(number)s") % {"number": number}
        if getattr(paginator, "count_is_lower_bound", False):
            return _("more than %(number)s") % {"number": number}
        return number
