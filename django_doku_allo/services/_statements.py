"""Statements of the hot path compiled once per process, then only executed.

DOKU's notification locks one payment by its unique reference. Building that
``SELECT ... FOR UPDATE`` through the queryset API (clone, filter, compile, resolve
converters) cost about as much CPU as everything else the notification does in
Python; the statement never changes, so it is compiled on first use and kept, per
model, column and database alias. The rows still become model instances through
``Model.from_db`` with the fields' own converters (decryption, JSON, decimals), so
callers see exactly what ``.get()`` gives.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.transaction import TransactionManagementError

__all__ = ["locked_get"]

_M = TypeVar("_M", bound=models.Model)


class _Compiled(NamedTuple):
    sql: str
    attnames: list[str]
    converters: dict[int, tuple[list[Callable[..., Any]], Any]]
    compiler: Any
    field: models.Field[Any, Any]


@functools.lru_cache(maxsize=32)
def _locking_select(model: type[models.Model], column: str, alias: str) -> _Compiled:
    field = model._meta.get_field(column)
    query = model._default_manager.using(alias).select_for_update().filter(
        **{column: _PLACEHOLDER}).query
    compiler = query.get_compiler(alias)
    sql, params = compiler.as_sql()
    if list(params) != [_PLACEHOLDER]:  # the one parameter is the one we pass
        raise ValueError(f"cannot precompile a lock of {model.__name__} by {column}")
    select = [col for col, _, _ in compiler.select]
    return _Compiled(sql, [col.target.attname for col in select],
                     compiler.get_converters(select), compiler, field)


#: A value no real key has, so the compiled statement's one parameter is recognisable.
_PLACEHOLDER = "\x00doku-allo-precompiled\x00"


def locked_get(model: type[_M], column: str, value: Any, *, using: str = DEFAULT_DB_ALIAS
               ) -> _M:
    """``model.objects.select_for_update().get(**{column: value})`` for a unique ``column``.

    Raises ``model.DoesNotExist`` like ``get()``; must run inside ``atomic()``, as
    ``select_for_update`` must.
    """
    connection = connections[using]
    if not connection.in_atomic_block:
        raise TransactionManagementError("locked_get() must run inside atomic().")
    compiled = _locking_select(model, column, using)
    with connection.cursor() as cursor:
        cursor.execute(compiled.sql, [compiled.field.get_db_prep_value(value, connection)])
        rows = cursor.fetchall()
    if not rows:
        raise model.DoesNotExist(f"{model.__name__} matching {column} does not exist.")
    if compiled.converters:
        rows = list(compiled.compiler.apply_converters(rows, compiled.converters))
    return model.from_db(using, compiled.attnames, tuple(rows[0]))
