"""Change lists that stay fast at any size: counts, page bound, date ranges, indexed search.

What the SQL must look like, asserted on the captured queries (no timing assertions:
the figures are benchmarks/bench_scale.py's).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib import admin
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from django_doku_allo.models import Binding, Notification, Payment, PaymentStatus
from tests.admin.helpers import PHONE, changelist, make_notification

_COUNT = re.compile(r"^\s*SELECT COUNT\(\*\)", re.IGNORECASE)
_TRUNC = re.compile(r"DATE_TRUNC|django_datetime_trunc|django_date_trunc|DISTINCT",
                    re.IGNORECASE)


def captured_get(client: Client, url: str, data: dict[str, Any] | None = None
                 ) -> tuple[Any, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, data or {})
    assert response.status_code == 200, response.status_code
    return response, [query["sql"] for query in captured.captured_queries]


def doku_allo_sql(queries: list[str]) -> list[str]:
    """The queries on this app's tables (not the session's or the user's)."""
    return [sql for sql in queries if "doku_allo_" in sql]


@pytest.fixture
def payment_admin() -> Any:
    """The registered PaymentAdmin (set its attributes through monkeypatch)."""
    return admin.site._registry[Payment]


@pytest.fixture
def payments(make_binding: Callable[..., Binding], make_payment: Callable[..., Payment]
             ) -> Callable[[int], list[Payment]]:
    binding_of: dict[str, Binding] = {}

    def make(count: int) -> list[Payment]:
        if "one" not in binding_of:
            binding_of["one"] = make_binding(phone_number=PHONE)
        binding = binding_of["one"]
        return [make_payment(binding=binding, status=PaymentStatus.SUCCEEDED)
                for _ in range(count)]

    return make


# --------------------------------------------------------------------------- queries
@pytest.mark.django_db
@pytest.mark.parametrize("query", [{}, {"p": "2"}, {"status__exact": "succeeded"},
                                   {"q": PHONE}, {"p": "999"}])
def test_payment_changelist_query_count_is_the_same_at_60_rows_as_at_6(
        admin_client: Client, payment_admin: Any, monkeypatch: pytest.MonkeyPatch,
        payments: Callable[[int], list[Payment]], query: dict[str, str]) -> None:
    monkeypatch.setattr(payment_admin, "list_per_page", 5)
    payments(6)
    few = len(captured_get(admin_client, changelist("payment"), query)[1])
    payments(54)
    assert len(captured_get(admin_client, changelist("payment"), query)[1]) == few


@pytest.mark.django_db
@pytest.mark.parametrize("model", ["binding", "payment", "refund", "notification"])
def test_every_count_a_changelist_runs_is_bounded_by_a_limit(
        admin_client: Client, payments: Callable[[int], list[Payment]], model: str) -> None:
    for payment in payments(3):
        make_notification(payment)

    for query in ({}, {"q": PHONE}):
        counts = [sql for sql in doku_allo_sql(
            captured_get(admin_client, changelist(model), query)[1]) if _COUNT.match(sql)]
        assert counts, "a small table is counted (exactly, below the bound)"
        assert all(re.search(r"\bLIMIT\b", sql, re.IGNORECASE) for sql in counts), counts


@pytest.mark.django_db
def test_unfiltered_page_on_postgresql_takes_the_planners_estimate_and_counts_nothing(
        admin_client: Client, payment_admin: Any, monkeypatch: pytest.MonkeyPatch,
        payments: Callable[[int], list[Payment]]) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the row estimate is PostgreSQL's pg_class.reltuples; set DATABASE_URL")
    payments(30)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Payment._meta.db_table}")
    # Counted exactly below this estimate; a real site's default is 100,000 rows.
    monkeypatch.setattr(payment_admin, "estimate_count_above", 10)

    response, queries = captured_get(admin_client, changelist("payment"))

    assert not [sql for sql in doku_allo_sql(queries) if _COUNT.match(sql)]
    assert any("pg_class" in sql for sql in queries)
    assert "about 30 Allo Bank payments" in response.content.decode()
    # A filtered page counts, bounded.
    filtered = captured_get(admin_client, changelist("payment"),
                            {"status__exact": "succeeded"})[1]
    assert [sql for sql in filtered if _COUNT.match(sql) and "LIMIT" in sql.upper()]


# --------------------------------------------------------------------------- dates
@pytest.mark.django_db
@pytest.mark.parametrize("model", ["binding", "payment", "refund", "notification"])
def test_no_changelist_runs_a_date_drill_down(
        admin_client: Client, payments: Callable[[int], list[Payment]], model: str) -> None:
    for payment in payments(2):
        make_notification(payment)

    response, queries = captured_get(admin_client, changelist(model))

    assert not response.context["cl"].date_hierarchy
    assert not [sql for sql in queries if _TRUNC.search(sql)]


@pytest.mark.django_db
@pytest.mark.parametrize(("model", "field"), [("payment", "created_at"),
                                              ("notification", "received_at")])
def test_the_date_filter_is_a_range_on_the_indexed_column(
        admin_client: Client, payments: Callable[[int], list[Payment]], model: str,
        field: str) -> None:
    recent, old = payments(2)
    for payment in (recent, old):
        make_notification(payment)
    Payment.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
    Notification.objects.filter(payment=old).update(
        received_at=timezone.now() - timedelta(days=40))
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    # What the filter's "Past 7 days" link sends.
    past_week = {f"{field}__gte": str(midnight - timedelta(days=7)),
                 f"{field}__lt": str(midnight + timedelta(days=1))}

    page = admin_client.get(changelist(model)).content.decode()
    response, queries = captured_get(admin_client, changelist(model), past_week)

    assert "Past 7 days" in page
    assert "This month" in page
    listed = list(response.context["cl"].result_list)
    assert [getattr(obj, "payment", obj) for obj in listed] == [recent]
    rows = [sql for sql in doku_allo_sql(queries) if "ORDER BY" in sql]
    assert rows
    for sql in rows:
        assert re.search(rf'"{field}" >= ', sql), sql
        assert re.search(rf'"{field}" < ', sql), sql
        assert not _TRUNC.search(sql), sql


# --------------------------------------------------------------------------- deep pages
@pytest.mark.django_db
def test_a_page_beyond_the_bound_shows_the_last_page_listed_and_says_why(
        admin_client: Client, payment_admin: Any, monkeypatch: pytest.MonkeyPatch,
        payments: Callable[[int], list[Payment]]) -> None:
    monkeypatch.setattr(payment_admin, "list_per_page", 2)
    monkeypatch.setattr(payment_admin, "list_max_pages", 3)
    made = payments(9)

    response = admin_client.get(changelist("payment"), {"p": "500"})

    assert response.status_code == 200
    cl = response.context["cl"]
    assert cl.page_num == 3
    assert cl.paginator.num_pages == 3
    assert cl.page_clamped_from == 500
    # Newest first: the third page of two.
    assert list(cl.result_list) == sorted(made, key=lambda p: (p.created_at, p.pk),
                                          reverse=True)[4:6]
    page = response.content.decode()
    assert "Page 500 is beyond the last page listed (3)" in page
    assert "more than 6 Allo Bank payments" in page
    assert "the first 3 pages are listed" in page
    assert 'href="?p=4"' not in page


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["0", "-3"])
def test_a_page_number_below_one_is_page_one(
        admin_client: Client, payments: Callable[[int], list[Payment]], page: str) -> None:
    payments(2)

    response = admin_client.get(changelist("payment"), {"p": page})

    assert response.status_code == 200
    assert response.context["cl"].page_num == 1


@pytest.mark.django_db
def test_a_page_beyond_a_short_list_is_its_last_page_not_an_error(
        admin_client: Client, payments: Callable[[int], list[Payment]]) -> None:
    payments(2)

    response = admin_client.get(changelist("payment"), {"p": "7"})

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 2
    assert "2 Allo Bank payments" in response.content.decode()


# --------------------------------------------------------------------------- search
@pytest.mark.django_db
def test_a_phone_search_filters_the_page_on_binding_ids_alone(
        admin_client: Client, payments: Callable[[int], list[Payment]]) -> None:
    made = payments(3)
    binding_id = made[0].binding_id

    response, queries = captured_get(admin_client, changelist("payment"), {"q": PHONE})

    assert set(response.context["cl"].result_list) == set(made)
    rows = [sql for sql in doku_allo_sql(queries)
            if sql.lstrip().upper().startswith("SELECT") and "ORDER BY" in sql
            and 'FROM "doku_allo_payment"' in sql]
    assert rows
    for sql in rows:
        where = sql.split(" WHERE ", 1)[1].split(" ORDER BY ", 1)[0]
        # An index range in the list's order, not a BitmapOr of every reference column.
        assert re.fullmatch(rf'\(?"doku_allo_payment"\."binding_id" IN \({binding_id}\)\)?',
                            where.strip()), where


@pytest.mark.django_db
def test_a_term_that_is_both_a_reference_and_a_phone_finds_both(
        admin_client: Client, payments: Callable[[int], list[Payment]],
        make_binding: Callable[..., Binding], make_payment: Callable[..., Payment],
        django_user_model: Any) -> None:
    by_phone = payments(1)[0]
    other = django_user_model.objects.create_user(username="budi", password="x")
    by_order = make_payment(binding=make_binding(user=other, phone_number="6281199999999"),
                            order_id=PHONE)

    response = admin_client.get(changelist("payment"), {"q": PHONE})

    assert set(response.context["cl"].result_list) == {by_phone, by_order}


@pytest.mark.django_db
def test_only_indexed_columns_sort(admin_client: Client,
                                   payments: Callable[[int], list[Payment]]) -> None:
    payments(1)

    cl = admin_client.get(changelist("payment")).context["cl"]
    payment_admin = admin.site._registry[Payment]

    assert set(cl.sortable_by) == {"reference", "order", "created"}
    indexed = {field for index in Payment._meta.indexes for field in index.fields}
    for name in cl.sortable_by:
        # A column sorts by the model field its display names (admin_order_field).
        ordering = getattr(payment_admin, name).admin_order_field
        field = Payment._meta.get_field(ordering)
        assert field.db_index or field.unique or ordering in indexed, ordering
