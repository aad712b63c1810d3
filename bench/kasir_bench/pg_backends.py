"""The CPU of the PostgreSQL backends serving one database during a run, from /proc.

A backend's process title names its database (`postgres: 15/main: postgres <db> 127.0.0.1(…)`),
so the backends of the bench's own database are told apart from every other database's (other
people's tests on a shared machine). The pool opens and closes connections during a run: a
backend that ends before the run does would take its CPU with it, so the backends are read
every `interval` seconds and each one's last reading is kept. A backend alive at the start
counts from its reading then; one that started during the run, from zero (all of its life is
in the run).
"""

from __future__ import annotations

import threading

from kasir_bench.procfs import cmdline, cpu_ticks, uid_processes

POSTGRES_USER = "postgres"


def database_backends(database: str) -> dict[int, int]:
    """The CPU ticks of every backend whose process title names `database`, by pid."""
    return {
        pid: cpu_ticks([pid])
        for pid in uid_processes(POSTGRES_USER)
        if f" {database} " in cmdline(pid)
    }


class BackendCpu(threading.Thread):
    """Follows the backends of one database from `start()` to `stop()`; `ticks` is their CPU."""

    def __init__(self, database: str, interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.database = database
        self.interval = interval
        self.first: dict[int, int] = {}
        self.last: dict[int, int] = {}
        self.ended = 0  # ticks of backends whose pid a new backend took over
        self._halt = threading.Event()

    def start(self) -> None:
        self.first = database_backends(self.database)
        self.last = dict(self.first)
        super().start()

    def run(self) -> None:
        while not self._halt.wait(self.interval):
            self._read()

    def _read(self) -> None:
        for pid, ticks in database_backends(self.database).items():
            # A pid reused by a new backend reads lower than the old one's last: a new backend.
            if pid in self.last and ticks < self.last[pid]:
                self.ended += self.last[pid] - self.first[pid]
                self.first[pid] = 0
            self.first.setdefault(pid, 0)
            self.last[pid] = ticks

    def stop(self) -> int:
        """Stop following; the CPU ticks the database's backends used meanwhile."""
        self._halt.set()
        self.join(5)
        self._read()
        return self.ended + sum(self.last[pid] - self.first[pid] for pid in self.last)

    @property
    def backends(self) -> int:
        """How many backends served the database during the run."""
        return len(self.last)
