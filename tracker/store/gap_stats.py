"""Per-lab cadence statistics maintained by triggers (SQLite and PostgreSQL): one
``release_gaps`` row per release and scope, and ``release_weeks``: releases per lab, scope and
ISO week.

The cadence's median and longest gap (``tracker.analytics``) need every lab's releases in time
order; computed on demand that is a window pass and two sorts over the whole history. The gaps
are kept instead: for each release, in two scopes (its own kind, and ``'*'``: all kinds), the
time of the release before it in the same lab and scope (``prev_at``; NULL for the first) and
the gap in days (``gap``: ``gap_sql``, a ``julianday`` difference on SQLite, millisecond
precision; used to order, the exact gap is recomputed from the two timestamps). An index on
``(scope, lab_id, gap, released_at)`` then answers the largest gap and the gaps at the median
ranks by walking the index. Triggers on ``releases`` keep the rows right on every insert,
delete and change of ``lab_id``, ``kind`` or ``released_at``, whoever writes (pipeline,
regroup, bulk loads); every process sees the same statistics. The weekly counts are
kept the same way, per scope, lab and ISO week start (UTC Monday).

"Before" orders releases by ``(released_at, id)``: the multiset of gaps is that of the sorted
release times whatever the order of equal times. Batch migrations drop a table's triggers on
SQLite, so ``repair`` (after every upgrade) recreates them and refills the table.
On PostgreSQL the same tables are kept by a PL/pgSQL trigger function (``gap_stats_pg``,
revision 0008g); its migrations alter tables in place, so no repair is needed there.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

TABLE = "release_gaps"
#: releases per (scope, lab, ISO week start): the weekly counts of the cadence
WEEKS = "release_weeks"
#: the Monday (UTC date) of a release's ISO week, as ``analytics.history._week_start_sql`` on SQLite
_WEEK = "date(substr({r}.released_at, 1, 10), '-6 days', 'weekday 1')"
#: the scope of all kinds together (kinds are words: never '*')
ALL_KINDS = "*"

_CREATE = (
    f"CREATE TABLE {TABLE} (scope VARCHAR(16) NOT NULL, release_id INTEGER NOT NULL, lab_id INTEGER NOT NULL, "
    "released_at DATETIME NOT NULL, prev_at DATETIME, gap FLOAT, PRIMARY KEY (scope, release_id))",
    f"CREATE INDEX ix_{TABLE}_order ON {TABLE} (scope, lab_id, released_at, release_id)",
    f"CREATE INDEX ix_{TABLE}_gap ON {TABLE} (scope, lab_id, gap, released_at)",
    f"CREATE TABLE {WEEKS} (scope VARCHAR(16) NOT NULL, lab_id INTEGER NOT NULL, week DATE NOT NULL, "
    "n INTEGER NOT NULL, PRIMARY KEY (scope, lab_id, week))",
)

# ``{s}``: the scope expression (``new.kind`` / ``old.kind`` or ``'*'``); ``{r}``: new or old.
_AFTER = "(g.released_at > {r}.released_at OR (g.released_at = {r}.released_at AND g.release_id > {r}.id))"
_NEXT_ID = (
    f"(SELECT g.release_id FROM {TABLE} g WHERE g.scope = {{s}} AND g.lab_id = {{r}}.lab_id AND {_AFTER} "
    "ORDER BY g.released_at, g.release_id LIMIT 1)"
)
_PREV_AT = (
    f"(SELECT g.released_at FROM {TABLE} g WHERE g.scope = {{s}} AND g.lab_id = new.lab_id AND "
    "(g.released_at < new.released_at OR (g.released_at = new.released_at AND g.release_id < new.id)) "
    "ORDER BY g.released_at DESC, g.release_id DESC LIMIT 1)"
)
_ADD = (
    f"INSERT INTO {TABLE} (scope, release_id, lab_id, released_at, prev_at, gap) "
    f"SELECT {{s}}, new.id, new.lab_id, new.released_at, p, julianday(new.released_at) - julianday(p) "
    f"FROM (SELECT {_PREV_AT} AS p); "
    f"UPDATE {TABLE} SET prev_at = new.released_at, gap = julianday(released_at) - julianday(new.released_at) "
    f"WHERE scope = {{s}} AND release_id = {_NEXT_ID.format(s='{s}', r='new')}; "
    f"INSERT INTO {WEEKS} (scope, lab_id, week, n) VALUES ({{s}}, new.lab_id, {_WEEK.format(r='new')}, 1) "
    "ON CONFLICT (scope, lab_id, week) DO UPDATE SET n = n + 1;"
)
_REMOVE = (
    f"UPDATE {TABLE} SET (prev_at, gap) = (SELECT p.prev_at, julianday({TABLE}.released_at) - julianday(p.prev_at) "
    f"FROM {TABLE} p WHERE p.scope = {{s}} AND p.release_id = old.id) "
    f"WHERE scope = {{s}} AND release_id = {_NEXT_ID.format(s='{s}', r='old')}; "
    f"DELETE FROM {TABLE} WHERE scope = {{s}} AND release_id = old.id; "
    f"UPDATE {WEEKS} SET n = n - 1 WHERE scope = {{s}} AND lab_id = old.lab_id AND week = {_WEEK.format(r='old')}; "
    f"DELETE FROM {WEEKS} WHERE scope = {{s}} AND lab_id = old.lab_id AND week = {_WEEK.format(r='old')} AND n <= 0;"
)


def _both(template: str, r: str) -> str:
    return template.format(s=f"{r}.kind", r=r) + " " + template.format(s=f"'{ALL_KINDS}'", r=r)


TRIGGERS = {
    f"{TABLE}_ai": f"CREATE TRIGGER {TABLE}_ai AFTER INSERT ON releases BEGIN {_both(_ADD, 'new')} END",
    f"{TABLE}_ad": f"CREATE TRIGGER {TABLE}_ad AFTER DELETE ON releases BEGIN {_both(_REMOVE, 'old')} END",
    f"{TABLE}_au": (
        f"CREATE TRIGGER {TABLE}_au AFTER UPDATE OF lab_id, kind, released_at ON releases "
        f"WHEN old.lab_id IS NOT new.lab_id OR old.kind IS NOT new.kind OR old.released_at IS NOT new.released_at "
        f"BEGIN {_both(_REMOVE, 'old')} {_both(_ADD, 'new')} END"
    ),
}


def gap_sql(dialect: str, later: str, earlier: str) -> str:
    """SQL for the gap in days between two ``released_at`` expressions: a ``julianday`` difference
    on SQLite (millisecond precision), ``extract(epoch ...) / 86400`` on PostgreSQL (microseconds)."""
    if dialect == "postgresql":
        return f"extract(epoch FROM {later} - {earlier}) / 86400"
    return f"julianday({later}) - julianday({earlier})"


def week_sql(dialect: str, r: str) -> str:
    """SQL for the Monday (UTC date) of the ISO week of ``{r}.released_at``, as
    ``analytics.history._week_start_sql``."""
    if dialect == "postgresql":
        return f"date_trunc('week', {r}.released_at AT TIME ZONE 'UTC')::date"
    return _WEEK.format(r=r)


def _fill(dialect: str) -> str:
    """Every gap row from scratch: ``lag()`` over each lab's releases in (released_at, id) order, per scope."""
    return (
        f"INSERT INTO {TABLE} (scope, release_id, lab_id, released_at, prev_at, gap) "
        f"SELECT scope, id, lab_id, released_at, prev, {gap_sql(dialect, 'released_at', 'prev')} FROM ("
        "SELECT kind AS scope, id, lab_id, released_at, lag(released_at) OVER "
        "(PARTITION BY lab_id, kind ORDER BY released_at, id) AS prev FROM releases "
        f"UNION ALL SELECT '{ALL_KINDS}', id, lab_id, released_at, lag(released_at) OVER "
        "(PARTITION BY lab_id ORDER BY released_at, id) FROM releases) AS ordered"
    )


def _fill_weeks(dialect: str) -> str:
    week = week_sql(dialect, "releases")
    return (
        f"INSERT INTO {WEEKS} (scope, lab_id, week, n) SELECT scope, lab_id, week, count(*) FROM ("
        f"SELECT kind AS scope, lab_id, {week} AS week FROM releases "
        f"UNION ALL SELECT '{ALL_KINDS}', lab_id, {week} FROM releases) AS weeks GROUP BY scope, lab_id, week"
    )


def _refill(conn: Connection) -> None:
    dialect = conn.dialect.name
    conn.execute(text(f"DELETE FROM {TABLE}"))
    conn.execute(text(_fill(dialect)))
    conn.execute(text(f"DELETE FROM {WEEKS}"))
    conn.execute(text(_fill_weeks(dialect)))


def create(conn: Connection) -> None:
    """Create the table, its indexes and triggers, and fill it from ``releases`` (SQLite only)."""
    if conn.dialect.name != "sqlite":
        return
    for ddl in (*_CREATE, *TRIGGERS.values()):
        conn.execute(text(ddl))
    _refill(conn)


def drop(conn: Connection) -> None:
    """Drop what ``create`` made (SQLite only)."""
    if conn.dialect.name != "sqlite":
        return
    for name in TRIGGERS:
        conn.execute(text(f"DROP TRIGGER IF EXISTS {name}"))
    conn.execute(text(f"DROP TABLE IF EXISTS {TABLE}"))
    conn.execute(text(f"DROP TABLE IF EXISTS {WEEKS}"))


def repair(conn: Connection) -> bool:
    """Recreate missing triggers on ``releases`` and refill the table (SQLite, when the table exists).

    Returns:
        bool: True when something was missing and the table was refilled.
    """
    if conn.dialect.name != "sqlite":
        return False
    present = set(conn.scalars(text("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")))
    if TABLE not in present or set(TRIGGERS) <= present:
        return False
    for name, ddl in TRIGGERS.items():
        if name not in present:
            conn.execute(text(ddl))
    _refill(conn)
    return True
