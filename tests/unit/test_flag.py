"""Flag behaves as asyncio.Event does for everything the cluster uses it for."""

from __future__ import annotations

import asyncio

import pytest

from kubelab.cluster.flag import Flag


async def test_set_wakes_every_waiter_and_later_waits_return_at_once() -> None:
    flag = Flag()
    waiters = [asyncio.ensure_future(flag.wait()) for _ in range(3)]
    await asyncio.sleep(0)
    assert not any(w.done() for w in waiters)
    flag.set()
    assert await asyncio.gather(*waiters) == [True, True, True]
    assert flag.is_set()
    assert await asyncio.wait_for(flag.wait(), 1) is True


async def test_clear_makes_waits_block_again() -> None:
    flag = Flag()
    flag.set()
    flag.clear()
    assert not flag.is_set()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(flag.wait(), 0.05)


async def test_a_cancelled_waiter_is_forgotten_and_does_not_stop_the_others() -> None:
    flag = Flag()
    cancelled = asyncio.ensure_future(flag.wait())
    kept = asyncio.ensure_future(flag.wait())
    await asyncio.sleep(0)
    cancelled.cancel()
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    flag.set()
    assert await kept is True
