"""What every admin of this app shares: read-only pages, whole-value search, bounded lists.

Every change list stays fast at a million rows (figures in docs/performance.md): no
``date_hierarchy`` (its drill-down runs ``SELECT DISTINCT DATE_TRUNC`` over every
matching row on each page); the date filters are Django's ``DateFieldListFilter``
(today, past 7 days, this month, this year: a ``>= AND <`` range on an indexed column);
a count that never reads the table and a bounded page number (:mod:`.paging`); no
facet counts; sorting only by indexed columns (``sortable_by``); search by whole
values through indexes (:mod:`.search`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .paging import BoundedChangeList, BoundedPaginator
from .search import whole_value_match

__all__ = ["DokuAlloModelAdmin"]


class DokuAlloModelAdmin(admin.ModelAdmin):
    """Read-only pages, phone search by exact number, per-object action reports."""

    #: The lookup a whole phone number typed into search is matched against, exactly.
    phone_lookup: str | None = None
    #: Searched through the user model's username and email fields.
    user_lookup: str | None = None
    search_help_text = _("A whole reference, the customer's username or email, or a full "
                         "phone number.")
    list_per_page = 50
    # A second COUNT(*) over the whole table on every page; the filtered count suffices.
    show_full_result_count = False
    # Facets are a COUNT per filter choice over the whole table.
    show_facets = admin.ShowFacets.NEVER
    paginator = BoundedPaginator
    #: Pages stop here: the deepest OFFSET is list_max_pages * list_per_page rows.
    list_max_pages = 100
    #: An unfiltered list of a table estimated above this many rows shows the
    #: planner's estimate (PostgreSQL) instead of counting.
    estimate_count_above = 100_000

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[BoundedChangeList]:
        return BoundedChangeList

    def get_paginator(self, request: HttpRequest, queryset: QuerySet[Any], per_page: int,
                      orphans: int = 0, allow_empty_first_page: bool = True
                      ) -> BoundedPaginator:
        return self.paginator(queryset, per_page, orphans, allow_empty_first_page,
                              max_pages=self.list_max_pages,
                              estimate_count_above=self.estimate_count_above)

    def get_urls(self) -> list[Any]:
        urls = super().get_urls()
        for pattern in urls:
            # The actions call services that commit their intent before calling DOKU;
            # ATOMIC_REQUESTS would hold that commit back until the page is rendered.
            pattern.callback = transaction.non_atomic_requests(pattern.callback)
        return urls

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        # Statuses and DOKU's fields change only through the services (the actions).
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        # Payment records are the audit trail; PROTECT foreign keys back this up.
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None
                            ) -> Iterable[str]:
        # Every field shown, also when a project grants "change": nothing here is edited.
        return flatten_fieldsets(self.get_fieldsets(request, obj))

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[Any],
                           search_term: str) -> tuple[QuerySet[Any], bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        match = whole_value_match(term, self.search_fields, user_lookup=self.user_lookup,
                                  phone_lookup=self.phone_lookup, model=queryset.model)
        # False: every condition matches one row per object, so no duplicates to remove.
        return queryset.filter(match), False

    def label(self, obj: Any) -> str:
        """How the action messages name ``obj``."""
        return str(obj)
