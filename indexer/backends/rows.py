"""Pydantic models as flat storage rows: one column per model field, named as the field.

Scalars (str, int, float, bool, Literal, Optional of those) are stored as they are (bools as 0/1);
anything else (lists, dicts, nested models) as JSON text. Column lists come from `model_fields`,
so a field added to Fact or Check is stored and loaded back without a storage edit.
"""
from __future__ import annotations

import json
import types
import typing
from functools import lru_cache
from typing import Any, Literal, Optional, Union

from pydantic import BaseModel


def _base(annotation: Any) -> Any:
    """The annotation without Optional[...]."""
    if typing.get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def kind_of(annotation: Any) -> str:
    """bool | int | float | str | json: how a field of this type is stored."""
    base = _base(annotation)
    if typing.get_origin(base) is Literal:
        values = typing.get_args(base)
        return "str" if all(isinstance(v, str) for v in values) else "json"
    for t, name in ((bool, "bool"), (int, "int"), (float, "float"), (str, "str")):
        if base is t:
            return name
    return "json"


SQL_TYPES = {"bool": "INTEGER", "int": "INTEGER", "float": "REAL", "str": "TEXT", "json": "TEXT"}


def model_columns(cls: type[BaseModel]) -> list[str]:
    return list(cls.model_fields)


@lru_cache(maxsize=None)
def field_kinds(cls: type[BaseModel]) -> dict[str, str]:
    return {name: kind_of(f.annotation) for name, f in cls.model_fields.items()}


def table_sql(table: str, cls: type[BaseModel], extra: Optional[dict[str, str]] = None) -> str:
    """CREATE TABLE with `extra` columns first, then one column per field (names quoted: `table`,
    `column` are SQL keywords)."""
    cols = dict(extra or {})
    cols.update({name: SQL_TYPES[k] for name, k in field_kinds(cls).items() if name not in cols})
    return f"CREATE TABLE {table} (" + ", ".join(f'"{n}" {t}' for n, t in cols.items()) + ")"


def model_to_row(model: BaseModel) -> dict:
    kinds = field_kinds(type(model))
    row = model.model_dump(mode="json")
    for name, k in kinds.items():
        if k == "bool" and row[name] is not None:
            row[name] = int(row[name])
        elif k == "json" and row[name] is not None:
            row[name] = json.dumps(row[name], ensure_ascii=False)
    return row


def model_from_row(cls: type[BaseModel], row) -> BaseModel:
    """The model from a stored row (a dict or sqlite3.Row). Rows were validated when written, so the
    model is constructed without validation; columns the row lacks, or holds NULL in, take the
    field's default."""
    keys = row.keys()
    values = {}
    for name, k in field_kinds(cls).items():
        if name not in keys:
            continue
        v = row[name]
        if v is None and not cls.model_fields[name].is_required():
            continue  # NULL in a column added after the row was written: the field's default
        if v is not None:
            if k == "bool":
                v = bool(v)
            elif k == "json" and isinstance(v, str):
                v = json.loads(v)
        values[name] = v
    return cls.model_construct(**values)


def insert_sql(table: str, columns: list[str]) -> str:
    return (f"INSERT INTO {table} (" + ", ".join(f'"{c}"' for c in columns) + ") VALUES ("
            + ",".join("?" * len(columns)) + ")")
