"""WAL checkpoints for a SQLite database, in a background thread with its own connection.

kasir's serving connections run sqlite3 inline on the event loop with `wal_autocheckpoint=0`
(sqlite_inline.py): otherwise the commit that crosses SQLite's 1,000-page mark would copy the
WAL into the database file and fsync it on the loop, stalling every request for that long.
Instead this thread runs `PRAGMA wal_checkpoint(PASSIVE)` every CHECKPOINT_INTERVAL_SECONDS (it
copies what no reader still needs and never takes the write lock, so writers never wait for it;
SQLite rewinds the WAL once a checkpoint has caught up), and a final TRUNCATE when it stops.
Durability is unchanged: a commit is durable once in the WAL (synchronous=NORMAL with WAL, as
always); a checkpoint only moves committed pages into the main file.

Lifecycle: owned by the engine's connections. The first serving connection opened starts the
thread; when the last one closes (the engine's `dispose()`, at the app's shutdown) the thread
runs its final checkpoint and ends, and `detach` waits for it without blocking the loop. An
engine used again after dispose starts a new thread.
"""

import asyncio
import logging
import sqlite3
import threading
from collections.abc import Mapping
from concurrent.futures import Future
from typing import Any

logger = logging.getLogger(__name__)

CHECKPOINT_INTERVAL_SECONDS = 0.5
THREAD_NAME = "kasir-sqlite-checkpointer"  # followed by the database's path
# The final checkpoint may wait this long for another process's readers and writer.
_FINAL_BUSY_TIMEOUT_MS = 1000


class WalCheckpointer:
    """Checkpoints one database file while any serving connection to it is open."""

    def __init__(
        self,
        database: str,
        options: Mapping[str, Any],
        *,
        interval: float = CHECKPOINT_INTERVAL_SECONDS,
    ) -> None:
        self._database = database
        self._options = {key: value for key, value in options.items() if key == "uri"}
        self._interval = interval
        self._lock = threading.Lock()
        self._users = 0
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._finished: Future[None] = Future()

    @property
    def running(self) -> bool:
        thread = self._thread
        return thread is not None and thread.is_alive()

    def attach(self) -> None:
        """A serving connection opened: start the thread if it is the first."""
        with self._lock:
            self._users += 1
            if self._thread is None:
                self._stop = threading.Event()
                self._finished = Future()
                self._thread = threading.Thread(
                    target=self._run,
                    args=(self._stop, self._finished),
                    name=f"{THREAD_NAME} {self._database}",
                    daemon=True,
                )
                self._thread.start()

    def detach_nowait(self) -> tuple[threading.Thread, "Future[None]"] | None:
        """A serving connection closed: if it was the last, tell the thread to finish (its
        final checkpoint) and return it with the future it resolves when done."""
        with self._lock:
            self._users = max(0, self._users - 1)
            if self._users or self._thread is None:
                return None
            thread, self._thread = self._thread, None
            self._stop.set()
            return thread, self._finished

    async def detach(self) -> None:
        """As detach_nowait, then wait (on the loop, without blocking it) for the thread."""
        stopping = self.detach_nowait()
        if stopping is None:
            return
        thread, finished = stopping
        await asyncio.wrap_future(finished)
        thread.join()  # it has returned from its work; this only reaps it

    def _run(self, stop: threading.Event, finished: "Future[None]") -> None:
        try:
            self._checkpoint_until(stop)
        finally:
            finished.set_result(None)

    def _checkpoint_until(self, stop: threading.Event) -> None:
        try:
            connection = sqlite3.connect(self._database, timeout=0, **self._options)
        except sqlite3.Error:
            logger.exception("sqlite checkpointer could not open the database")
            return
        try:
            while not stop.wait(self._interval):
                self._checkpoint(connection, "PASSIVE")
            connection.execute(f"PRAGMA busy_timeout={_FINAL_BUSY_TIMEOUT_MS}").close()
            self._checkpoint(connection, "TRUNCATE")
        finally:
            connection.close()

    @staticmethod
    def _checkpoint(connection: sqlite3.Connection, mode: str) -> None:
        try:
            connection.execute(f"PRAGMA wal_checkpoint({mode})").close()
        except sqlite3.OperationalError as error:
            if getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_BUSY:
                return  # another process's checkpointer is at it; this one's next turn follows
            logger.warning("sqlite wal_checkpoint(%s) failed", mode, exc_info=True)
        except sqlite3.Error:
            # A checkpoint that cannot run now (the database being locked for TRUNCATE, or
            # deleted under a test) loses nothing; the next one, or SQLite at close, catches up.
            logger.warning("sqlite wal_checkpoint(%s) failed", mode, exc_info=True)
