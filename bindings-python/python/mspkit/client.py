"""``mspkit.Client``: the native sans-IO client plus host drivers that do the HTTP."""

from __future__ import annotations

from typing import Any, AsyncGenerator, Dict, Generator, Literal, Optional, Sequence

from . import _native
from ._driver import Driver
from .transports import AsyncTransport, Transport, UrllibTransport

__all__ = ["Client"]

Item = Dict[str, Any]


class Client:
    """One tenant connection. Build it with :meth:`vsax`, :meth:`vsa9`,
    :meth:`vsa9_warehouse` or :meth:`autotask`.

    Drive it with :meth:`test_connection`, :meth:`iter_pages` and :meth:`iter_items` (or
    their async forms), which send each request with a transport (urllib by default) and
    sleep when the core says so; or run your own loop over :meth:`poll`.

    Options (keyword arguments of every constructor) are those of ``mspkit._native.Client``:
    ``allow_insecure_loopback``, ``jitter_seed``, ``zone_discovery_url``, ``autotask_paging``,
    ``max_in_flight``, ``windows``, ``failure_guard``, ``autotask_share``, ``max_wait_ms``,
    ``retry`` and ``instance``. Invalid input raises :class:`mspkit.ConfigError` at once.

    Several drivers may run on one client (each gets its own job's events, whichever of
    them polled), but do not run a loop of your own over :meth:`poll` at the same time:
    the drivers would take its events. Leaving an iteration early leaves its job in the
    client (the core has no cancel); use a new client to start over.
    """

    __slots__ = ("_native", "_driver")

    def __init__(self, native: _native.Client) -> None:
        """Wraps a native client (the constructors below are the usual way in)."""
        self._native = native
        self._driver = Driver(native)

    # ------------------------------------------------------------ constructors

    @classmethod
    def vsax(cls, tenant_url: str, token_id: str, token_secret: str, **options: Any) -> Client:
        """Kaseya VSA X: the tenant URL as pasted (``acme.vsax.net``) and an API token."""
        return cls(_native.Client.vsax(tenant_url, token_id, token_secret, **options))

    @classmethod
    def vsa9(
        cls,
        server_url: str,
        username: str,
        token: str,
        auth: Literal["pat", "password"] = "pat",
        nonce: Optional[int] = None,
        **options: Any,
    ) -> Client:
        """Kaseya VSA 9 REST: a personal access token (``auth="pat"``) or the password."""
        return cls(_native.Client.vsa9(server_url, username, token, auth, nonce, **options))

    @classmethod
    def vsa9_warehouse(cls, server_url: str, username: str, token: str, **options: Any) -> Client:
        """Kaseya VSA 9 Data Warehouse (OData)."""
        return cls(_native.Client.vsa9_warehouse(server_url, username, token, **options))

    @classmethod
    def autotask(
        cls,
        username: str,
        secret: str,
        integration_code: str,
        zone_url: Optional[str] = None,
        impersonation_resource_id: Optional[int] = None,
        **options: Any,
    ) -> Client:
        """Autotask PSA: the API user; the zone is discovered unless ``zone_url`` is given."""
        return cls(
            _native.Client.autotask(
                username, secret, integration_code, zone_url, impersonation_resource_id, **options
            )
        )

    # ------------------------------------------------------------ the state machine

    @property
    def native(self) -> _native.Client:
        """The native client this wraps."""
        return self._native

    @property
    def vendor(self) -> str:
        """"vsax", "vsa9", "vsa9_warehouse" or "autotask"."""
        return self._native.vendor

    @property
    def base_url(self) -> Optional[str]:
        """The normalised API base (Autotask: the zone, once known)."""
        return self._native.base_url

    def start_test_connection(self) -> int:
        return self._native.start_test_connection()

    def start_list(
        self,
        resource: str,
        filter: _native.FilterArg = None,
        order_by: Optional[str] = None,
        page_size: Optional[int] = None,
        fields: Optional[Sequence[str]] = None,
        cursor: Optional[str] = None,
    ) -> int:
        return self._native.start_list(resource, filter, order_by, page_size, fields, cursor)

    def cancel(self, job: int) -> bool:
        """Stops `job`: it sends nothing more and its undelivered events are dropped. False
        when it had already ended and delivered everything."""
        return self._native.cancel(job)

    def poll(self, now_ms: int) -> Optional[_native.Action]:
        return self._native.poll(now_ms)

    def handle_response(
        self, request_id: int, status: int, headers: _native.Headers, body: _native.Body, now_ms: int
    ) -> None:
        self._native.handle_response(request_id, status, headers, body, now_ms)

    def handle_transport_error(
        self,
        request_id: int,
        kind: Literal["timeout", "connect", "other"],
        message: str,
        now_ms: int,
    ) -> None:
        self._native.handle_transport_error(request_id, kind, message, now_ms)

    def export_state(self) -> str:
        """Pacing and non-secret caches (the Autotask zone) as text; never a secret."""
        return self._native.export_state()

    def import_state(self, state: str) -> None:
        self._native.import_state(state)

    # ------------------------------------------------------------ counters

    @property
    def requests_sent(self) -> int:
        """Requests the drivers of this client have sent."""
        return self._driver.requests_sent

    @property
    def wait_seconds(self) -> float:
        """Seconds the drivers slept because the core said Wait (pacing and backoff)."""
        return self._driver.wait_seconds

    def __repr__(self) -> str:
        return f"<mspkit.Client {self.vendor} {self.base_url or '(zone not yet known)'}>"

    # ------------------------------------------------------------ sync drivers

    def test_connection(
        self, transport: Optional[Transport] = None, timeout: float = 30.0
    ) -> _native.ConnectionReport:
        """Checks the URL and credentials by counting organisations; never raises for a
        failed test: see ``report.ok``, ``report.message`` and ``report.error``."""
        job = self._native.start_test_connection()
        for event in self._driver.events(job, transport or UrllibTransport(), timeout):
            if event.kind == "connection" and event.report is not None:
                return event.report
        raise RuntimeError("mspkit: the connection test ended without a report")

    def iter_pages(
        self,
        resource: str,
        *,
        filter: _native.FilterArg = None,
        order_by: Optional[str] = None,
        page_size: Optional[int] = None,
        fields: Optional[Sequence[str]] = None,
        cursor: Optional[str] = None,
        transport: Optional[Transport] = None,
        timeout: float = 30.0,
    ) -> Generator[_native.Event, None, None]:
        """Lists `resource`, yielding each page event (``.items``, ``.cursor``, ...) once, in
        order. Raises the job's :class:`mspkit.Error` if it fails; the cursor of the last
        page yielded resumes it. The list starts on the first ``next()``."""
        job = self._native.start_list(resource, filter, order_by, page_size, fields, cursor)
        events = self._driver.events(job, transport or UrllibTransport(), timeout)
        try:
            for event in events:
                if event.kind == "page":
                    yield event
                elif event.kind == "failed" and event.error is not None:
                    raise event.error
        finally:
            events.close()
            # Left early (break, an exception): the job must not send on the next poll.
            self._native.cancel(job)

    def iter_items(
        self,
        resource: str,
        *,
        filter: _native.FilterArg = None,
        order_by: Optional[str] = None,
        page_size: Optional[int] = None,
        fields: Optional[Sequence[str]] = None,
        cursor: Optional[str] = None,
        transport: Optional[Transport] = None,
        timeout: float = 30.0,
    ) -> Generator[Item, None, None]:
        """The records of :meth:`iter_pages`, one by one, as plain dicts."""
        pages = self.iter_pages(
            resource,
            filter=filter,
            order_by=order_by,
            page_size=page_size,
            fields=fields,
            cursor=cursor,
            transport=transport,
            timeout=timeout,
        )
        for page in pages:
            yield from page.items or ()

    # ------------------------------------------------------------ async drivers

    async def test_connection_async(
        self, transport: Optional[AsyncTransport] = None, timeout: float = 30.0
    ) -> _native.ConnectionReport:
        """:meth:`test_connection` with an async transport (default: a new
        :class:`mspkit.AsyncHttpxTransport`, closed afterwards)."""
        if transport is None:
            from .transports import AsyncHttpxTransport

            async with AsyncHttpxTransport() as owned:
                return await self.test_connection_async(owned, timeout)
        job = self._native.start_test_connection()
        async for event in self._driver.aevents(job, transport, timeout):
            if event.kind == "connection" and event.report is not None:
                return event.report
        raise RuntimeError("mspkit: the connection test ended without a report")

    async def aiter_pages(
        self,
        resource: str,
        *,
        filter: _native.FilterArg = None,
        order_by: Optional[str] = None,
        page_size: Optional[int] = None,
        fields: Optional[Sequence[str]] = None,
        cursor: Optional[str] = None,
        transport: Optional[AsyncTransport] = None,
        timeout: float = 30.0,
    ) -> AsyncGenerator[_native.Event, None]:
        """:meth:`iter_pages` with an async transport (default: a new
        :class:`mspkit.AsyncHttpxTransport`, closed when the iteration ends)."""
        if transport is None:
            from .transports import AsyncHttpxTransport

            async with AsyncHttpxTransport() as owned:
                async for page in self.aiter_pages(
                    resource,
                    filter=filter,
                    order_by=order_by,
                    page_size=page_size,
                    fields=fields,
                    cursor=cursor,
                    transport=owned,
                    timeout=timeout,
                ):
                    yield page
            return
        job = self._native.start_list(resource, filter, order_by, page_size, fields, cursor)
        events = self._driver.aevents(job, transport, timeout)
        try:
            async for event in events:
                if event.kind == "page":
                    yield event
                elif event.kind == "failed" and event.error is not None:
                    raise event.error
        finally:
            await events.aclose()
            self._native.cancel(job)

    async def aiter_items(
        self,
        resource: str,
        *,
        filter: _native.FilterArg = None,
        order_by: Optional[str] = None,
        page_size: Optional[int] = None,
        fields: Optional[Sequence[str]] = None,
        cursor: Optional[str] = None,
        transport: Optional[AsyncTransport] = None,
        timeout: float = 30.0,
    ) -> AsyncGenerator[Item, None]:
        """The records of :meth:`aiter_pages`, one by one, as plain dicts."""
        pages = self.aiter_pages(
            resource,
            filter=filter,
            order_by=order_by,
            page_size=page_size,
            fields=fields,
            cursor=cursor,
            transport=transport,
            timeout=timeout,
        )
        async for page in pages:
            for item in page.items or ():
                yield item
