"""mspkit: one client core for Kaseya VSA X, VSA 9 (REST and Data Warehouse) and Autotask PSA.

The Rust core (``mspkit._native``) builds every request and decides what happens next:
pacing, retries, paging, errors. This package adds the host side: a :class:`Client` with
drivers that perform the HTTP with the client you choose (stdlib urllib by default,
``requests`` or ``httpx``) and sleep when the core says so.

    >>> import mspkit
    >>> client = mspkit.Client.vsax("acme.vsax.net", token_id, token_secret)
    >>> print(client.test_connection().message)
    >>> for device in client.iter_items("devices"):
    ...     print(device["Name"])
"""

from ._native import (
    AuthError,
    BudgetExhaustedError,
    ConfigError,
    ConnectionReport,
    Error,
    Event,
    ForbiddenError,
    NotFoundError,
    RateLimitedError,
    Request,
    ResponseError,
    Send,
    ServerError,
    TransportError,
    UnsafeLinkError,
    Wait,
    __version__,
)
from .client import Client
from .transports import (
    AsyncHttpxTransport,
    AsyncTransport,
    HttpxTransport,
    RequestsTransport,
    Response,
    Transport,
    TransportFailure,
    UrllibTransport,
)

__all__ = [
    "AsyncHttpxTransport",
    "AsyncTransport",
    "AuthError",
    "BudgetExhaustedError",
    "Client",
    "ConfigError",
    "ConnectionReport",
    "Error",
    "Event",
    "ForbiddenError",
    "HttpxTransport",
    "NotFoundError",
    "RateLimitedError",
    "Request",
    "RequestsTransport",
    "Response",
    "ResponseError",
    "Send",
    "ServerError",
    "Transport",
    "TransportError",
    "TransportFailure",
    "UnsafeLinkError",
    "UrllibTransport",
    "Wait",
    "__version__",
]
