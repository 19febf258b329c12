"""The sentinel scan the suites share. Every secret of the simulator contains SENTINEL (and
so does every wrong secret the tests use): whatever a scenario prints, logs, raises,
exports or shows in a repr is collected here and must not contain it.

- `Capture` collects the texts of objects: repr and str of requests, actions, events,
  reports and errors, exception texts and tracebacks, exported state.
- `Recording` / `AsyncRecording` wrap a transport and capture what it is asked to send
  (never the headers: they are the credentials the request must carry) and its failures.
- `assert_no_sentinel` checks any texts: subprocess output, a database file, a log.

conftest.py applies the scan to every test's captured stdout, stderr and log records and
to the session simulator's log; the suites add what only they can see."""

from __future__ import annotations

import traceback
from pathlib import Path
from typing import Any, Iterable, List, Union

import mspkit
from support import SENTINEL


def leaks_in(texts: Iterable[str]) -> List[str]:
    """The texts that contain the sentinel."""
    return [t for t in texts if SENTINEL in t]


def assert_no_sentinel(texts: Iterable[str], what: str = "the captured output") -> None:
    found = leaks_in(texts)
    assert not found, f"the sentinel appeared in {what}: {found[:3]!r}"


def file_texts(*paths: Union[str, Path]) -> List[str]:
    """The contents of the files that exist among `paths` (a database, its WAL, a log),
    bytes decoded leniently: a secret in a binary page is still text."""
    return [Path(p).read_bytes().decode("utf-8", "replace") for p in paths if Path(p).exists()]


class Capture:
    """Texts to scan, collected while a scenario runs."""

    def __init__(self) -> None:
        self.texts: List[str] = []

    def add(self, *objects: Any) -> None:
        for o in objects:
            self.texts.append(repr(o))
            self.texts.append(str(o))

    def error(self, error: BaseException) -> None:
        self.add(error, error.args)
        self.texts.extend(traceback.format_exception(type(error), error, error.__traceback__))
        if isinstance(error, mspkit.Error):
            self.add(error.code, error.status, error.message, error.remediation, error.vendor_message)

    def report(self, report: mspkit.ConnectionReport) -> None:
        self.add(report, report.message, report.base_url, report.vendor)
        if report.error is not None:
            self.error(report.error)

    def event(self, event: mspkit.Event, *, items: bool = True) -> None:
        """An event's repr and fields; a page's records too unless `items` is False."""
        self.add(event, event.kind, event.cursor, event.total, event.page_number)
        if event.kind == "page" and items:
            self.add(event.items_json)
        if event.error is not None:
            self.error(event.error)
        if event.report is not None:
            self.report(event.report)

    def client(self, client: mspkit.Client) -> None:
        """The client's repr, base URL and exported state."""
        self.add(client, client.native, client.base_url, client.vendor, client.export_state())

    def assert_clean(self, *more: Iterable[str], at_least: int = 1) -> None:
        """No sentinel in what was captured (nor in `more`), and something was captured."""
        assert len(self.texts) >= at_least, f"only {len(self.texts)} texts captured"
        assert_no_sentinel([*self.texts, *(t for texts in more for t in texts)])


class Recording:
    """A transport that captures what it is asked to send, then sends it."""

    def __init__(self, inner: mspkit.Transport, capture: Capture) -> None:
        self.inner, self.capture = inner, capture
        self.sent: List[str] = []
        """The URL of every request, in order."""

    def send(self, request: mspkit.Request, timeout: float) -> mspkit.Response:
        self.sent.append(request.url)
        self.capture.add(request, request.url, request.method, request.body)
        try:
            return self.inner.send(request, timeout)
        except mspkit.TransportFailure as failure:
            self.capture.error(failure)
            raise


class AsyncRecording:
    """`Recording` for an async transport."""

    def __init__(self, inner: mspkit.AsyncTransport, capture: Capture) -> None:
        self.inner, self.capture = inner, capture
        self.sent: List[str] = []

    async def send(self, request: mspkit.Request, timeout: float) -> mspkit.Response:
        self.sent.append(request.url)
        self.capture.add(request, request.url, request.method, request.body)
        try:
            return await self.inner.send(request, timeout)
        except mspkit.TransportFailure as failure:
            self.capture.error(failure)
            raise
