"""Turn slots: a bounded number of turns at work, a turn waiting for the LLM not counted."""

from __future__ import annotations

import asyncio

import pytest

from services.chat.slots import TurnSlots


async def test_at_most_size_turns_work_at_once_and_a_waiting_turn_frees_its_slot() -> None:
    slots = TurnSlots(2)
    working = peak = 0
    llm_waiting = asyncio.Event()

    async def turn(n: int) -> None:
        nonlocal working, peak
        async with slots.turn() as slot:
            working += 1
            peak = max(peak, working)
            await asyncio.sleep(0.01)
            working -= 1
            if n == 0:
                async with slots.waiting(slot):  # the LLM: 4 other turns get through meanwhile
                    llm_waiting.set()
                    await asyncio.sleep(0.2)
                working += 1
                working -= 1

    first = asyncio.create_task(turn(0))
    await llm_waiting.wait()
    started = asyncio.get_running_loop().time()
    await asyncio.gather(*(turn(n) for n in range(1, 5)))
    assert asyncio.get_running_loop().time() - started < 0.15  # not held up by the waiting turn
    await first
    assert peak <= 2 and slots.free == 2


async def test_a_turn_cancelled_while_taking_its_slot_back_leaks_nothing() -> None:
    slots = TurnSlots(1)
    blocker_in = asyncio.Event()
    release = asyncio.Event()

    async def waiter() -> None:
        async with slots.turn() as slot, slots.waiting(slot):
            blocker_in.set()
            await release.wait()

    async def blocker() -> None:
        await blocker_in.wait()
        async with slots.turn():
            release.set()
            await asyncio.sleep(0.1)  # holds the only slot while the waiter wants it back

    task = asyncio.create_task(waiter())
    other = asyncio.create_task(blocker())
    await release.wait()
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await other
    assert slots.free == 1
