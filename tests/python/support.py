"""What the tests share: the simulator's helpers, clients of every vendor with fast retries,
running a list or a connection test over any transport (sync or async), and small local
servers that are not a vendor API."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import mspkit
from simulator import Simulator

SENTINEL = "MSPKITSENTINEL"
"""The simulator puts it into every secret; it must never show up anywhere."""

WRONG_SECRET = f"wrong-{SENTINEL}-secret"

FAST_RETRY: Dict[str, int] = {
    "max_attempts": 4,
    "base_ms": 10,
    "cap_ms": 100,
    "max_total_ms": 30_000,
    "rate_limited_floor_ms": 50,
}
"""Retries in milliseconds, so fault tests stay fast."""

ROOMY = {"default": [(100_000, 60_000)]}
"""A vendor-wide window that never holds a test up (VSA 9's gentle default would)."""

VENDORS = ("vsax", "vsa9_pat", "vsa9_password", "warehouse", "autotask")
TRANSPORTS = ("urllib", "requests", "httpx", "httpx_async")
NONCE = 4_815_162_342


def family(vendor: str) -> str:
    """The simulator's name for the API a test vendor uses."""
    return "vsa9" if vendor.startswith("vsa9") else vendor


# ------------------------------------------------------------------ the simulator


class Sim:
    """The session's simulator, as a test sees it. It runs with `--log`: its stderr (one
    line per request) goes to `log_path`, which the leak scan reads."""

    def __init__(self, process: Simulator, log_path: Optional[Path] = None) -> None:
        self.process = process
        self.log_path = log_path

    def log_mark(self) -> int:
        """Where the log ends now; `log_since` reads what came after."""
        return self.log_path.stat().st_size if self.log_path is not None else 0

    def log_since(self, mark: int) -> str:
        if self.log_path is None:
            return ""
        with open(self.log_path, "rb") as log:
            log.seek(mark)
            return log.read().decode("utf-8", "replace")

    @property
    def origin(self) -> str:
        return self.process.origin

    @property
    def line(self) -> Dict[str, Any]:
        return self.process.line

    def reset(self, *, size: str = "small", **overrides: Any) -> None:
        self.process.reset({"size": size, **overrides})

    def stats(self) -> Dict[str, Any]:
        return self.process.stats()

    def records(self, name: str) -> int:
        return int(self.stats()["records"][name])

    def counter(self, endpoint: str, field: str = "requests") -> int:
        return int(self.stats()["endpoints"].get(endpoint, {}).get(field, 0))

    def vendor_counter(self, vendor: str, field: str = "requests") -> int:
        return int(self.stats()["vendors"].get(vendor, {}).get(field, 0))

    def requests_by_endpoint(self) -> Dict[str, int]:
        return {k: v["requests"] for k, v in self.stats()["endpoints"].items()}


def scheduled_rules(vendor: str, path: str, plan: Dict[int, Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Fault rules that make the n-th request on `path` (retries count) suffer `plan[n]`
    (a fault's fields: kind, status, ...). The simulator tries rules in order and a rule
    counts only the requests that reach it (an earlier rule that fires takes the
    request), so each rule's `at` is given in its own count."""
    kinds: List[str] = []
    for position in sorted(plan):
        key = json.dumps(plan[position], sort_keys=True)
        if key not in kinds:
            kinds.append(key)
    reached = dict.fromkeys(kinds, 0)
    at: Dict[str, List[int]] = {k: [] for k in kinds}
    for position in range(1, max(plan, default=0) + 1):
        planned = json.dumps(plan[position], sort_keys=True) if position in plan else None
        for key in kinds:
            reached[key] += 1
            if key == planned:
                at[key].append(reached[key])
                break
    return [{"vendor": vendor, "path": path, **json.loads(key), "at": at[key]} for key in kinds]


def settled_stats(sim: Sim, done: Callable[[Dict[str, Any]], bool], timeout: float = 15.0) -> Dict[str, Any]:
    """The simulator's stats once `done` holds for them. The simulator counts a request
    when it ends, and a slow answer the client gave up on ends later on the server."""
    deadline = time.monotonic() + timeout
    stats = sim.stats()
    while not done(stats) and time.monotonic() < deadline:
        time.sleep(0.05)
        stats = sim.stats()
    return stats


def options(**extra: Any) -> Dict[str, Any]:
    base: Dict[str, Any] = {
        "allow_insecure_loopback": True,
        "jitter_seed": 7,
        "retry": FAST_RETRY,
        "windows": ROOMY,
    }
    base.update(extra)
    return base


def client_for(
    sim: Sim,
    vendor: str,
    *,
    secret: Optional[str] = None,
    limited: bool = False,
    url: Optional[str] = None,
    zone_url: Optional[str] = None,
    **extra: Any,
) -> mspkit.Client:
    """A client of `vendor` on the simulator (or on `url`) with the startup line's
    credentials (or the limited ones), `secret` replacing the secret."""
    opts = options(**extra)
    line = sim.line
    if vendor == "vsax":
        c = line["vsax"]
        creds = c["limited"] if limited else c
        return mspkit.Client.vsax(
            url or c["tenant_url"], creds["token_id"], secret or creds["token_secret"], **opts
        )
    if vendor in ("vsa9_pat", "vsa9_password"):
        c = line["vsa9"]
        if limited:
            user, token = c["limited"]["username"], c["limited"]["token"]
        else:
            user, token = c["username"], c["token"] if vendor == "vsa9_pat" else c["password"]
        if vendor == "vsa9_pat":
            return mspkit.Client.vsa9(url or c["server_url"], user, secret or token, auth="pat", **opts)
        return mspkit.Client.vsa9(
            url or c["server_url"], user, secret or token, auth="password", nonce=NONCE, **opts
        )
    if vendor == "warehouse":
        c = line["vsa9"]
        user, token = (
            (c["limited"]["username"], c["limited"]["token"]) if limited else (c["username"], c["warehouse_token"])
        )
        return mspkit.Client.vsa9_warehouse(url or c["server_url"], user, secret or token, **opts)
    if vendor == "autotask":
        c = line["autotask"]
        creds = c["limited"] if limited else c
        opts.setdefault("zone_discovery_url", url or c["zone_discovery_url"])
        return mspkit.Client.autotask(
            creds["username"], secret or creds["secret"], c["integration_code"], zone_url=zone_url, **opts
        )
    raise ValueError(vendor)


@dataclass(frozen=True)
class ListSpec:
    resource: str
    count_name: str
    count: int
    id_field: str
    page_size: Optional[int]
    page_counts: Tuple[int, ...]
    endpoints: Tuple[str, ...]
    """The simulator's endpoint keys of the list's own requests."""


LISTS: Dict[str, ListSpec] = {
    "vsax": ListSpec("devices", "vsax.devices", 250, "Identifier", None, (100, 100, 50), ("vsax GET devices",)),
    "vsa9": ListSpec(
        "assetmgmt/agents", "vsa9.agents", 260, "AgentId", None, (100, 100, 60), ("vsa9 GET assetmgmt/agents",)
    ),
    "warehouse": ListSpec("Agents", "vsa9.agents", 250, "AgentId", 40, (40,) * 6 + (10,), ("warehouse GET Agents",)),
    "autotask": ListSpec(
        "Companies",
        "autotask.companies",
        1234,
        "id",
        None,
        (500, 500, 234),
        ("autotask POST V1.0/Companies/query", "autotask POST V1.0/Companies/query/next"),
    ),
}

ORG_RECORDS = {"vsax": "vsax.organizations", "vsa9": "vsa9.orgs", "warehouse": None, "autotask": "autotask.companies"}


def list_requests(sim: Sim, spec: ListSpec, field: str = "requests") -> int:
    return sum(sim.counter(endpoint, field) for endpoint in spec.endpoints)


# ------------------------------------------------------------------ running a client


@dataclass
class PageSeen:
    number: int
    items: List[Dict[str, Any]]
    cursor: str
    total: Optional[int]


def _seen(page: mspkit.Event) -> PageSeen:
    assert page.kind == "page" and page.cursor is not None and page.page_number is not None
    return PageSeen(page.page_number, list(page.items or ()), page.cursor, page.total)


@contextlib.contextmanager
def sync_transport(name: str) -> Iterator[mspkit.Transport]:
    if name == "urllib":
        yield mspkit.UrllibTransport()
    elif name == "requests":
        with mspkit.RequestsTransport() as t:
            yield t
    elif name == "httpx":
        with mspkit.HttpxTransport() as t:
            yield t
    else:
        raise ValueError(name)


def list_pages(
    client: mspkit.Client,
    transport: str,
    resource: str,
    *,
    timeout: float = 2.0,
    stop_after: Optional[int] = None,
    **kw: Any,
) -> List[PageSeen]:
    """Lists `resource` over `transport` (stopping after page `stop_after`); raises the
    list's error."""
    if transport == "httpx_async":
        return asyncio.run(_alist(client, resource, timeout, stop_after, kw))
    pages: List[PageSeen] = []
    with sync_transport(transport) as t:
        for page in client.iter_pages(resource, transport=t, timeout=timeout, **kw):
            pages.append(_seen(page))
            if stop_after is not None and page.page_number == stop_after:
                break
    return pages


async def _alist(
    client: mspkit.Client, resource: str, timeout: float, stop_after: Optional[int], kw: Dict[str, Any]
) -> List[PageSeen]:
    pages: List[PageSeen] = []
    async with mspkit.AsyncHttpxTransport() as t:
        agen = client.aiter_pages(resource, transport=t, timeout=timeout, **kw)
        try:
            async for page in agen:
                pages.append(_seen(page))
                if stop_after is not None and page.page_number == stop_after:
                    break
        finally:
            await agen.aclose()
    return pages


def connect(client: mspkit.Client, transport: str = "urllib", timeout: float = 2.0) -> mspkit.ConnectionReport:
    if transport == "httpx_async":

        async def run() -> mspkit.ConnectionReport:
            async with mspkit.AsyncHttpxTransport() as t:
                return await client.test_connection_async(t, timeout)

        return asyncio.run(run())
    with sync_transport(transport) as t:
        return client.test_connection(t, timeout)


def drive_all(client: mspkit.Client, timeout: float = 2.0) -> List[mspkit.Event]:
    """Every job started on `client`, driven to its end by a host loop over poll (urllib,
    sleeping through each Wait); returns the events in the order they came."""
    transport = mspkit.UrllibTransport()
    events: List[mspkit.Event] = []
    now = lambda: int(time.time() * 1000)  # noqa: E731
    while (action := client.poll(now())) is not None:
        if isinstance(action, mspkit.Send):
            try:
                status, headers, body = transport.send(action.request, timeout)
            except mspkit.TransportFailure as failure:
                client.handle_transport_error(action.request.id, failure.kind, failure.message, now())
            else:
                client.handle_response(action.request.id, status, headers, body, now())
        elif isinstance(action, mspkit.Wait):
            time.sleep(max(0.0, action.until_ms / 1000 - time.time()))
        else:
            events.append(action)
    return events


def job_error(event: mspkit.Event) -> Optional[mspkit.Error]:
    """The error a job ended with: a failed list's, or a failed connection test's."""
    if event.report is not None:
        return event.report.error
    return event.error


def job_requests(event: mspkit.Event) -> int:
    """Requests the job made, from its last event."""
    count = event.report.requests_made if event.report is not None else event.requests_made
    assert count is not None, event
    return count


def ids(pages: Sequence[PageSeen], field: str) -> List[str]:
    return [str(item[field]) for page in pages for item in page.items]


def assert_exactly_once(values: Sequence[str], expected: int) -> None:
    assert len(set(values)) == len(values), f"{len(values) - len(set(values))} duplicates"
    assert len(values) == expected, "item count"


# ------------------------------------------------------------------ places that are not the API


def dead_origin() -> str:
    """A loopback port with nothing listening (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


class WebServer:
    """A local web server that is not a vendor API: every request gets `status` with an
    HTML body (and `headers`). Counts the requests that reach it. `host` is any loopback
    address (127.0.0.2, ::1 ...)."""

    def __init__(self, status: int = 404, headers: Sequence[Tuple[str, str]] = (), host: str = "127.0.0.1") -> None:
        self.hits = 0
        self.seen_headers: List[Dict[str, str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                server.hits += 1
                server.seen_headers.append(dict(self.headers.items()))
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                body = f"<html><body><h1>{status}</h1></body></html>".encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers:
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, format: str, *args: Any) -> None:
                pass

        ipv6 = ":" in host

        class Server(ThreadingHTTPServer):
            address_family = socket.AF_INET6 if ipv6 else socket.AF_INET

        self.httpd = Server((host, 0), Handler)
        self.host = f"[{host}]" if ipv6 else host
        self.authority = f"{self.host}:{self.httpd.server_address[1]}"
        self.origin = f"http://{self.authority}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> "WebServer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
