"""A one-bit ``asyncio.Event`` for the objects the cluster keeps thousands of.

Every simulated process, container, log and pod worker waits on a few events. An
``asyncio.Event`` costs about 900 bytes (most of it an empty ``deque`` of waiters), which at a
thousand pods adds up to over ten megabytes; a :class:`Flag` costs a few dozen bytes until
something waits on it. It behaves as ``asyncio.Event`` does: ``wait`` returns True once the
flag is set, at once when it already is.
"""

from __future__ import annotations

import asyncio


class Flag:
    __slots__ = ("_value", "_waiters")

    def __init__(self) -> None:
        self._value = False
        self._waiters: list[asyncio.Future[None]] | None = None

    def is_set(self) -> bool:
        return self._value

    def set(self) -> None:
        """Set the flag and wake every waiter."""
        if self._value:
            return
        self._value = True
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            if not waiter.done():
                waiter.set_result(None)

    def clear(self) -> None:
        self._value = False

    async def wait(self) -> bool:
        if self._value:
            return True
        waiter = asyncio.get_running_loop().create_future()
        if self._waiters is None:
            self._waiters = []
        self._waiters.append(waiter)
        try:
            await waiter
        finally:
            if self._waiters is not None and waiter in self._waiters:
                self._waiters.remove(waiter)
        return True
