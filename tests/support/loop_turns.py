"""Counting the turns the event loop gives other work while a test awaits something."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass


@dataclass
class LoopTurns:
    count: int = 0


@asynccontextmanager
async def loop_turns(interval: float = 0.0) -> AsyncIterator[LoopTurns]:
    """Inside the block, a task counts each time it gets the loop back after `interval`."""
    turns = LoopTurns()

    async def other_work() -> None:
        while True:
            await asyncio.sleep(interval)
            turns.count += 1

    task = asyncio.create_task(other_work())
    try:
        yield turns
    finally:
        task.cancel()
