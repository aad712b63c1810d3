"""Every process the bench starts goes through here, so that every one is stopped at exit.

Servers, wrk and py-spy each get their own process group (a server's uvicorn workers are
stopped with it). `stop_all` ends whatever is still running; the command line calls it on
normal exit, on a failed suite, on Ctrl-C and on SIGTERM/SIGHUP.
"""

import contextlib
import functools
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import IO, Any

from kasir_bench.console import log
from kasir_bench.constants import VENV_BIN

_STARTED: list[subprocess.Popen[Any]] = []


def spawn(
    command: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    stdout: IO[Any] | int | None = None,
) -> subprocess.Popen[Any]:
    """Start `command` in its own process group and remember it until `release` or `stop`."""
    process = subprocess.Popen(  # noqa: S603 - the bench's own commands, never input
        list(command),
        env=dict(env) if env is not None else None,
        cwd=cwd,
        stdout=stdout if stdout is not None else subprocess.DEVNULL,
        stderr=subprocess.STDOUT if stdout is not None else subprocess.DEVNULL,
        start_new_session=True,
    )
    _STARTED.append(process)
    return process


def release(process: subprocess.Popen[Any]) -> None:
    """Forget a process that ended by itself."""
    with contextlib.suppress(ValueError):
        _STARTED.remove(process)


def run(
    command: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    capture: bool = False,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run a short command to its end (installs, migrations, version queries)."""
    return subprocess.run(  # noqa: S603 - the bench's own commands, never input
        list(command),
        env=dict(env) if env is not None else None,
        cwd=cwd,
        capture_output=capture,
        text=True,
        check=check,
    )


def stop(process: subprocess.Popen[Any], grace: float = 10.0) -> None:
    """SIGTERM to the process group, SIGKILL after `grace` seconds."""
    release(process)
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)  # its own process group: the server and workers
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


def stop_all() -> None:
    while _STARTED:
        stop(_STARTED[-1])


def _on_signal(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def stop_on_signals() -> None:
    """SIGTERM and SIGHUP end a run like Ctrl-C: every process started is stopped."""
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)


def _sudo() -> list[str]:
    if os.geteuid() == 0:
        return []
    found = shutil.which("sudo")
    return [found] if found else []


@functools.cache
def wrk() -> str:
    """wrk from PATH, installed with apt-get (or brew) when missing."""
    found = shutil.which("wrk")
    if found:
        return found
    log("wrk is missing: installing it")
    apt, brew = shutil.which("apt-get"), shutil.which("brew")
    if apt:
        run([*_sudo(), apt, "update", "-qq"])
        run([*_sudo(), apt, "install", "-y", "-qq", "wrk"])
    elif brew:
        run([brew, "install", "wrk"])
    found = shutil.which("wrk")
    if not found:
        raise SystemExit(
            "bench: wrk is needed; install it (apt-get install wrk / brew install wrk)"
        )
    return found


def venv_tool(name: str, package: str) -> Path:
    """A command-line tool in this venv, installed with pip when missing (py-spy for --profile)."""
    tool = VENV_BIN / name
    if not tool.exists():
        log(f"installing {package} into {VENV_BIN.parent}")
        run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                package,
            ]
        )
    return tool


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port
