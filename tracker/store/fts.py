"""The SQLite full-text index of release titles and artifact names (FTS5, trigram tokenizer).

``q`` on the history is a case-insensitive substring of a release title or an artifact name.
On SQLite that is a scan of every row; the FTS5 ``trigram`` tokenizer indexes every three
characters, so a phrase query of three or more characters finds the rows containing that
substring (case folded) from the index (SQLite >= 3.34). The index keeps no positions
(``detail=none``, a third of the size): a query asks for every trigram of the term, which finds a
superset of the rows containing it, and the caller confirms each with ``LIKE``. The tables are *external content*
(``content=``): they store the index only and read the text from ``releases`` / ``artifacts``;
triggers keep them in step with every insert, delete and title/name update.

Alembic's batch mode recreates a table on SQLite to alter it, which drops its triggers, so
``repair`` (run after every upgrade, ``tracker.store.db.upgrade``) recreates missing triggers
and rebuilds the index from the tables. PostgreSQL needs none of this: its pg_trgm GIN indexes
answer ``ILIKE`` directly.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

#: (FTS table, content table, indexed column)
INDEXES = (("releases_fts", "releases", "title"), ("artifacts_fts", "artifacts", "name"))

#: Names the schema comparison (Alembic autogenerate) must ignore: the FTS tables and the shadow
#: tables FTS5 creates for them (``<name>_data``, ``_idx``, ``_docsize``, ``_config``).
FTS_TABLE_PREFIXES = tuple(fts for fts, _, _ in INDEXES)


def is_fts_table(name: str | None) -> bool:
    """True for an FTS table or one of its shadow tables (see ``FTS_TABLE_PREFIXES``)."""
    return bool(name) and any(name == p or name.startswith(p + "_") for p in FTS_TABLE_PREFIXES)


def _triggers(fts: str, table: str, column: str) -> dict[str, str]:
    insert = f"INSERT INTO {fts}(rowid, {column}) VALUES (new.id, new.{column});"
    delete = f"INSERT INTO {fts}({fts}, rowid, {column}) VALUES ('delete', old.id, old.{column});"
    return {
        f"{fts}_ai": f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN {insert} END",
        f"{fts}_ad": f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN {delete} END",
        f"{fts}_au": f"CREATE TRIGGER {fts}_au AFTER UPDATE OF {column} ON {table} BEGIN {delete} {insert} END",
    }


def create(conn: Connection) -> None:
    """Create the FTS tables and their triggers and index the existing rows (SQLite only; no-op elsewhere)."""
    if conn.dialect.name != "sqlite":
        return
    for fts, table, column in INDEXES:
        options = f"content='{table}', content_rowid='id', tokenize='trigram', detail='none'"
        conn.execute(text(f"CREATE VIRTUAL TABLE {fts} USING fts5({column}, {options})"))
        for ddl in _triggers(fts, table, column).values():
            conn.execute(text(ddl))
        conn.execute(text(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')"))


def drop(conn: Connection) -> None:
    """Drop the triggers and FTS tables made by ``create`` (SQLite only)."""
    if conn.dialect.name != "sqlite":
        return
    for fts, table, column in INDEXES:
        for name in _triggers(fts, table, column):
            conn.execute(text(f"DROP TRIGGER IF EXISTS {name}"))
        conn.execute(text(f"DROP TABLE IF EXISTS {fts}"))


def repair(conn: Connection) -> list[str]:
    """Recreate missing sync triggers of existing FTS tables and rebuild those indexes (SQLite only).

    Returns:
        list[str]: the FTS tables that were rebuilt (empty when everything was in place).
    """
    if conn.dialect.name != "sqlite":
        return []
    present = set(conn.scalars(text("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")))
    rebuilt = []
    for fts, table, column in INDEXES:
        triggers = _triggers(fts, table, column)
        if fts not in present or set(triggers) <= present:
            continue
        for name, ddl in triggers.items():
            if name not in present:
                conn.execute(text(ddl))
        conn.execute(text(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')"))
        rebuilt.append(fts)
    return rebuilt
