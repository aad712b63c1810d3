"""py-spy profiles of the server during a measured run (`--profile`), and their summary."""

import re
import subprocess
from pathlib import Path
from typing import Any

from kasir_bench import processes
from kasir_bench.server import Server

KASIR_PACKAGES = ("entrypoints", "application", "adapters", "domain")


def start_profile(server: Server, seconds: float, out: Path) -> subprocess.Popen[Any]:
    """py-spy sampling the server's (first) process for `seconds`, raw output to `out`."""
    spy = processes.venv_tool("py-spy", "py-spy")
    pid = server.pids()[0]
    command = [str(spy), "record", "-p", str(pid), "-d", str(int(seconds)), "-r", "250"]
    return processes.spawn([*command, "-f", "raw", "--nonblocking", "-o", str(out)])


def finish_profile(spy: subprocess.Popen[Any], raw: Path) -> dict[str, Any]:
    spy.wait(30)
    processes.release(spy)
    return profile_summary(raw)


def _package(leaf: str) -> str:
    """Which package the innermost frame of a stack belongs to."""
    if "Runner.run" in leaf or not leaf:
        return "idle (event loop waiting)"
    match = re.search(r"\((.*?):\d+\)", leaf)
    path = match.group(1) if match else "<native>"
    package = path.split("/")[0] if "/" in path else path
    return f"kasir {package}" if package in KASIR_PACKAGES else package


def _function(frame: str) -> str:
    """`function (file)` of a `function (file:line)` frame."""
    where = frame.rpartition(" (")[2].partition(":")[0]
    return f"{frame.partition(' (')[0]} ({where})"


def profile_summary(raw: Path, top: int = 25) -> dict[str, Any]:
    """Where the server's samples went (py-spy raw format: one `frames count` line per stack):
    the share per package of the innermost frame, and the functions seen in most samples."""
    if not raw.exists():
        return {}
    by_package: dict[str, int] = {}
    inclusive: dict[str, int] = {}
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        count = int(count_text)
        total += count
        frames = stack.split(";")
        package = _package(frames[-1])
        by_package[package] = by_package.get(package, 0) + count
        for name in {_function(f) for f in frames}:
            inclusive[name] = inclusive.get(name, 0) + count

    def share(counts: dict[str, int]) -> dict[str, float]:
        ranked = sorted(counts.items(), key=lambda kv: -kv[1])[:top]
        return {k: round(100 * v / total, 1) for k, v in ranked}

    return {
        "samples": total,
        "by_package_pct": share(by_package),
        "inclusive_pct": share(inclusive),
    }
