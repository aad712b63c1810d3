"""Translate driver errors into the application's errors where the use cases can act on them."""

from sqlalchemy.exc import DBAPIError, IntegrityError

from application.errors import ConcurrentUpdate

# PostgreSQL SQLSTATEs: serialization_failure, deadlock_detected, lock_not_available.
_PG_RETRYABLE = frozenset({"40001", "40P01", "55P03"})
_PG_UNIQUE_VIOLATION = "23505"
_PG_FOREIGN_KEY_VIOLATION = "23503"


class DatabaseBusy(ConcurrentUpdate):
    """The database stayed locked by another writer past the busy timeout, or PostgreSQL gave
    up on a deadlock or serialization conflict. Nothing was written; the work can be retried.

    A subclass of ConcurrentUpdate, so the use cases' re-read-and-retry handles it, and the raw
    "database is locked" message never reaches a client.
    """

    code = "database_busy"


def _sqlstate(exc: DBAPIError) -> str | None:
    orig = exc.orig
    for attribute in ("sqlstate", "pgcode"):
        value = getattr(orig, attribute, None)
        if isinstance(value, str):
            return value
    return None


def is_busy(exc: DBAPIError) -> bool:
    """SQLite's "database is locked"/"busy", or a retryable PostgreSQL conflict."""
    message = str(exc.orig).lower()
    if "database is locked" in message or "database table is locked" in message:
        return True
    if "database is busy" in message:
        return True
    return _sqlstate(exc) in _PG_RETRYABLE


def is_conflict(exc: IntegrityError) -> bool:
    """A unique or foreign key violation: a row another transaction wrote (or removed) first."""
    if _sqlstate(exc) in (_PG_UNIQUE_VIOLATION, _PG_FOREIGN_KEY_VIOLATION):
        return True
    message = str(exc.orig)
    return "UNIQUE constraint failed" in message or "FOREIGN KEY constraint failed" in message


def busy_error(exc: DBAPIError) -> DatabaseBusy:
    return DatabaseBusy(f"the database is busy, try again ({type(exc.orig).__name__})")
