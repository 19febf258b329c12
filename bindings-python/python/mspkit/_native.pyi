"""Types of mspkit's native module (the Rust core through PyO3).

Everything here is a thin translation of mspkit-core: the client builds requests and
decides what happens next; the host (mspkit's drivers, or your own loop) performs HTTP.
Times are Unix milliseconds passed in by the host. No repr, str or exception text ever
contains a secret, a token or an Authorization value.
"""

from typing import Any, Literal, Mapping, Optional, Sequence, Tuple, Union, final

__version__: str

# ---------------------------------------------------------------- errors
class Error(Exception):
    """Base class of every mspkit error; the fields are set on every instance."""

    code: str
    """Stable code: invalid_config, unauthorized, forbidden, not_found, rate_limited,
    server_error, bad_response, transport, unsafe_link or budget_exhausted."""
    status: Optional[int]
    """The HTTP status that caused it, if any."""
    message: str
    """What happened."""
    remediation: str
    """What the user should do about it."""
    vendor_message: Optional[str]
    """What the server said, if anything (secrets removed)."""
    retryable: bool

class ConfigError(Error): ...  # invalid_config
class AuthError(Error): ...  # unauthorized
class ForbiddenError(Error): ...  # forbidden
class NotFoundError(Error): ...  # not_found
class RateLimitedError(Error): ...  # rate_limited
class ServerError(Error): ...  # server_error
class ResponseError(Error): ...  # bad_response
class TransportError(Error): ...  # transport
class UnsafeLinkError(Error): ...  # unsafe_link
class BudgetExhaustedError(Error): ...  # budget_exhausted

# ---------------------------------------------------------------- actions
@final
class Request:
    """An HTTP request to send exactly as given."""

    @property
    def id(self) -> int: ...
    @property
    def method(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def headers(self) -> list[Tuple[str, str]]: ...
    @property
    def body(self) -> Optional[str]: ...

@final
class Send:
    """Send `request`, then call handle_response or handle_transport_error."""

    @property
    def request(self) -> Request: ...

@final
class Wait:
    """Send nothing before `until_ms`; poll again then."""

    @property
    def until_ms(self) -> int: ...

@final
class ConnectionReport:
    @property
    def ok(self) -> bool: ...
    @property
    def vendor(self) -> str: ...
    @property
    def base_url(self) -> Optional[str]: ...
    @property
    def organization_count(self) -> Optional[int]: ...
    @property
    def message(self) -> str: ...
    @property
    def error(self) -> Optional[Error]: ...
    @property
    def requests_made(self) -> int: ...

@final
class Event:
    """Something happened to a job. Fields not of its kind are None."""

    @property
    def kind(self) -> Literal["page", "done", "failed", "connection"]: ...
    @property
    def job(self) -> int: ...
    # page
    @property
    def items(self) -> Optional[list[dict[str, Any]]]:
        """The page's records as plain dicts (built once, on first access)."""
    @property
    def items_json(self) -> Optional[str]:
        """The page's records as the JSON array text the server sent."""
    @property
    def item_count(self) -> Optional[int]:
        """Records on the page (page), or delivered by the job (done)."""
    @property
    def total(self) -> Optional[int]: ...
    @property
    def page_number(self) -> Optional[int]: ...
    @property
    def cursor(self) -> Optional[str]: ...
    # done / failed
    @property
    def requests_made(self) -> Optional[int]: ...
    @property
    def error(self) -> Optional[Error]: ...
    # connection
    @property
    def report(self) -> Optional[ConnectionReport]: ...

Action = Union[Send, Wait, Event]

Headers = Union[Sequence[Tuple[str, str]], Mapping[str, str]]
Body = Union[str, bytes, bytearray, memoryview, None]
FilterArg = Union[str, Sequence[Mapping[str, Any]], None]
Windows = Mapping[str, Sequence[Tuple[int, int]]]
FailureGuardArg = Union[Literal["documented", "announced", "off"], Sequence[Tuple[int, int]]]

# ---------------------------------------------------------------- client
@final
class Client:
    """One tenant connection; several jobs may run at once. No I/O of its own.

    Options (keyword-only, every constructor):
    allow_insecure_loopback: permit http:// for 127.0.0.0/8, ::1 and localhost only.
    jitter_seed: seed for retry jitter; default from the OS's random source.
    zone_discovery_url: Autotask zone discovery endpoint (the simulator's).
    autotask_paging: "next_link" (default) or "keyset".
    max_in_flight: requests in flight at once over all jobs (default 1).
    windows: {"default"|"assets"|"notify"|"group_package": [(limit, per_ms), ...]}.
    failure_guard: "documented" | "announced" | "off" | [(limit, per_ms), ...].
    autotask_share: share of the tenant's hourly threshold this client may use (0.5).
    max_wait_ms: longest wait for the failure guard or a server-named Retry-After.
    retry: {"max_attempts", "base_ms", "cap_ms", "max_total_ms", "rate_limited_floor_ms"}.
    instance: names this process in shared pacing state.
    Invalid input raises ConfigError at once; nothing is sent.
    """

    @staticmethod
    def vsax(tenant_url: str, token_id: str, token_secret: str, **options: Any) -> Client: ...
    @staticmethod
    def vsa9(
        server_url: str,
        username: str,
        token: str,
        auth: Literal["pat", "password"] = "pat",
        nonce: Optional[int] = None,
        **options: Any,
    ) -> Client: ...
    @staticmethod
    def vsa9_warehouse(server_url: str, username: str, token: str, **options: Any) -> Client: ...
    @staticmethod
    def autotask(
        username: str,
        secret: str,
        integration_code: str,
        zone_url: Optional[str] = None,
        impersonation_resource_id: Optional[int] = None,
        **options: Any,
    ) -> Client: ...
    @property
    def vendor(self) -> str:
        """"vsax", "vsa9", "vsa9_warehouse" or "autotask"."""
    @property
    def base_url(self) -> Optional[str]:
        """The normalised API base (Autotask: the zone, once known)."""
    def start_test_connection(self) -> int: ...
    def start_list(
        self,
        resource: str,
        filter: FilterArg = None,
        order_by: Optional[str] = None,
        page_size: Optional[int] = None,
        fields: Optional[Sequence[str]] = None,
        cursor: Optional[str] = None,
    ) -> int: ...
    def cancel(self, job: int) -> bool:
        """Stops `job`: it sends nothing more and its undelivered events are dropped. A
        request of it still in flight may be handed back (ignored) or not at all. False
        when it had already ended and delivered everything."""
    def poll(self, now_ms: int) -> Optional[Action]: ...
    def handle_response(
        self, request_id: int, status: int, headers: Headers, body: Body, now_ms: int
    ) -> None: ...
    def handle_transport_error(
        self,
        request_id: int,
        kind: Literal["timeout", "connect", "other"],
        message: str,
        now_ms: int,
    ) -> None: ...
    def export_state(self) -> str: ...
    def import_state(self, state: str) -> None: ...
