"""Transports: tiny adapters that send one request with an HTTP client and hand back the
response, whatever its status.

A transport has one method, ``send(request, timeout) -> (status, headers, body)``
(``async`` for the async drivers). It never follows redirects, returns 4xx and 5xx as
responses, and turns every failure without a response into :class:`TransportFailure`
with a kind the core understands: ``"timeout"``, ``"connect"`` (nothing reached the
server) or ``"other"`` (the connection broke mid-request). It decides nothing else:
retries and waits are the core's.

Failure messages name the exception type and the operating system's reason at most;
never a header value, since the request's headers carry the credentials.

``requests`` and ``httpx`` are imported only when their transport is created, so the
package works without them.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any, List, Literal, Optional, Protocol, Tuple, Type

from ._native import Request

if TYPE_CHECKING:
    import httpx
    import requests

__all__ = [
    "AsyncHttpxTransport",
    "AsyncTransport",
    "FailureKind",
    "HttpxTransport",
    "RequestsTransport",
    "Response",
    "Transport",
    "TransportFailure",
    "UrllibTransport",
]

FailureKind = Literal["timeout", "connect", "other"]

Response = Tuple[int, List[Tuple[str, str]], bytes]
"""(status, headers as (name, value) pairs in the order received, body bytes)."""


class TransportFailure(Exception):
    """A request got no (complete) response. ``kind`` is "timeout", "connect" or "other";
    ``message`` is safe to show (no header values)."""

    kind: FailureKind
    message: str

    def __init__(self, kind: FailureKind, message: str) -> None:
        super().__init__(kind, message)
        self.kind = kind
        self.message = message

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"

    def __repr__(self) -> str:
        return f"TransportFailure({self.kind!r}, {self.message!r})"


class Transport(Protocol):
    """What the sync drivers need from an HTTP client."""

    def send(self, request: Request, timeout: float) -> Response: ...


class AsyncTransport(Protocol):
    """What the async drivers need from an HTTP client."""

    async def send(self, request: Request, timeout: float) -> Response: ...


# ----------------------------------------------------------------- failure classification


def _is_timeout(exc: BaseException) -> bool:
    return isinstance(exc, (socket.timeout, TimeoutError))


def _describe(exc: BaseException) -> str:
    """The exception's type and, for OS errors, the system's reason: text that cannot
    hold a header value (a library's own message sometimes quotes one)."""
    name = type(exc).__name__
    if isinstance(exc, OSError) and isinstance(exc.strerror, str) and exc.strerror:
        return f"{name}: {exc.strerror}"
    if _is_timeout(exc):
        return f"{name}: timed out"
    if isinstance(exc, http.client.IncompleteRead):
        return f"{name}: the connection closed before the whole body arrived"
    if isinstance(exc, http.client.RemoteDisconnected):
        return f"{name}: the server closed the connection without a response"
    return name


def _chain(exc: BaseException) -> List[BaseException]:
    """`exc` and everything it wraps (args, .reason, cause, context), outermost first."""
    seen: List[BaseException] = []
    todo: List[BaseException] = [exc]
    while todo and len(seen) < 16:
        current = todo.pop(0)
        if any(current is s for s in seen):
            continue
        seen.append(current)
        wrapped: List[Any] = [getattr(current, "reason", None), current.__cause__, current.__context__]
        wrapped.extend(current.args)
        todo.extend(w for w in wrapped if isinstance(w, BaseException))
    return seen


_BROKEN = (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)


def _from_os_error(exc: BaseException, *, connecting: bool) -> TransportFailure:
    """Classifies a failure of the standard library's socket layer."""
    if _is_timeout(exc):
        return TransportFailure("connect" if connecting else "timeout", _describe(exc))
    if connecting and isinstance(exc, OSError) and not isinstance(exc, _BROKEN):
        # Refused, unreachable, DNS, TLS handshake: nothing reached the server.
        return TransportFailure("connect", _describe(exc))
    return TransportFailure("other", _describe(exc))


def _body_bytes(request: Request) -> Optional[bytes]:
    body = request.body
    return None if body is None else body.encode("utf-8")


# ----------------------------------------------------------------- urllib (stdlib)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Hands every 3xx back as a response: credentials never follow a redirect."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class UrllibTransport:
    """The standard library's urllib: no dependency. A new connection per request.

    ``context`` is the TLS context for https (default: the system's trust store).
    """

    def __init__(self, context: Optional[ssl.SSLContext] = None) -> None:
        handlers: List[urllib.request.BaseHandler] = [_NoRedirects()]
        if context is not None:
            handlers.append(urllib.request.HTTPSHandler(context=context))
        self._opener = urllib.request.build_opener(*handlers)

    def __repr__(self) -> str:
        return "UrllibTransport()"

    def send(self, request: Request, timeout: float) -> Response:
        outgoing = urllib.request.Request(
            request.url,
            data=_body_bytes(request),
            headers=dict(request.headers),
            method=request.method,
        )
        try:
            response = self._opener.open(outgoing, timeout=timeout)
        except urllib.error.HTTPError as answered:
            # 4xx, 5xx and (redirects being refused) 3xx: a response like any other.
            try:
                return answered.code, list(answered.headers.items()), self._read(answered)
            finally:
                answered.close()
        except urllib.error.URLError as failed:
            # Raised while connecting or sending; `reason` is what the socket said.
            reason = failed.reason
            if isinstance(reason, BaseException):
                raise _from_os_error(reason, connecting=True) from None
            raise TransportFailure("other", "URLError") from None
        except (OSError, http.client.HTTPException) as failed:
            # Raised while waiting for the status line: the request went out.
            raise _from_os_error(failed, connecting=False) from None
        except Exception as failed:  # e.g. a header value http.client refuses (and quotes)
            raise TransportFailure("other", type(failed).__name__) from None
        with response:
            return response.status, list(response.headers.items()), self._read(response)

    @staticmethod
    def _read(response: Any) -> bytes:
        if getattr(response, "fp", True) is None:
            return b""
        try:
            body: bytes = response.read()
        except (OSError, http.client.HTTPException) as failed:
            raise _from_os_error(failed, connecting=False) from None
        return body


# ----------------------------------------------------------------- requests


class RequestsTransport:
    """A ``requests.Session`` (yours, or a new one). Redirects are never followed."""

    def __init__(self, session: Optional[requests.Session] = None) -> None:
        import requests

        self._requests = requests
        self.session: requests.Session = session if session is not None else requests.Session()
        self._owned = session is None

    def __repr__(self) -> str:
        return "RequestsTransport()"

    def close(self) -> None:
        """Closes the session if this transport created it."""
        if self._owned:
            self.session.close()

    def __enter__(self) -> RequestsTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(self, request: Request, timeout: float) -> Response:
        errors = self._requests.exceptions
        try:
            response = self.session.request(
                request.method,
                request.url,
                headers=dict(request.headers),
                data=_body_bytes(request),
                timeout=timeout,
                allow_redirects=False,
            )
            body = response.content
        except errors.ConnectTimeout as failed:
            raise TransportFailure("connect", _requests_message(failed)) from None
        except errors.Timeout as failed:
            raise TransportFailure("timeout", _requests_message(failed)) from None
        except errors.RequestException as failed:
            raise _from_requests(failed) from None
        except Exception as failed:  # e.g. a header value refused (and quoted) by the library
            raise TransportFailure("other", type(failed).__name__) from None
        return response.status_code, list(response.headers.items()), body


def _requests_message(exc: BaseException) -> str:
    """The innermost OS reason, else the exception types (never the library's text)."""
    chain = _chain(exc)
    for inner in reversed(chain):
        if isinstance(inner, OSError) and isinstance(inner.strerror, str) and inner.strerror:
            return f"{type(exc).__name__}: {_describe(inner)}"
    return " / ".join(dict.fromkeys(type(e).__name__ for e in chain))


def _from_requests(exc: BaseException) -> TransportFailure:
    import urllib3.exceptions as u3

    chain = _chain(exc)
    message = _requests_message(exc)
    connecting = (u3.NewConnectionError, u3.ConnectTimeoutError, ConnectionRefusedError, socket.gaierror)
    if any(isinstance(e, connecting) for e in chain):
        return TransportFailure("connect", message)
    if any(isinstance(e, (u3.ReadTimeoutError, socket.timeout, TimeoutError)) for e in chain):
        return TransportFailure("timeout", message)
    return TransportFailure("other", message)


# ----------------------------------------------------------------- httpx


def _from_httpx(exc: BaseException) -> TransportFailure:
    import httpx

    name = type(exc).__name__
    if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout)):
        return TransportFailure("connect", name)
    if isinstance(exc, httpx.TimeoutException):
        return TransportFailure("timeout", name)
    return TransportFailure("other", name)


def _httpx_errors() -> Tuple[Type[BaseException], ...]:
    import httpx

    # HTTPError covers transport and decoding errors; the others are raised for
    # malformed URLs or headers (their text may quote a header value: never shown).
    return (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError)


class HttpxTransport:
    """An ``httpx.Client`` (yours, or a new one). Redirects are never followed."""

    def __init__(self, client: Optional[httpx.Client] = None) -> None:
        import httpx

        self.client: httpx.Client = client if client is not None else httpx.Client()
        self._owned = client is None
        self._errors = _httpx_errors()

    def __repr__(self) -> str:
        return "HttpxTransport()"

    def close(self) -> None:
        """Closes the client if this transport created it."""
        if self._owned:
            self.client.close()

    def __enter__(self) -> HttpxTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(self, request: Request, timeout: float) -> Response:
        try:
            response = self.client.request(
                request.method,
                request.url,
                headers=request.headers,
                content=_body_bytes(request),
                timeout=timeout,
                follow_redirects=False,
            )
        except self._errors as failed:
            raise _from_httpx(failed) from None
        except Exception as failed:  # e.g. a header value refused (and quoted) by the library
            raise TransportFailure("other", type(failed).__name__) from None
        return response.status_code, list(response.headers.multi_items()), response.content


class AsyncHttpxTransport:
    """An ``httpx.AsyncClient`` (yours, or a new one), for the async drivers."""

    def __init__(self, client: Optional[httpx.AsyncClient] = None) -> None:
        import httpx

        self.client: httpx.AsyncClient = client if client is not None else httpx.AsyncClient()
        self._owned = client is None
        self._errors = _httpx_errors()

    def __repr__(self) -> str:
        return "AsyncHttpxTransport()"

    async def aclose(self) -> None:
        """Closes the client if this transport created it."""
        if self._owned:
            await self.client.aclose()

    async def __aenter__(self) -> AsyncHttpxTransport:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def send(self, request: Request, timeout: float) -> Response:
        try:
            response = await self.client.request(
                request.method,
                request.url,
                headers=request.headers,
                content=_body_bytes(request),
                timeout=timeout,
                follow_redirects=False,
            )
        except self._errors as failed:
            raise _from_httpx(failed) from None
        except Exception as failed:  # e.g. a header value refused (and quoted) by the library
            raise TransportFailure("other", type(failed).__name__) from None
        return response.status_code, list(response.headers.multi_items()), response.content

