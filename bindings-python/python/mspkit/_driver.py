"""The host loop: poll the core, do what it says, hand back what happened.

Send → the transport → handle_response (or handle_transport_error); Wait → sleep until
then; Event → the caller. The loop makes no decision of its own: waits, retries, paging
and failures are all the core's.

One client may run several jobs; an event for a job other than the one being driven is
kept for that job's own loop, and the events of a job whose loop was abandoned are
dropped.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import AsyncGenerator, Deque, Dict, Generator, Optional, Set

from . import _native
from .transports import AsyncTransport, Transport, TransportFailure

_FINAL = ("done", "failed", "connection")


def now_ms() -> int:
    """The host clock the core reads: Unix milliseconds."""
    return int(time.time() * 1000)


def _left_s(until_ms: int) -> float:
    """Seconds until the wall clock reads `until_ms` (int(time.time()*1000) >= until_ms)."""
    return (until_ms - time.time() * 1000.0) / 1000.0


class Driver:
    """Drives one native client: its counters and the events waiting for their job."""

    def __init__(self, native: _native.Client) -> None:
        self.native = native
        self.requests_sent = 0
        self.wait_seconds = 0.0
        self._waiting: Dict[int, Deque[_native.Event]] = {}
        self._abandoned: Set[int] = set()

    # -- bookkeeping shared by both loops

    def _next_waiting(self, job: int) -> Optional[_native.Event]:
        queue = self._waiting.get(job)
        if not queue:
            return None
        event = queue.popleft()
        if not queue:
            del self._waiting[job]
        return event

    def _route(self, event: _native.Event, job: int) -> Optional[_native.Event]:
        """`event` if it is `job`'s; otherwise it is kept for its own job (or dropped)."""
        if event.job == job:
            return event
        if event.job in self._abandoned:
            if event.kind in _FINAL:
                self._abandoned.discard(event.job)
        else:
            self._waiting.setdefault(event.job, deque()).append(event)
        return None

    def abandon(self, job: int) -> None:
        """The caller stopped listening to `job` before it ended."""
        self._waiting.pop(job, None)
        self._abandoned.add(job)

    def _unanswered(self, request: _native.Request, error: BaseException) -> None:
        """The transport raised something other than TransportFailure (a bug, Ctrl-C,
        cancellation): the core still learns the request failed, then it propagates."""
        self.native.handle_transport_error(request.id, "other", type(error).__name__, now_ms())

    # -- sync

    def events(self, job: int, transport: Transport, timeout: float) -> Generator[_native.Event, None, None]:
        """`job`'s events until its last (done, failed or connection), driving the client."""
        ended = False
        try:
            while True:
                event = self._next_waiting(job)
                if event is None:
                    action = self.native.poll(now_ms())
                    if action is None:
                        raise RuntimeError(f"mspkit: the client went idle before job {job} ended")
                    if isinstance(action, _native.Send):
                        self._send(action.request, transport, timeout)
                        continue
                    if isinstance(action, _native.Wait):
                        self._sleep(action.until_ms)
                        continue
                    event = self._route(action, job)
                    if event is None:
                        continue
                ended = event.kind in _FINAL
                yield event
                if ended:
                    return
        finally:
            if not ended:
                self.abandon(job)

    def _send(self, request: _native.Request, transport: Transport, timeout: float) -> None:
        self.requests_sent += 1
        try:
            status, headers, body = transport.send(request, timeout)
        except TransportFailure as failure:
            self.native.handle_transport_error(request.id, failure.kind, failure.message, now_ms())
            return
        except BaseException as error:
            self._unanswered(request, error)
            raise
        self.native.handle_response(request.id, status, headers, body, now_ms())

    def _sleep(self, until_ms: int) -> None:
        started = time.monotonic()
        try:
            left = _left_s(until_ms)
            while left > 0:
                time.sleep(left)
                left = _left_s(until_ms)
        finally:
            self.wait_seconds += time.monotonic() - started

    # -- async

    async def aevents(
        self, job: int, transport: AsyncTransport, timeout: float
    ) -> AsyncGenerator[_native.Event, None]:
        """The async form of `events`."""
        ended = False
        try:
            while True:
                event = self._next_waiting(job)
                if event is None:
                    action = self.native.poll(now_ms())
                    if action is None:
                        raise RuntimeError(f"mspkit: the client went idle before job {job} ended")
                    if isinstance(action, _native.Send):
                        await self._asend(action.request, transport, timeout)
                        continue
                    if isinstance(action, _native.Wait):
                        await self._asleep(action.until_ms)
                        continue
                    event = self._route(action, job)
                    if event is None:
                        continue
                ended = event.kind in _FINAL
                yield event
                if ended:
                    return
        finally:
            if not ended:
                self.abandon(job)

    async def _asend(self, request: _native.Request, transport: AsyncTransport, timeout: float) -> None:
        self.requests_sent += 1
        try:
            status, headers, body = await transport.send(request, timeout)
        except TransportFailure as failure:
            self.native.handle_transport_error(request.id, failure.kind, failure.message, now_ms())
            return
        except BaseException as error:
            self._unanswered(request, error)
            raise
        self.native.handle_response(request.id, status, headers, body, now_ms())

    async def _asleep(self, until_ms: int) -> None:
        started = time.monotonic()
        try:
            left = _left_s(until_ms)
            while left > 0:
                await asyncio.sleep(left)
                left = _left_s(until_ms)
        finally:
            self.wait_seconds += time.monotonic() - started
