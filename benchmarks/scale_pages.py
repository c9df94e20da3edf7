"""Benchmark 3's pages: the admin changelists and the API lists, at full size.

Each page is requested in-process through Django's test client (full middleware, session
login): once to warm up, ``repeat`` times timed, once more with CaptureQueriesContext for
its queries and their database time.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from benchmarks.meters import timed_queries
from benchmarks.scale_data import TYPICAL_PAYMENTS
from benchmarks.stats import summary_ms

#: Above this many payments the unpaginated API list is not measured (a million rows
#: would be a ~450 MB response and minutes of serialising: the 100,000 row says enough).
UNPAGINATED_UP_TO = 100_000


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
        "url": url, "repeat": repeat, "ms": summary_ms(times),
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
    elif "FROM PG_CLASS" in upper:
        what = "count estimate"
    elif upper.startswith("SELECT COUNT(*)") and " LIMIT " in upper:
        what = "COUNT(*) bounded, LIMIT " + upper.rsplit(" LIMIT ", 1)[1].split()[0].rstrip(")")
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
    listed = data.get("results") if isinstance(data, dict) else data
    return len(listed) if isinstance(listed, list) else None


def measure_pages(data: dict[str, Any], *, payments: int, repeat: int) -> dict[str, Any]:
    """Every page measured, by label; ``_``-prefixed keys describe the configuration."""
    from django.conf import settings
    from django.contrib import admin
    from django.test import Client
    from django.urls import NoReverseMatch, reverse
    from django.utils import timezone
    from django.utils.module_loading import import_string
    from rest_framework.pagination import CursorPagination

    from django_doku_allo.conf import doku_settings
    from django_doku_allo.models import Payment

    pages: dict[str, Any] = {}
    total = payments + TYPICAL_PAYMENTS
    staff = Client()
    staff.force_login(data["admin"])
    label = Payment._meta.app_label
    try:
        changelist = reverse(f"admin:{label}_payment_changelist")
    except NoReverseMatch:
        changelist = None
    if changelist is not None:
        payment_admin = admin.site._registry[Payment]
        per_page = payment_admin.list_per_page
        last = math.ceil(total / per_page)
        # The deepest page listed: Django's admin (no bound) lists them all.
        deepest = min(last, getattr(payment_admin, "list_max_pages", last))
        middle_ref = f"ALLOH{payments // 2:026d}"
        # The links of the "Past 7 days" choice of Django's DateFieldListFilter.
        midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
        past_week = urlencode({"created_at__gte": str(midnight - timedelta(days=7)),
                               "created_at__lt": str(midnight + timedelta(days=1))})
        admin_pages = {
            "admin: payments, page 1": changelist,
            f"admin: payments, deepest page listed ({deepest:,})": f"{changelist}?p={deepest}",
        }
        if deepest < last:
            admin_pages[f"admin: payments, page {last:,} asked (the last, by count)"] = \
                f"{changelist}?p={last}"
        admin_pages.update({
            "admin: payments, status=pending, page 1": f"{changelist}?status__exact=pending",
            "admin: payments, created past 7 days, page 1":
                f"{changelist}?{past_week}",
            "admin: payments, search a reference": f"{changelist}?q={middle_ref}",
            "admin: payments, search a full phone number": f"{changelist}?q={data['phone']}",
        })
        for name in ("refund", "binding", "notification"):
            with suppress(NoReverseMatch):
                admin_pages[f"admin: {name}s, page 1"] = reverse(
                    f"admin:{label}_{name}_changelist")
        for label, url in admin_pages.items():
            print(f"  {label} ...", flush=True)
            pages[label] = measure_page(staff, url, repeat)
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
            customer, api, repeat)
        deep = deep_cursor_url(paginator_class, api, data["heavy"], payments - size)
        page = measure_page(customer, deep, repeat)
        assert page["items"] == size, page
        pages[f"API: payments, shipped cursor, last page (rows {payments - size + 1:,}"
              f"-{payments:,})"] = page
    elif paginator_class is not None:
        pages[f"API: payments, shipped {paginator_class.__name__}, page 1"] = measure_page(
            customer, api, repeat)
    offset_size = settings.REST_FRAMEWORK["PAGE_SIZE"]
    last = math.ceil(payments / offset_size)
    with api_pagination("rest_framework.pagination.PageNumberPagination"):
        print("  API: payments, PageNumberPagination ...", flush=True)
        pages[f"API: payments, PageNumberPagination ({offset_size}/page), page 1"] = \
            measure_page(customer, f"{api}?page=1", repeat)
        pages[f"API: payments, PageNumberPagination, last page ({last:,})"] = measure_page(
            customer, f"{api}?page={last}", repeat)
    if payments <= UNPAGINATED_UP_TO:
        with api_pagination(None):
            print(f"  API: payments, no paginator, {payments:,} rows ...", flush=True)
            pages[f"API: payments, API_PAGINATION_CLASS=None: all {payments:,} in one "
                  "response"] = measure_page(customer, api, 1)
    pages["API: refunds, shipped, page 1"] = measure_page(
        customer, reverse("doku_allo_api:refund-list"), repeat)
    pages["API: bindings, shipped, page 1"] = measure_page(
        customer, reverse("doku_allo_api:binding-list"), repeat)
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


@contextmanager
def admin_as_before() -> Iterator[None]:
    """The admin as it was before its lists were bounded (up to commit c0c68aa).

    For before/after figures on the same data: ``date_hierarchy`` on the creation date,
    Django's own Paginator (``COUNT(*)``, every page reachable by ``OFFSET``) and
    ChangeList, facets allowed, every column sortable, the latestTransactionStatus
    filter listing its values with ``SELECT DISTINCT``, and the search's ``OR`` of every
    condition. (The indexes of migration 0005 stay.)
    """
    from django.contrib import admin
    from django.core.paginator import Paginator
    from django.db.models import Q

    from django_doku_allo.admin import base, search
    from django_doku_allo.models import Notification

    hierarchy = {"binding": "created_at", "payment": "created_at", "refund": "created_at",
                 "notification": "received_at"}
    saved: list[tuple[Any, str, Any]] = []

    def patch(obj: Any, name: str, value: Any) -> None:
        saved.append((obj, name, obj.__dict__.get(name, _ABSENT)))
        setattr(obj, name, value)

    def old_match(term: str, fields: Any, *, user_lookup: Any, phone_lookup: Any,
                  model: Any = None) -> Q:
        return original(term, fields, user_lookup=user_lookup, phone_lookup=phone_lookup)

    original = search.whole_value_match
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label != "doku_allo":
            continue
        cls = type(model_admin)
        patch(cls, "date_hierarchy", hierarchy[model._meta.model_name])
        patch(cls, "paginator", Paginator)
        patch(cls, "get_paginator", admin.ModelAdmin.get_paginator)
        patch(cls, "get_changelist", admin.ModelAdmin.get_changelist)
        patch(cls, "show_facets", admin.ShowFacets.ALLOW)
        patch(cls, "sortable_by", None)
        if model is Notification:
            patch(cls, "list_filter", ("verified", "processed", "flagged",
                                       "latest_transaction_status", "received_at"))
    patch(base, "whole_value_match", old_match)
    try:
        yield
    finally:
        for obj, name, value in reversed(saved):
            if value is _ABSENT:
                delattr(obj, name)
            else:
                setattr(obj, name, value)


_ABSENT = object()
