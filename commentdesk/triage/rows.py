"""Writing many rows of a model with one ``executemany``.

Django's ``bulk_create`` and ``bulk_update`` build a model instance, or a CASE
expression, per row and compile SQL for each: for the hundreds of Score,
Fingerprint and band rows of a scoring batch that was the largest cost after
the classifier (``bench/triage.py``). Values still go through each field's
``get_db_prep_save``, so they are stored exactly as the ORM stores them, on
SQLite and PostgreSQL alike. No signals are sent (as with ``bulk_create``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import connections, models, router

# Values both drivers (sqlite3, psycopg) take as they are, which integer, float,
# text and binary fields pass on unchanged: no get_db_prep_save call per value.
PLAIN = frozenset({int, float, str, bytes, type(None)})
# Parameters of one multi-row statement; PostgreSQL's protocol allows 65,535.
MAX_PARAMS = 30_000


def execute_many(model: type[models.Model], sql: str, fields: list[str], rows: list[tuple[Any, ...]],
                 multirow: bool = False) -> None:
    """Run ``sql`` (``{table}`` and ``{columns}`` filled in, quoted) once per row with
    one ``executemany``; values are prepared for the database by ``fields``. With
    ``multirow`` (an ``INSERT … VALUES ({values})``), PostgreSQL gets one statement
    with a VALUES list per row instead (at most ``MAX_PARAMS`` parameters each)."""
    meta = model._meta
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    columns = [meta.get_field(name) for name in fields]
    sql = sql.format(table=quote(meta.db_table), columns=", ".join(quote(f.column) for f in columns),
                     values=", ".join(["%s"] * len(columns)),
                     sets=", ".join(f"{quote(f.column)} = %s" for f in columns[:-1]),
                     pk=quote(meta.pk.column))
    prepared: list[dict[Any, Any]] = [{} for _ in columns]  # the same time, prepared once

    def prepare(field: Any, cache: dict[Any, Any], value: Any) -> Any:
        if type(value) in PLAIN:
            return value  # what the field would hand the driver unchanged
        if not isinstance(value, datetime):
            return field.get_db_prep_save(value, connection)
        if value not in cache:
            cache[value] = field.get_db_prep_save(value, connection)
        return cache[value]

    values = [tuple(prepare(f, c, v) for f, c, v in zip(columns, prepared, row)) for row in rows]
    with connection.cursor() as cursor:
        if multirow and connection.vendor == "postgresql":
            # One statement of many VALUES lists: PostgreSQL parses and plans it once
            # (executemany still runs a statement per row on the server).
            head, tail = sql.split("VALUES (", 1)
            one, rest = tail.split(")", 1)
            per = max(1, MAX_PARAMS // max(len(columns), 1))
            for start in range(0, len(values), per):
                chunk = values[start:start + per]
                cursor.execute(head + "VALUES " + ", ".join([f"({one})"] * len(chunk)) + rest,
                               [v for row in chunk for v in row])
        else:
            cursor.executemany(sql, values)


def insert_many(model: type[models.Model], fields: list[str], rows: list[tuple[Any, ...]],
                skip_conflicts: bool = False) -> None:
    """``INSERT`` each row (a value per name in ``fields``); with ``skip_conflicts`` a
    row that breaks a unique constraint is left out (``ON CONFLICT DO NOTHING``,
    SQLite 3.24+ and PostgreSQL), else it raises ``IntegrityError``."""
    execute_many(model, "INSERT INTO {table} ({columns}) VALUES ({values})"
                 + (" ON CONFLICT DO NOTHING" if skip_conflicts else ""), fields, rows, multirow=True)


def update_many(model: type[models.Model], fields: list[str], rows: list[tuple[Any, ...]]) -> None:
    """``UPDATE`` each row ``(value of each of fields…, pk)`` with one ``executemany``."""
    execute_many(model, "UPDATE {table} SET {sets} WHERE {pk} = %s", [*fields, model._meta.pk.name], rows)
