"""What the bench prints: timestamped progress lines and the report at the end."""

import sys
import time


def log(message: str) -> None:
    """One progress line, stamped with the wall-clock time."""
    say(f"[{time.strftime('%H:%M:%S')}] {message}")


def say(text: str = "") -> None:
    """A line on standard output, flushed at once (a long run is watched as it goes)."""
    sys.stdout.write(f"{text}\n")
    sys.stdout.flush()
