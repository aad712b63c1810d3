"""One run of kasir's personal-data purge, timed transaction by transaction (kasir_bench.purge).

Runs the use case the serving process runs hourly (`RemoveExpiredPersonalData`, wired by the
container from the same settings as the server under test: batch size, batches per run, the
gateway's personal fields), in a process of its own, so that its memory is the purge's alone.
Only the retention may differ (`--retention-seconds`: a smoke run's history is shorter than
90 days). Each unit of work is timed: how long it waited to begin (on SQLite: for the write
lock) and how long it was open (on SQLite: the write lock held). The resident memory is read
before the run and its peak during it (VmHWM, reset first; and sampled every 20 ms).

Prints `PURGE {"ready": ...}` when warm, then runs at once and prints `PURGE {"result": ...}`.

    DATABASE_URL=... DUITKU_ENV=fake python bench/kasir_bench/purge_probe.py --retention-seconds N
"""

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, cast

from sqlalchemy import text

from application.ports import UnitOfWork, UnitOfWorkFactory
from entrypoints.container import build_container
from entrypoints.resources import close_resources
from entrypoints.settings import load_settings

PREFIX = "PURGE "


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return 0


def _reset_peak() -> bool:
    """Reset VmHWM to the current resident size (Linux, /proc/self/clear_refs)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


class _Sampler(threading.Thread):
    """The highest VmRSS seen, every `interval` seconds (a fallback for VmHWM)."""

    def __init__(self, interval: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.interval = interval
        self.peak_kib = _status_kib("VmRSS")
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            self.peak_kib = max(self.peak_kib, _status_kib("VmRSS"))
            self._halt.wait(self.interval)

    def stop(self) -> int:
        self._halt.set()
        self.join(2)
        return self.peak_kib


class _Timed:
    """A unit of work that records (waited to begin, open) in seconds when it is left."""

    def __init__(self, inner: UnitOfWork, record: list[tuple[float, float]]) -> None:
        self._inner = inner
        self._record = record
        self._begun = 0.0
        self._waited = 0.0

    async def __aenter__(self) -> UnitOfWork:
        started = time.perf_counter()
        await self._inner.__aenter__()
        self._begun = time.perf_counter()
        self._waited = self._begun - started
        return self._inner

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # The use case commits inside the block: the transaction is over when it is left.
        self._record.append((self._waited, time.perf_counter() - self._begun))
        await self._inner.__aexit__(exc_type, exc, tb)


class _TimedFactory:
    def __init__(self, inner: UnitOfWorkFactory) -> None:
        self._inner = inner
        self.record: list[tuple[float, float]] = []

    def __call__(self, *, read_only: bool = False) -> UnitOfWork:
        return cast(UnitOfWork, _Timed(self._inner(read_only=read_only), self.record))


def _say(**payload: Any) -> None:
    sys.stdout.write(PREFIX + json.dumps(payload) + "\n")
    sys.stdout.flush()


def summary(record: list[tuple[float, float]]) -> dict[str, Any]:
    """The transactions' figures, in milliseconds (`longest_at`: 1-based, in run order)."""
    held = [open_ * 1000 for _, open_ in record]
    waited = [wait * 1000 for wait, _ in record]
    if not held:
        return {"transactions": 0}
    longest = max(range(len(held)), key=held.__getitem__)
    ordered = sorted(held)
    return {
        "transactions": len(held),
        "longest_ms": round(held[longest], 2),
        "longest_at": longest + 1,
        "median_ms": round(statistics.median(held), 2),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 2),
        "first_ms": round(held[0], 2),
        "last_ms": round(held[-1], 2),
        "total_open_ms": round(sum(held), 1),
        "longest_wait_ms": round(max(waited), 2),
        "open_ms": [round(ms, 1) for ms in held],  # each transaction, in run order
    }


async def _probe(retention: timedelta) -> None:
    container = build_container(load_settings())
    try:
        timed = _TimedFactory(container.uow())
        purge = container.remove_expired_personal_data(uow=timed, retention=retention)
        async with container.engine().connect() as connection:  # connect before measuring
            await connection.execute(text("SELECT 1"))
        rss_before = _status_kib("VmRSS")
        hwm = _reset_peak()
        sampler = _Sampler()
        sampler.start()
        _say(ready=True, rss_kib=rss_before)
        started = time.perf_counter()
        entries = await purge.execute()
        seconds = time.perf_counter() - started
        peak = max(sampler.stop(), _status_kib("VmHWM") if hwm else 0)
        _say(
            result={
                "entries": entries,
                "seconds": round(seconds, 3),
                "batch_size": purge.batch_size,
                "max_batches": purge.max_batches,
                "retention_seconds": retention.total_seconds(),
                **summary(timed.record),
                "rss_mib_before": round(rss_before / 1024, 1),
                "rss_mib_peak": round(peak / 1024, 1),
                "rss_mib_after": round(_status_kib("VmRSS") / 1024, 1),
                "growth_mib": round((peak - rss_before) / 1024, 1),
            }
        )
    finally:
        with contextlib.suppress(Exception):
            await close_resources(container)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--retention-seconds", type=float, required=True)
    args = parser.parse_args()
    asyncio.run(_probe(timedelta(seconds=args.retention_seconds)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
