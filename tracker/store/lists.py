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

__all__ = ["one_of"]


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
