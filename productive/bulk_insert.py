"""Rows inserted by the thousand: `insert_all(objs)`, Django's bulk_create for less (bench/bulk_insert.py: about
a quarter of its CPU time on SQLite, two thirds to nine tenths of it on PostgreSQL).

bulk_create compiles every value of every row through the expression machinery (a placeholder, a pre-save and a
conversion call each), which took most of the time of applying 10,000 payments. This writes the same values (each
field's pre_save and database conversion, as bulk_create does) in one statement per chunk and sets the new primary
keys: on SQLite one INSERT … VALUES … RETURNING, on PostgreSQL one INSERT … SELECT FROM UNNEST with an array per
column (what bulk_create sends there too, built without the per-value compiling). For models with an
auto-incremented key, no multi-table inheritance and no signals that must fire (bulk_create sends none either);
anything else goes to bulk_create.
"""

from __future__ import annotations

from django.db import connections, models, router

# SQLite's limit is the connection's (productive/sqlite_limits.py); this caps a statement's size besides.
MAX_PARAMETERS = 32_766
PER_STATEMENT_ROWS = 5_000  # PostgreSQL: rows per UNNEST statement (one parameter per column, whatever the rows)
# Fields whose database value is the Python value itself when it already has this exact type: their
# get_db_prep_save is then the identity, and Django's conversion chain is skipped for them (a quarter of the cost).
AS_IS = {
    models.CharField: str,
    models.TextField: str,
    models.BooleanField: bool,
    models.IntegerField: int,
    models.BigIntegerField: int,
    models.PositiveIntegerField: int,
    models.SmallIntegerField: int,
    models.PositiveSmallIntegerField: int,
    models.ForeignKey: int,  # to an integer primary key (checked below)
}


def insert_all(objs: list) -> list:
    if not objs:
        return objs
    model = type(objs[0])
    db = connections[router.db_for_write(model)]
    meta = model._meta
    fields = [field for field in meta.concrete_fields if field is not meta.pk]
    if meta.parents or not meta.pk.auto_created:
        return model.objects.bulk_create(objs)
    if db.vendor == "postgresql" and all(_unnestable(field, db) for field in fields):
        return _insert_unnest(db, model, fields, objs)
    if db.vendor != "sqlite" or not db.features.can_return_rows_from_bulk_insert:
        return model.objects.bulk_create(objs)
    quote = db.ops.quote_name
    head = f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(field.column) for field in fields)}) VALUES "
    row = f"({', '.join(['%s'] * len(fields))})"
    returning = f" RETURNING {quote(meta.pk.column)}"
    per_statement = max(1, min(MAX_PARAMETERS, db.features.max_query_params or MAX_PARAMETERS) // len(fields))
    readers = [_reader(field, db) for field in fields]
    for start in range(0, len(objs), per_statement):
        chunk = objs[start : start + per_statement]
        params = []
        for obj in chunk:
            obj._prepare_related_fields_for_save(operation_name="insert_all")  # a related row saved after assignment
            params += [read(obj) for read in readers]
        with db.cursor() as cursor:
            cursor.execute(head + ", ".join([row] * len(chunk)) + returning, params)
            keys = [key for (key,) in cursor.fetchall()]
        _keyed(chunk, keys, db)
    return objs


def _reader(field, db):
    """obj → the field's database value, as bulk_create computes it (pre_save, then get_db_prep_save)."""
    prepare, pre_save = field.get_db_prep_save, field.pre_save
    plain = AS_IS.get(type(field))
    if (
        plain is None
        or type(field).pre_save is not models.Field.pre_save
        or (field.is_relation and not isinstance(field.target_field, models.AutoField))
    ):
        return lambda obj: prepare(pre_save(obj, True), db)
    attname = field.attname

    def read(obj):
        value = getattr(obj, attname)
        return value if value is None or type(value) is plain else prepare(value, db)

    return read


def _unnestable(field, db) -> bool:
    """Django's own test for a column it may send as an array (a per-value placeholder, or a type of no standard
    name, such as an array or geometry field, cannot)."""
    target = field.target_field if field.is_relation else field
    return not hasattr(field, "get_placeholder") and target.get_internal_type() in db.data_types


def _insert_unnest(db, model, fields: list, objs: list) -> list:
    """PostgreSQL: one array per column; the arrays' element types are the columns' own, without lengths (a
    varchar(100)[] cast would truncate silently, as Django notes for its own UNNEST insert)."""
    meta = model._meta
    quote = db.ops.quote_name
    types = [field.db_type(db).split("(")[0] for field in fields]
    readers = [_reader(field, db) for field in fields]
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(field.column) for field in fields)}) "
        f"SELECT * FROM UNNEST({', '.join(f'(%s)::{kind}[]' for kind in types)}) RETURNING {quote(meta.pk.column)}"
    )
    for start in range(0, len(objs), PER_STATEMENT_ROWS):
        chunk = objs[start : start + PER_STATEMENT_ROWS]
        columns: list[list] = [[] for _ in fields]
        for obj in chunk:
            obj._prepare_related_fields_for_save(operation_name="insert_all")
            for column, read in zip(columns, readers, strict=True):
                column.append(read(obj))
        with db.cursor() as cursor:
            cursor.execute(sql, columns)
            keys = [key for (key,) in cursor.fetchall()]
        _keyed(chunk, keys, db)
    return objs


def _keyed(chunk: list, keys: list, db) -> None:
    for obj, key in zip(chunk, keys, strict=True):
        obj.pk = key
        obj._state.adding = False
        obj._state.db = db.alias
