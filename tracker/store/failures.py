"""Database failures as tracker errors: one line that says what to check, never a traceback.

The driver's exception (``sqlalchemy.exc.DBAPIError`` wrapping sqlite3's or psycopg's) is read
at the store boundary (``Store.open``, ``Store.transaction``) and becomes a ``StoreError``. What
it means comes from the driver, not from guesses: PostgreSQL's SQLSTATE codes (Appendix A of the
PostgreSQL manual: class 08 connection, 53 insufficient resources, 57 operator intervention,
``55P03`` lock not available, ``25006`` read-only transaction, ``42P01``/``42703`` undefined
table/column) and SQLite's result-code messages ("database is locked", "database or disk is
full", "attempt to write a readonly database", "unable to open database file", "no such table").
"""

from __future__ import annotations

from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, InterfaceError, InternalError, OperationalError, ProgrammingError

from tracker.errors import StoreBusyError, StoreError, StoreUnavailableError, redact

#: The driver errors turned into ``StoreError`` (``is_mapped`` narrows the last two to their
#: codes); an IntegrityError (a constraint, which callers handle) or a bug's ProgrammingError
#: passes through unchanged.
MAPPED = (OperationalError, InterfaceError, ProgrammingError, InternalError)

_SCHEMA_STATES = {"42P01", "42703"}  # undefined_table, undefined_column
READ_ONLY_STATE = "25006"  # read_only_sql_transaction: a hot standby, or default_transaction_read_only
_SQLITE_SCHEMA = ("no such table", "no such column")


def is_mapped(exc: BaseException) -> bool:
    """True for a driver error ``store_error`` explains (see ``MAPPED``)."""
    if not isinstance(exc, MAPPED):
        return False
    if isinstance(exc, ProgrammingError):
        return _sqlstate(exc) in _SCHEMA_STATES
    if isinstance(exc, InternalError):  # psycopg files a read-only server's refusal here
        return _sqlstate(exc) == READ_ONLY_STATE
    return True


def _sqlstate(exc: DBAPIError) -> str:
    return str(getattr(exc.orig, "sqlstate", None) or "")


def _reason(exc: DBAPIError) -> str:
    text = str(exc.orig if exc.orig is not None else exc).strip()
    return (text.splitlines() or [type(exc).__name__])[0][:300]


def store_error(exc: DBAPIError, url: URL, *, busy_timeout_s: float, opening: bool = False) -> StoreError:
    """The ``StoreError`` that explains ``exc``, naming the database with its password masked.

    Args:
        exc: the driver error (``OperationalError``, ``InterfaceError``, or ``ProgrammingError``
            of an undefined table or column).
        url: the engine's URL (rendered with ``***`` for the password).
        busy_timeout_s (float): seconds a SQLite writer waited for the lock, quoted when it timed out.
        opening (bool, optional): True while opening the store (the message says so).

    Returns:
        StoreError: ``StoreBusyError`` (transient) for a lock not granted in time;
        ``StoreUnavailableError`` for an unreachable server or unopenable file (transient), a
        full disk (transient), a read-only database or a missing schema (permanent); a plain
        transient ``StoreError`` for anything else.
    """
    where = redact(url.render_as_string(hide_password=True))
    reason = redact(_reason(exc))
    state, low = _sqlstate(exc), reason.lower()
    sqlite = url.get_backend_name() == "sqlite"
    if "database is locked" in low or state in ("55P03", "40P01"):
        wait = f" for {busy_timeout_s:g} s" if sqlite else ""
        return StoreBusyError(
            f"the database {where} stayed locked{wait}: another tracker process (worker, beat or a command) "
            "holds a long write transaction; check for a stuck one and retry"
        )
    if "disk is full" in low or state == "53100":
        return StoreUnavailableError(f"the disk holding the database {where} is full: free space and retry ({reason})")
    if "readonly database" in low or state == READ_ONLY_STATE:
        check = (
            "check the permissions of the file and its folder (SQLite writes -wal and -shm files beside it)"
            if sqlite
            else "point TRACKER_DATABASE_URL at the primary server, not a read-only standby"
        )
        return StoreUnavailableError(f"the database {where} is read-only: {check}", permanent=True)
    if state in _SCHEMA_STATES or low.startswith(_SQLITE_SCHEMA):
        return StoreUnavailableError(
            f"the database {where} has no schema or an old one ({reason}): run `tracker db upgrade`", permanent=True
        )
    if sqlite and "unable to open" in low:
        return StoreUnavailableError(
            f"cannot open the database {where}: {reason}; check that TRACKER_DATA_DIR exists and is writable"
        )
    if isinstance(exc, InterfaceError) or state.startswith(("08", "57P")) or not (sqlite or state):
        verb = "cannot open" if opening else "lost the connection to"
        return StoreUnavailableError(
            f"{verb} the database {where}: {reason}; check that the server is running and TRACKER_DATABASE_URL"
        )
    return StoreError(f"database error on {where}: {reason}")
