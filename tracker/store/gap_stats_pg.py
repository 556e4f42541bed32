"""The kept cadence statistics (``gap_stats``: ``release_gaps``, ``release_weeks``) on PostgreSQL.

Same tables, rows and meaning as on SQLite; one PL/pgSQL function keeps them, run by an
``AFTER INSERT OR DELETE OR UPDATE OF lab_id, kind, released_at ON releases FOR EACH ROW``
trigger. Removing a release (delete, or the old side of an update) hands its ``prev_at`` to the
next release of the lab and scope; adding one takes the previous release's time and becomes
the next one's ``prev_at``. ``gap`` is ``extract(epoch ...) / 86400`` (days, microseconds).

Writers run concurrently on PostgreSQL (pipeline workers), and two transactions adding releases
to one lab would each miss the other's uncommitted row and chain the gaps wrongly. The function
therefore takes a transaction-scoped advisory lock per lab touched (lower id first, so two
moves between the same labs cannot deadlock); at READ COMMITTED each later statement of the
function sees what the lock holder committed. ``TRUNCATE releases`` fires no row trigger: use
``DELETE`` or ``gap_stats._refill`` after it.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from tracker.store import gap_stats

_T = gap_stats.TABLE
_W = gap_stats.WEEKS
_FUNCTION = f"{_T}_keep"
_TRIGGER = f"{_T}_keep"
#: first key of the advisory locks (second: the lab id); an arbitrary constant of this table
_LOCK_KEY = 72_616_001

_CREATE = (
    f"CREATE TABLE {_T} (scope VARCHAR(16) NOT NULL, release_id INTEGER NOT NULL, lab_id INTEGER NOT NULL, "
    "released_at TIMESTAMP WITH TIME ZONE NOT NULL, prev_at TIMESTAMP WITH TIME ZONE, gap DOUBLE PRECISION, "
    "PRIMARY KEY (scope, release_id))",
    f"CREATE INDEX ix_{_T}_order ON {_T} (scope, lab_id, released_at, release_id)",
    # prev_at included: the median's OFFSET walk is an index-only scan (no heap fetch per gap)
    f"CREATE INDEX ix_{_T}_gap ON {_T} (scope, lab_id, gap, released_at) INCLUDE (prev_at)",
    f"CREATE TABLE {_W} (scope VARCHAR(16) NOT NULL, lab_id INTEGER NOT NULL, week DATE NOT NULL, "
    "n INTEGER NOT NULL, PRIMARY KEY (scope, lab_id, week))",
)


def _next_id(r: str) -> str:
    """The release after ``{r}`` in its lab and scope ``s`` (``(released_at, release_id)`` order).

    A row comparison, not ``a > x OR (a = x AND b > y)``: PostgreSQL seeks the order index with
    it, where the OR form walks the lab's rows from its first release (quadratic bulk loads)."""
    return (
        f"(SELECT g.release_id FROM {_T} g WHERE g.scope = s AND g.lab_id = {r}.lab_id AND "
        f"(g.released_at, g.release_id) > ({r}.released_at, {r}.id) "
        "ORDER BY g.released_at, g.release_id LIMIT 1)"
    )


_WEEK_OLD = gap_stats.week_sql("postgresql", "old")
_WEEK_NEW = gap_stats.week_sql("postgresql", "new")
_REMOVE = f"""
    FOREACH s IN ARRAY ARRAY[old.kind::text, '{gap_stats.ALL_KINDS}'] LOOP
      SELECT g.prev_at INTO p FROM {_T} g WHERE g.scope = s AND g.release_id = old.id;
      UPDATE {_T} SET prev_at = p, gap = {gap_stats.gap_sql("postgresql", "released_at", "p")}
        WHERE scope = s AND release_id = {_next_id("old")};
      DELETE FROM {_T} WHERE scope = s AND release_id = old.id;
      UPDATE {_W} SET n = n - 1 WHERE scope = s AND lab_id = old.lab_id AND week = {_WEEK_OLD};
      DELETE FROM {_W} WHERE scope = s AND lab_id = old.lab_id AND week = {_WEEK_OLD} AND n <= 0;
    END LOOP;"""
_ADD = f"""
    FOREACH s IN ARRAY ARRAY[new.kind::text, '{gap_stats.ALL_KINDS}'] LOOP
      p := (SELECT g.released_at FROM {_T} g WHERE g.scope = s AND g.lab_id = new.lab_id AND
            (g.released_at, g.release_id) < (new.released_at, new.id)
            ORDER BY g.released_at DESC, g.release_id DESC LIMIT 1);
      INSERT INTO {_T} (scope, release_id, lab_id, released_at, prev_at, gap)
        VALUES (s, new.id, new.lab_id, new.released_at, p,
                {gap_stats.gap_sql("postgresql", "new.released_at", "p")});
      UPDATE {_T} SET prev_at = new.released_at,
        gap = {gap_stats.gap_sql("postgresql", "released_at", "new.released_at")}
        WHERE scope = s AND release_id = {_next_id("new")};
      INSERT INTO {_W} AS w (scope, lab_id, week, n) VALUES (s, new.lab_id, {_WEEK_NEW}, 1)
        ON CONFLICT (scope, lab_id, week) DO UPDATE SET n = w.n + 1;
    END LOOP;"""

FUNCTION_DDL = f"""
CREATE OR REPLACE FUNCTION {_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  s text;
  p timestamp with time zone;
BEGIN
  IF TG_OP = 'UPDATE' AND old.lab_id IS NOT DISTINCT FROM new.lab_id AND old.kind IS NOT DISTINCT FROM new.kind
     AND old.released_at IS NOT DISTINCT FROM new.released_at THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN
    PERFORM pg_advisory_xact_lock({_LOCK_KEY}, new.lab_id);
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM pg_advisory_xact_lock({_LOCK_KEY}, old.lab_id);
  ELSE
    PERFORM pg_advisory_xact_lock({_LOCK_KEY}, least(old.lab_id, new.lab_id));
    PERFORM pg_advisory_xact_lock({_LOCK_KEY}, greatest(old.lab_id, new.lab_id));
  END IF;
  IF TG_OP IN ('DELETE', 'UPDATE') THEN{_REMOVE}
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN{_ADD}
  END IF;
  RETURN NULL;
END
$$"""

TRIGGER_DDL = (
    f"CREATE TRIGGER {_TRIGGER} AFTER INSERT OR DELETE OR UPDATE OF lab_id, kind, released_at ON releases "
    f"FOR EACH ROW EXECUTE FUNCTION {_FUNCTION}()"
)


def create(conn: Connection) -> None:
    """Create the two tables, their indexes, the trigger function and trigger, and fill the
    tables from ``releases`` (PostgreSQL only; a no-op elsewhere)."""
    if conn.dialect.name != "postgresql":
        return
    for ddl in (*_CREATE, FUNCTION_DDL, TRIGGER_DDL):
        conn.execute(text(ddl))
    gap_stats._refill(conn)


def drop(conn: Connection) -> None:
    """Drop what ``create`` made (PostgreSQL only)."""
    if conn.dialect.name != "postgresql":
        return
    conn.execute(text(f"DROP TRIGGER IF EXISTS {_TRIGGER} ON releases"))
    conn.execute(text(f"DROP FUNCTION IF EXISTS {_FUNCTION}()"))
    conn.execute(text(f"DROP TABLE IF EXISTS {_T}"))
    conn.execute(text(f"DROP TABLE IF EXISTS {_W}"))
