"""``column IN (values)`` written the way each backend parses cheaply.

SQLAlchemy renders ``in_(values)`` as one bound parameter per value, so every list length is a
new statement text: on PostgreSQL psycopg converts (and the server plans) each afresh, which a
baseline page of thousands of ids pays many times. There ``column = ANY(:array)`` keeps one
statement text for every length (psycopg caches its conversion and may prepare it). SQLite has
no arrays and parses the expanded list quickly, so it keeps ``IN``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, any_, bindparam
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

__all__ = ["one_of", "one_of_param"]


def one_of(session: Session, column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    """``column`` is one of ``values``: ``= ANY(array)`` on PostgreSQL, ``IN (...)`` elsewhere.

    Args:
        session: decides the backend (its bind's dialect).
        column: a mapped column (its SQL type types the array).
        values: plain values of the column's type; an empty list matches nothing on both backends.
    """
    values = list(values)
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=postgresql.ARRAY(column.type)))
    return column.in_(values)


def one_of_param(column: Any, name: str, *, postgresql_arrays: bool) -> ColumnElement[bool]:
    """:func:`one_of` for a statement built once and run many times: the list is bound at run time
    as parameter ``name`` (a list of plain values).

    Args:
        postgresql_arrays: the statement runs on PostgreSQL (``= ANY(:name)``); else an
            expanding ``IN`` (one parameter per value, rendered at run time).
    """
    if postgresql_arrays:
        return column == any_(bindparam(name, type_=postgresql.ARRAY(column.type)))
    return column.in_(bindparam(name, expanding=True))
