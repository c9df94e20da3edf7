"""What every admin of this app shares: read-only pages, whole-value search, labels."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

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
                                  phone_lookup=self.phone_lookup)
        # False: every condition matches one row per object, so no duplicates to remove.
        return queryset.filter(match), False

    def label(self, obj: Any) -> str:
        """How the action messages name ``obj``."""
        return str(obj)
