"""The personal-data purge on the scale suites' large database (issue #17: "the first
personal-data purge on a year of history bounded").

The seed leaves the history as kasir's hourly purge keeps it: entries past the retention
already blanked. On that database, with its server up and after the measured callback runs:

1. The steady state: entries past the retention until an hour ago are marked purged (on a
   full run the seed did that already), and one run of the purge blanks the last hour's. This
   is what every hourly run costs.
2. Never purged: every entry gets its payer's details back and loses its mark (then vacuumed,
   analysed and checkpointed on PostgreSQL, checkpointed on SQLite, as a year-old history
   would be), and one run of the purge starts while
   wrk sends paying callbacks to the server: the first run after kasir is upgraded onto, or
   restarted on, a year of history. A run blanks at most `max_batches` × `batch_size` entries
   (100,000); what it left for the next hourly runs is counted.

The purge runs in a process of its own (kasir_bench.purge_probe), the use case wired from the
server's settings, so that its memory is the purge's alone and each transaction is timed.
A smoke run's history spans a week, shorter than the 90-day retention: the purge then keeps a
quarter of it past the seed's last day, so that about the same share (three quarters) is past
the retention as in a year of history.
"""

import asyncio
import contextlib
import functools
import json
import os
import select
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kasir_bench import processes
from kasir_bench.console import log
from kasir_bench.constants import PACKAGE, WEBHOOK
from kasir_bench.databases import Database
from kasir_bench.load import Figure, LoadSettings, Traffic, describe, run_wrk
from kasir_bench.seed import RETENTION_DAYS, SECONDS_BETWEEN_ORDERS
from kasir_bench.server import MemorySampler, Server

PROBE = PACKAGE / "purge_probe.py"
PROBE_PREFIX = "PURGE "
PROBE_TIMEOUT_SECONDS = 600.0
RETENTION = timedelta(days=RETENTION_DAYS)
REMOVED = "[removed]"  # application.inbox.REMOVED: what the purge writes
# The personal fields the seed's callbacks carry (adapters.duitku.personal_data), as a payer's.
PERSONAL = {
    "customerName": "BUDI SANTOSO",
    "merchantUserId": "budi.santoso@example.test",
    "spUserHash": "c2hvcGVlcGF5LXVzZXItaGFzaC0wMDAwMDAwMDAwMDE",
    "additionalParam": "meja 12, tanpa es",
}


def retention_for(rows: int) -> timedelta:
    """kasir's 90 days on a history of more than twice that; else a day plus a quarter of it."""
    history = timedelta(seconds=rows * SECONDS_BETWEEN_ORDERS)
    return RETENTION if history > 2 * RETENTION else timedelta(days=1) + history / 4


# ---------------------------------------------------------------------------------------------
# The inbox's purge state (constants and times only in the SQL, never input)


def _time(database: Database, at: datetime) -> str:
    utc = at.astimezone(UTC)
    if database.kind == "sqlite":  # kasir's naive UTC text, six fraction digits
        return f"'{utc.strftime('%Y-%m-%d %H:%M:%S.%f')}'"
    return f"'{utc.isoformat()}'::timestamptz"


def _with_fields(database: Database, values: dict[str, str]) -> str:
    """`fields` with these keys set to these values (none holds a quote)."""
    if database.kind == "sqlite":
        pairs = ", ".join(f"'$.{key}', '{value}'" for key, value in values.items())
        return f"json_set(fields, {pairs})"
    return f"(fields::jsonb || '{json.dumps(values)}'::jsonb)::json"


async def _pg_execute(database: Database, *statements: str) -> int:
    import asyncpg  # noqa: PLC0415 - only the PostgreSQL suites need it

    connection = await asyncpg.connect(database.pg_url.rstrip("/") + "/" + database.name)
    try:
        status = ""
        for statement in statements:
            status = await connection.execute(statement)
        return int(status.split()[-1]) if status.split()[-1].isdigit() else 0
    finally:
        await connection.close()


def _write(database: Database, statement: str) -> int:
    """One write transaction next to the (idle) server; the rows it changed."""
    if database.kind == "postgresql":
        return asyncio.run(_pg_execute(database, statement))
    with contextlib.closing(sqlite3.connect(database.path, isolation_level=None, timeout=30)) as c:
        c.execute("BEGIN IMMEDIATE")
        changed = c.execute(statement).rowcount
        c.execute("COMMIT")
        return changed


def mark_purged(database: Database, before: datetime, now: datetime) -> int:
    """Blank the entries received before `before` that are not yet: the hourly purge's work."""
    return _write(
        database,
        "UPDATE notification_inbox SET "  # noqa: S608 - constants and times
        f"fields = {_with_fields(database, dict.fromkeys(PERSONAL, REMOVED))}, "
        f"personal_data_removed_at = {_time(database, now)} "
        f"WHERE personal_data_removed_at IS NULL AND received_at < {_time(database, before)}",
    )


def restore_personal_data(database: Database) -> int:
    """Give every blanked entry its payer's details back: a history never purged."""
    changed = _write(
        database,
        "UPDATE notification_inbox SET "  # noqa: S608 - constants
        f"fields = {_with_fields(database, PERSONAL)}, personal_data_removed_at = NULL "
        "WHERE personal_data_removed_at IS NOT NULL",
    )
    if database.kind == "postgresql":
        # A year-old history has long been vacuumed and checkpointed. Without the CHECKPOINT
        # (SQLite's TRUNCATE below), the ~1.6 GB of WAL this rewrite made set off checkpoints
        # that ran through the whole purge (20261130T232804Z, its 0.5 s transactions included).
        asyncio.run(_pg_execute(database, "VACUUM ANALYZE notification_inbox", "CHECKPOINT"))
    else:
        with contextlib.closing(sqlite3.connect(database.path, timeout=30)) as c:
            c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return changed


def expired_unpurged(database: Database, before: datetime) -> int:
    """Entries received before `before` whose personal data is still there."""
    sql = (
        "SELECT count(*) FROM notification_inbox WHERE personal_data_removed_at IS NULL "  # noqa: S608
        f"AND received_at < {_time(database, before)}"
    )
    return int(database.query(sql)[0][0])


# ---------------------------------------------------------------------------------------------
# The purge in its own process


class _Probe:
    """kasir_bench.purge_probe running against the server's database, with its settings."""

    def __init__(self, server: Server, retention: timedelta) -> None:
        command = [
            sys.executable,
            str(PROBE),
            "--retention-seconds",
            str(retention.total_seconds()),
        ]
        self.process = processes.spawn(
            command, env=server.env(), cwd=server.workdir, stdout=subprocess.PIPE
        )
        self._buffer = b""
        self._other: list[str] = []

    def message(self, key: str, timeout: float) -> dict[str, Any]:
        """The next `PURGE {key: ...}` line the probe prints (other output is kept for errors)."""
        if self.process.stdout is None:
            raise RuntimeError("the purge probe was started without a pipe")
        fd = self.process.stdout.fileno()
        deadline = time.monotonic() + timeout
        while True:
            while b"\n" in self._buffer:
                raw, _, self._buffer = self._buffer.partition(b"\n")
                line = raw.decode(errors="replace")
                if line.startswith(PROBE_PREFIX):
                    payload: dict[str, Any] = json.loads(line.removeprefix(PROBE_PREFIX))
                    if key in payload:
                        return payload
                self._other.append(line)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"the purge did not finish within {timeout:.0f} s")
            if select.select([fd], [], [], remaining)[0]:
                chunk = os.read(fd, 65536)
                if not chunk:
                    tail = "\n".join(self._other[-20:])
                    raise RuntimeError(f"the purge probe exited without a result:\n{tail}")
                self._buffer += chunk

    def stop(self) -> None:
        """Let it close its connections and exit (after its result), else end it."""
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(10)
        processes.stop(self.process)


def run_purge(
    server: Server, retention: timedelta, during: Callable[[], Figure] | None = None
) -> tuple[dict[str, Any], Figure | None]:
    """One purge run (its figures), and what `during` returned, started as the purge began."""
    probe = _Probe(server, retention)
    try:
        probe.message("ready", timeout=120)
        figure = during() if during is not None else None
        result: dict[str, Any] = probe.message("result", PROBE_TIMEOUT_SECONDS)["result"]
    finally:
        probe.stop()
    return result, figure


def _describe(result: dict[str, Any]) -> str:
    if not result.get("transactions"):
        return f"{result['entries']:,} entries, no transaction"
    return (
        f"{result['entries']:,} entries in {result['transactions']} transactions, "
        f"{result['seconds']:.1f} s; longest {result['longest_ms']:.1f} ms "
        f"(#{result['longest_at']}), median {result['median_ms']:.1f} ms, "
        f"longest wait {result['longest_wait_ms']:.1f} ms; "
        f"memory {result['rss_mib_before']} → peak {result['rss_mib_peak']} MiB"
    )


def measure_purge(
    name: str,
    database: Database,
    server: Server,
    rows: int,
    *,
    settings: LoadSettings,
    callbacks: Path | None,
    sampler: MemorySampler | None = None,
) -> dict[str, Any]:
    """The steady hourly run, then the first run on the history never purged (module doc),
    with paying callbacks from `callbacks` (one line each) sent meanwhile."""
    retention = retention_for(rows)
    now = datetime.now(UTC)
    marked = mark_purged(database, now - retention - timedelta(hours=1), now)
    steady, _ = run_purge(server, retention)
    log(f"{name} purge, steady state ({marked:,} entries marked first): {_describe(steady)}")

    started = time.monotonic()
    restored = restore_personal_data(database)
    restore_seconds = round(time.monotonic() - started, 1)
    backlog = expired_unpurged(database, datetime.now(UTC) - retention)
    log(f"{name} purge: {restored:,} entries never purged ({restore_seconds} s); {backlog:,} due")

    before = database.inbox_max_id()

    load: Callable[[], Figure] | None = None
    if callbacks is not None:
        traffic = Traffic("callback_during_purge", WEBHOOK, callbacks, "form", cycle=False)
        load = functools.partial(
            run_wrk, server, traffic, duration=settings.duration, settings=settings, sampler=sampler
        )

    first, figure = run_purge(server, retention, during=load)
    left = expired_unpurged(database, datetime.now(UTC) - retention)
    log(f"{name} first purge: {_describe(first)}; {left:,} left for the next runs")
    during: dict[str, Any] | None = None
    if figure is not None:
        figure.outcomes = database.inbox_outcomes_after(before)
        log(f"{name} meanwhile: {describe(figure)}")
        overlap = min(first["seconds"], figure.seconds)
        during = asdict(figure) | {"overlap_seconds": round(overlap, 1)}
    return {
        "rows": rows,
        "retention_days": round(retention.total_seconds() / 86400, 2),
        "steady": {**steady, "marked_first": marked},
        "first": {
            **first,
            "restored": restored,
            "restore_seconds": restore_seconds,
            "due": backlog,
            "left": left,
        },
        "callback_during_purge": during,
    }
