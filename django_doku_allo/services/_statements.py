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

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models
from django.db.models import signals
from django.db.transaction import TransactionManagementError

__all__ = ["insert", "locked_get", "update"]

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


# ------------------------------------------------------------------- writes
# The same for the notification's two writes: the delivery's INSERT and the payment's
# narrow UPDATE. Compiled per column set; values go through each field's own
# ``pre_save`` and ``get_db_prep_save`` (timestamps, encryption, JSON) exactly as
# ``Model.save`` does, and ``pre_save``/``post_save`` are sent as it sends them, so
# receivers and ``auto_now`` columns behave as with ``save()``.


@functools.lru_cache(maxsize=64)
def _insert_sql(model: type[models.Model], alias: str) -> tuple[str, tuple[Any, ...], Any]:
    connection = connections[alias]
    quote = connection.ops.quote_name
    fields = tuple(f for f in model._meta.concrete_fields if not f.primary_key)
    pk = model._meta.pk
    # Identifiers from the model's metadata, quoted; every value is a parameter.
    sql = (f"INSERT INTO {quote(model._meta.db_table)} "  # noqa: S608
           f"({', '.join(quote(f.column) for f in fields)}) "
           f"VALUES ({', '.join('%s' for _ in fields)})")
    if connection.features.can_return_columns_from_insert:
        sql += f" RETURNING {quote(pk.column)}"
    return sql, fields, pk


def insert(obj: models.Model, *, using: str = DEFAULT_DB_ALIAS) -> None:
    """``obj.save(force_insert=True)`` for a model whose primary key the database assigns."""
    model = type(obj)
    connection = connections[using]
    sql, fields, pk = _insert_sql(model, using)
    signals.pre_save.send(sender=model, instance=obj, raw=False, using=using,
                          update_fields=None)
    values = _plain([f.pre_save(obj, True) for f in fields])
    params = [f.get_db_prep_save(v, connection) for f, v in zip(fields, values, strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if connection.features.can_return_columns_from_insert:
            new_pk = cursor.fetchone()[0]
        else:
            new_pk = connection.ops.last_insert_id(cursor, model._meta.db_table, pk.column)
    setattr(obj, pk.attname, new_pk)
    obj._state.adding, obj._state.db = False, using
    signals.post_save.send(sender=model, instance=obj, created=True, raw=False, using=using,
                           update_fields=None)


@functools.lru_cache(maxsize=256)
def _update_sql(model: type[models.Model], names: tuple[str, ...], alias: str
                ) -> tuple[str, tuple[Any, ...]]:
    quote = connections[alias].ops.quote_name
    fields = tuple(model._meta.get_field(name) for name in names)
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    return (f"UPDATE {quote(model._meta.db_table)} SET {assignments} "  # noqa: S608
            f"WHERE {quote(model._meta.pk.column)} = %s"), fields


def update(obj: models.Model, names: list[str], *, using: str = DEFAULT_DB_ALIAS) -> None:
    """``obj.save(update_fields=names)`` for concrete, non-key fields of ``obj``'s model."""
    model = type(obj)
    connection = connections[using]
    update_fields = frozenset(names)
    sql, fields = _update_sql(model, tuple(sorted(update_fields)), using)
    signals.pre_save.send(sender=model, instance=obj, raw=False, using=using,
                          update_fields=update_fields)
    values = _plain([f.pre_save(obj, False) for f in fields])
    params = [f.get_db_prep_save(v, connection) for f, v in zip(fields, values, strict=True)]
    params.append(model._meta.pk.get_db_prep_value(obj.pk, connection))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if cursor.rowcount == 0:
            raise DatabaseError("Save with update_fields did not affect any rows.")
    obj._state.db = using
    signals.post_save.send(sender=model, instance=obj, created=False, raw=False, using=using,
                           update_fields=update_fields)


def _plain(values: list[Any]) -> list[Any]:
    # F(), Now() and the like need the query compiler; the services never assign them.
    if any(hasattr(value, "resolve_expression") for value in values):
        raise TypeError("precompiled writes take plain values; use Model.save() for expressions")
    return values
