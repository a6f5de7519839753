"""Reading and writing the many rows of a scoring batch in few, short statements.

Django's ``bulk_create`` and ``bulk_update`` build a model instance, or a CASE
expression, per row and compile SQL for each; an ``__in`` lookup writes one
placeholder per value. For the hundreds of Score, Fingerprint and band rows of
a scoring batch that was the largest cost after the classifier
(``bench/triage.py``), and on PostgreSQL it was mostly spent in the client:
psycopg turns each long query text into the server's form in Python, again for
every new text. Here:

- :func:`insert_many` and :func:`update_many` write every row with one
  statement on PostgreSQL, each column one array parameter (``unnest``), and
  with one ``executemany`` elsewhere (SQLite runs it in its own C loop); on
  PostgreSQL a JSON column is one JSON array parameter, serialised at once;
- the ``any`` lookup (``Model.objects.filter(key__any=values)``) is ``= ANY(%s)``
  with one array parameter on PostgreSQL and ``IN (SELECT value FROM
  json_each(%s))`` with one JSON parameter on SQLite, so the SQL text stays
  short and the same whatever the number of values (``IN (…)`` elsewhere);
- :func:`chunks` cuts a list of values for such lookups: all at once on
  PostgreSQL and SQLite, ``CHUNK`` at a time where each value is a parameter.

Values still go through each field's ``get_db_prep_save``, so they are stored
exactly as the ORM stores them. No signals are sent (as with ``bulk_create``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections, models, router
from django.db.models.functions import MD5
from django.db.models.lookups import In
from django.utils.datastructures import OrderedSet

# Values both drivers (sqlite3, psycopg) take as they are, which integer, float,
# text and binary fields pass on unchanged: a column of only these is not
# prepared value by value.
PLAIN = frozenset({int, float, str, bytes, type(None)})
# Values per ``__any`` query where each is a parameter (SQLite allows 32,766 in
# one statement since 3.32, 999 before).
CHUNK = 500


# Column types (PostgreSQL's and SQLite's names) whose values are Python ints as they are.
INTEGER_TYPES = frozenset({"smallint", "integer", "bigint"})


class AnyOf(In):
    """``field__any=[…]``: the rows whose field equals one of the values.

    ``IN (%s, %s, …)`` like ``__in`` on SQLite; on PostgreSQL ``field =
    ANY(%s::type[])``, the values one array parameter. Raises
    ``EmptyResultSet`` (no rows, no query) for an empty list, as ``__in`` does.
    """

    lookup_name = "any"

    def get_prep_lookup(self) -> Any:
        """The values as they are when they are all ``int`` and the field (or the
        field a foreign key points to) prepares an int as itself (Django's
        ``IntegerField`` and its subclasses, the auto fields among them); else
        ``__in``'s preparation, a call per value (a batch's 4,000 band keys: 1 %
        of a scoring batch's CPU time, py-spy)."""
        field = getattr(self.lhs, "output_field", None)
        while field is not None and field.is_relation and getattr(field, "target_field", None) is not None:
            field = field.target_field
        if (self.prepare_rhs and isinstance(self.rhs, (list, tuple))
                and getattr(type(field), "get_prep_value", None) is models.IntegerField.get_prep_value
                and all(type(v) is int for v in self.rhs)):
            return list(self.rhs)
        return super().get_prep_lookup()

    def _prepared_values(self, compiler: Any, connection: Any) -> list[Any]:
        """The distinct values, None left out, as the field hands them to the
        driver. Raises ``EmptyResultSet`` when none is left."""
        values = OrderedSet(self.rhs)
        values.discard(None)
        if not values:
            raise EmptyResultSet
        if self.lhs.output_field.cast_db_type(connection) in INTEGER_TYPES and all(type(v) is int for v in values):
            return list(values)  # an int is its own database value in an integer column
        return list(self.batch_process_rhs(compiler, connection, list(values))[1])

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        """``lhs = ANY(%s::type[])`` and its parameters. Integers of an integer
        column go as one array literal (``'{1,2,3}'``), which the server parses:
        psycopg quoting thousands of values one by one in Python (a batch's 4,000
        band keys) was some 5 % of a scoring batch's CPU time (py-spy)."""
        if not self.rhs_is_direct_value():
            return super().as_sql(compiler, connection)
        params: list[Any] | str = self._prepared_values(compiler, connection)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        db_type = self.lhs.output_field.cast_db_type(connection)
        if db_type in INTEGER_TYPES and all(type(v) is int for v in params):
            params = "{" + ",".join(map(str, params)) + "}"
        return f"{lhs} = ANY(%s::{db_type}[])", (*lhs_params, params)

    def as_sqlite(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        """``lhs IN (SELECT value FROM json_each(%s))``, the values one JSON array
        parameter (SQLite's JSON functions, which Django's JSONField needs too);
        ``IN (%s, …)`` for any other value (:func:`_json_plain`). The
        lookup index is still used (``EXPLAIN QUERY PLAN``: ``key=?``), and
        Django no longer prepares and binds each value on its own: campaign
        CPU time 0.13 → 0.10 ms a comment (bench/triage.py, SQLite)."""
        if not self.rhs_is_direct_value():
            return super().as_sql(compiler, connection)
        params = self._prepared_values(compiler, connection)
        if not all(_json_plain(v) for v in params):
            return super().as_sql(compiler, connection)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} IN (SELECT value FROM json_each(%s))", (*lhs_params, json.dumps(params))


def _json_plain(value: Any) -> bool:
    """Whether ``value`` comes back from SQLite's ``json_each`` as itself: a 64-bit
    integer (a larger one comes back a float, equal to the nearest integer
    SQLite has) or a text without NUL (``json_each`` ends a text at NUL). Not
    floats (NaN and infinities are no JSON) nor bool."""
    if type(value) is int:
        return -(2**63) <= value < 2**63
    return type(value) is str and "\x00" not in value


# On every field, and on foreign keys (whose lookups are their own) for ``thread_id__any``.
models.Field.register_lookup(AnyOf)
models.ForeignObject.register_lookup(AnyOf)


def chunks(model: type[models.Model], values: list[Any]) -> Iterator[list[Any]]:
    """``values`` in slices for one ``__any`` query each on ``model``'s database:
    one slice on PostgreSQL and SQLite (one parameter for all), ``CHUNK``
    values a slice elsewhere. Nothing for an empty list."""
    size = len(values) if _vendor(model) in ("postgresql", "sqlite") else CHUNK
    for start in range(0, len(values), max(size, 1)):
        yield values[start:start + size]


def _vendor(model: type[models.Model]) -> str:
    return connections[router.db_for_write(model)].vendor


def _prepared(connection: Any, field: Any, values: tuple[Any, ...]) -> list[Any]:
    """One column's values as ``field`` hands them to the driver, judged once per
    column: plain values as they are (an int of a float field as a float: an
    array parameter holds one type), each distinct datetime prepared once,
    anything else value by value."""
    kinds = set(map(type, values))
    if kinds <= PLAIN and not isinstance(field, models.JSONField):  # a JSON text is not the text
        if int in kinds and isinstance(field, models.FloatField):
            return [v if v is None else float(v) for v in values]
        return list(values)
    if kinds <= {datetime, type(None)}:
        prepared = {v: field.get_db_prep_save(v, connection) for v in set(values)}
        return [prepared[v] for v in values]
    return [field.get_db_prep_save(v, connection) for v in values]


# A jsonb[] of the elements of one jsonb array parameter, in order.
JSON_ARRAY = "ARRAY(SELECT e FROM jsonb_array_elements(%b::text::jsonb) WITH ORDINALITY AS t(e, n) ORDER BY n)"
# Characters of JSON text above which a column goes value by value (PostgreSQL's jsonb
# array holds at most 256 MB; a custom scorer's large details reached it).
JSON_ARRAY_LIMIT = 64 * 2**20
# What a JSONField stores as a JSON document, not SQL NULL nor an expression.
JSON_DOCUMENT = frozenset({dict, list, str, int, float, bool})


def _json_documents(values: tuple[Any, ...]) -> bool:
    """Whether every value of a JSONField column is a JSON document as it is
    (None, stored as SQL NULL, and expressions go value by value)."""
    return set(map(type, values)) <= JSON_DOCUMENT


def _binding_cursor(connection: Any) -> Any:
    """A cursor of ``connection`` (PostgreSQL) that sends parameters apart from
    the SQL text, in binary with ``%b``: an array of thousands of values is
    then packed by psycopg's C dumpers instead of being quoted into the text
    (measured: a 4,000-row band insert from 37 to 8 ms of CPU). Wrapped as
    Django wraps its own cursors, so query logging and execute wrappers see it."""
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.ensure_connection()
    raw = ServerBindingCursor(connection.connection)
    return connection.make_debug_cursor(raw) if connection.queries_logged else connection.make_cursor(raw)


def _write(model: type[models.Model], fields: list[str], rows: list[tuple[Any, ...]],
           array_sql: str, row_sql: str, returning: list[str] | None = None,
           where: dict[str, Any] | None = None, spread: int | None = None) -> list[tuple[Any, ...]] | None:
    """Run ``array_sql`` once with a column-array parameter per field (PostgreSQL),
    else ``row_sql`` once per row with ``executemany``. Both get ``{table}``,
    ``{columns}`` (quoted) and ``{arrays}`` (``%b::type[]`` per field; a column of
    ints in an integer column ``%t::type[]``, one array literal, as :class:`AnyOf`
    sends them: 4,000 ints are joined in 0.9 ms, dumped by psycopg in 1.6) filled in;
    ``{select}`` is ``v.c0, v.c1, …`` but ``unnest(v.cN::type[])`` for column
    ``spread``, whose values are lists of ints (one array literal a row: on
    PostgreSQL a row is stored per int; elsewhere the caller spreads them).
    With ``returning`` (field names), on PostgreSQL the written rows' values of
    those fields (``RETURNING``); None otherwise. ``where`` ({field name: value}):
    ``{where}`` becomes `` AND "column" = %s`` for each, with the values
    prepared as the field prepares them (after the arrays; after each row's
    values with ``executemany``)."""
    if not rows:
        return [] if returning and connections[router.db_for_write(model)].vendor == "postgresql" else None
    meta = model._meta
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    columns = [meta.get_field(name) for name in fields]

    values = list(zip(*rows))
    # PostgreSQL: a JSON column of JSON documents only is one JSON array parameter (one
    # json.dumps for the column), made a jsonb[] by the server; json.dumps and psycopg's
    # dumper once per value were about a quarter of a 500-Score insert (33 → 25 µs a row).
    # Not past JSON_ARRAY_LIMIT: the server refuses a jsonb array of over 256 MB.
    whole: list[str | None] = [None] * len(columns)
    literal: list[str | None] = [None] * len(columns)  # PostgreSQL: an integer column as one array literal
    for n, (f, column) in enumerate(zip(columns, values)):
        if connection.vendor == "postgresql" and isinstance(f, models.JSONField) and _json_documents(column):
            text = json.dumps(list(column), cls=f.encoder)
            whole[n] = text if len(text) <= JSON_ARRAY_LIMIT else None
        elif connection.vendor == "postgresql" and n == spread:
            literal[n] = "{" + ",".join('"{' + ",".join(map(str, ints)) + '}"' for ints in column) + "}"
        elif (connection.vendor == "postgresql" and f.cast_db_type(connection) in INTEGER_TYPES
              and all(type(v) is int for v in column)):
            literal[n] = "{" + ",".join(map(str, column)) + "}"
    names = dict(table=quote(meta.db_table), columns=", ".join(quote(f.column) for f in columns),
                 pk=quote(meta.pk.column),
                 arrays=", ".join(JSON_ARRAY if one is not None else "%t::text[]" if n == spread
                                  else f"%t::{f.cast_db_type(connection)}[]" if literal[n] is not None
                                  else f"%b::{f.cast_db_type(connection)}[]"
                                  for n, (f, one) in enumerate(zip(columns, whole))),
                 select=", ".join(f"unnest(v.c{n}::{f.cast_db_type(connection)}[])" if n == spread else f"v.c{n}"
                                  for n, f in enumerate(columns)),
                 sets=", ".join(f"{quote(f.column)} = %s" for f in columns[:-1]),
                 from_arrays=", ".join(f"{quote(f.column)} = v.c{i}" for i, f in enumerate(columns[:-1])),
                 aliases=", ".join(f"c{i}" for i in range(len(columns))), last=f"c{len(columns) - 1}",
                 where="".join(f" AND {quote(meta.db_table)}.{quote(meta.get_field(name).column)} = %s"
                               for name in where or {}))
    arrays = [one if one is not None else text if text is not None else _prepared(connection, f, column)
              for f, column, one, text in zip(columns, values, whole, literal)]
    if any(value is None for value in (where or {}).values()):
        raise ValueError("update_many: a where value cannot be None (SQL's = NULL matches no row)")
    conditions = [meta.get_field(name).get_db_prep_save(value, connection) for name, value in (where or {}).items()]
    if connection.vendor == "postgresql":
        sql = array_sql.format(**names)
        if returning:
            sql += " RETURNING " + ", ".join(quote(meta.get_field(name).column) for name in returning)
        with _binding_cursor(connection) as cursor:
            cursor.execute(sql, [*arrays, *conditions])
            return [tuple(row) for row in cursor.fetchall()] if returning else None
    with connection.cursor() as cursor:
        cursor.executemany(row_sql.format(**names), [(*row, *conditions) for row in zip(*arrays)])
    return None


def insert_many(model: type[models.Model], fields: list[str], rows: list[tuple[Any, ...]],
                skip_conflicts: bool = False, returning: list[str] | None = None,
                spread: str | None = None) -> list[tuple[Any, ...]] | None:
    """``INSERT`` each row (a value per name in ``fields``); with ``skip_conflicts`` a
    row that breaks a unique constraint is left out (``ON CONFLICT DO NOTHING``,
    SQLite 3.24+ and PostgreSQL), else it raises ``IntegrityError`` (and none is stored).
    With ``returning`` (field names, e.g. ``["comment", "id"]``): on PostgreSQL a
    tuple of those values per row inserted (none for a conflict left out), in
    one statement with the insert; None on other databases (read them back).
    ``spread`` (the name of an integer field): each row gives a list of ints
    for it and stands for one row per int, the other values repeated (a
    fingerprint's eight bands: on PostgreSQL the repeated values travel once)."""
    conflict = " ON CONFLICT DO NOTHING" if skip_conflicts else ""
    at = None if spread is None else fields.index(spread)
    if at is not None and not all(type(v) is int for row in rows for v in row[at]):
        raise TypeError(f"insert_many: the values of {spread} must be lists of ints")
    if at is not None and _vendor(model) != "postgresql":
        rows = [(*row[:at], value, *row[at + 1:]) for row in rows for value in row[at]]
        at = None
    return _write(model, fields, rows,
                  "INSERT INTO {table} ({columns}) SELECT {select} FROM unnest({arrays}) AS v({aliases})" + conflict,
                  "INSERT INTO {table} ({columns}) VALUES (" + ", ".join(["%s"] * len(fields)) + ")" + conflict,
                  returning, spread=at)


def update_many(model: type[models.Model], fields: list[str], rows: list[tuple[Any, ...]],
                where: dict[str, Any] | None = None) -> None:
    """``UPDATE`` each row ``(value of each of fields…, pk)``: ``rows`` give the new
    values and, last, the primary key of the row to change. ``where`` ({field
    name: value}): only rows that hold those values as stored are changed
    (e.g. ``{"language": ""}``: a language not yet set); a foreign key's value
    is the id. Raises ``ValueError`` for a None value (``= NULL`` is never true)."""
    _write(model, [*fields, model._meta.pk.name], rows,
           "UPDATE {table} SET {from_arrays} FROM unnest({arrays}) AS v({aliases}) WHERE {table}.{pk} = v.{last}"
           "{where}",
           "UPDATE {table} SET {sets} WHERE {pk} = %s{where}", where=where)


def digest(text: str) -> str:
    """Hex MD5 of ``text`` in UTF-8, as the database's ``MD5()`` gives it (Django's
    :class:`~django.db.models.functions.MD5`): a checksum telling one stored text
    from another, not a secret."""
    return hashlib.md5((text or "").encode("utf-8", "surrogatepass"), usedforsecurity=False).hexdigest()


def changed_since(comments: list[Any], lock: bool = False) -> dict[int, str]:
    """Which of ``comments`` (loaded Comment instances) changed in the database
    since they were loaded: ``{id: "removed"}`` for one removed or deleted
    meanwhile (an erasure), ``{id: "edited"}`` for one whose stored text is no
    longer the loaded one (the author's or a moderator's edit). Compares
    :func:`digest` with the database's ``MD5()`` of the body, so no text travels
    back (one query per chunk). With ``lock`` (inside a transaction) the same
    query also locks the rows, ``FOR NO KEY UPDATE`` in id order (other tables'
    keys to them stay free), until the transaction ends: what it found stays
    true until then."""
    from commentdesk.comments.models import Comment

    loaded = {c.pk: digest(c.body) for c in comments}
    changed = dict.fromkeys(loaded, "removed")  # until found
    rows = Comment.objects.select_for_update(no_key=True).order_by("pk") if lock else Comment.objects
    for chunk in chunks(Comment, list(loaded)):
        for pk, text, status in rows.filter(pk__any=chunk).values_list("pk", MD5("body"), "status"):
            if status != Comment.Status.REMOVED:
                if text == loaded[pk]:
                    del changed[pk]
                else:
                    changed[pk] = "edited"
    return changed
