"""The transports on their own (no redirects followed, every status a response, failures
classified, no header value in a message) and the package surface around them."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from types import SimpleNamespace
from typing import Any, Dict, Iterator, List, Tuple

import pytest

import mspkit
from mspkit import _native
from support import SENTINEL, Sim, WebServer, client_for, dead_origin

SYNC = ("urllib", "requests", "httpx")
ALL = SYNC + ("httpx_async",)


def fake_request(url: str, method: str = "GET", headers: Any = None, body: Any = None) -> Any:
    """What a transport reads of a request: duck-typed, so the tests can pick any URL."""
    return SimpleNamespace(
        id=1, method=method, url=url, headers=headers or [("Accept", "application/json")], body=body
    )


def send(transport: str, request: Any, timeout: float = 2.0) -> mspkit.Response:
    if transport == "httpx_async":

        async def run() -> mspkit.Response:
            async with mspkit.AsyncHttpxTransport() as t:
                return await t.send(request, timeout)

        return asyncio.run(run())
    if transport == "urllib":
        return mspkit.UrllibTransport().send(request, timeout)
    if transport == "requests":
        with mspkit.RequestsTransport() as r:
            return r.send(request, timeout)
    with mspkit.HttpxTransport() as h:
        return h.send(request, timeout)


def failure(transport: str, request: Any, timeout: float = 2.0) -> mspkit.TransportFailure:
    with pytest.raises(mspkit.TransportFailure) as raised:
        send(transport, request, timeout)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
    return raised.value


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts connections (the kernel's backlog) and never answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(16)
        yield f"http://127.0.0.1:{s.getsockname()[1]}"


@pytest.mark.parametrize("transport", ALL)
def test_redirects_are_returned_not_followed(transport: str) -> None:
    with WebServer(404) as elsewhere, WebServer(302, [("Location", elsewhere.origin + "/x")]) as web:
        status, headers, _ = send(transport, fake_request(web.origin + "/start", headers=[("Authorization", "x")]))
        assert status == 302
        assert dict((k.lower(), v) for k, v in headers)["location"] == elsewhere.origin + "/x"
        assert elsewhere.hits == 0


@pytest.mark.parametrize("transport", ALL)
@pytest.mark.parametrize("status", [400, 401, 404, 429, 500, 503])
def test_error_statuses_are_responses(transport: str, status: int) -> None:
    with WebServer(status, [("Retry-After", "7")]) as web:
        got, headers, body = send(transport, fake_request(web.origin, "POST", body='{"a":1}'))
        assert got == status
        assert ("retry-after", "7") in [(k.lower(), v) for k, v in headers]
        assert body.startswith(b"<html>")
        assert isinstance(body, bytes)


@pytest.mark.parametrize("transport", ALL)
def test_nothing_listening_is_a_connect_failure(transport: str) -> None:
    assert failure(transport, fake_request(dead_origin())).kind == "connect"


@pytest.mark.parametrize("transport", ALL)
def test_no_answer_in_time_is_a_timeout(transport: str, silent_server: str) -> None:
    assert failure(transport, fake_request(silent_server), timeout=0.3).kind == "timeout"


# httpcore's DEBUG trace quotes the refused value ("Illegal header value b'Basic ...'").
# The core never builds such a header (a secret with a control character is a
# ConfigError), so only a hand-made request like this one gets there.
@pytest.mark.sentinel_in_library_log("httpcore")
@pytest.mark.parametrize("transport", ALL)
def test_a_refused_header_value_is_not_quoted(transport: str) -> None:
    with WebServer(200) as web:
        bad = fake_request(web.origin, headers=[("Authorization", f"Basic {SENTINEL}\r\nX: y")])
        try:
            send(transport, bad)
        except mspkit.TransportFailure as e:
            assert SENTINEL not in str(e) and SENTINEL not in repr(e)
            assert e.kind == "other"


def test_the_drivers_default_to_urllib(sim: Sim) -> None:
    client = client_for(sim, "vsax")
    assert client.test_connection().ok
    assert len(list(client.iter_items("organizations"))) == sim.records("vsax.organizations")


def test_the_async_drivers_default_to_httpx(sim: Sim) -> None:
    client = client_for(sim, "vsax")

    async def run() -> Tuple[bool, int]:
        report = await client.test_connection_async()
        items = [i async for i in client.aiter_items("organizations")]
        return report.ok, len(items)

    assert asyncio.run(run()) == (True, sim.records("vsax.organizations"))


def test_a_transport_that_raises_leaves_the_client_consistent(sim: Sim) -> None:
    class Broken:
        def send(self, request: Any, timeout: float) -> mspkit.Response:
            raise RuntimeError("a bug in a custom transport")

    client = client_for(sim, "vsax")
    with pytest.raises(RuntimeError):
        client.test_connection(Broken())  # type: ignore[arg-type]
    # The core learned the request failed: the client still works.
    assert client.test_connection(mspkit.UrllibTransport()).ok


def test_requests_and_httpx_are_imported_lazily() -> None:
    code = "import sys, mspkit; print(sorted(m for m in ('requests', 'httpx') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_package_surface() -> None:
    errors = [
        mspkit.ConfigError,
        mspkit.AuthError,
        mspkit.ForbiddenError,
        mspkit.NotFoundError,
        mspkit.RateLimitedError,
        mspkit.ServerError,
        mspkit.ResponseError,
        mspkit.TransportError,
        mspkit.UnsafeLinkError,
        mspkit.BudgetExhaustedError,
    ]
    assert all(issubclass(e, mspkit.Error) for e in errors)
    assert issubclass(mspkit.Error, Exception)
    assert mspkit.Error is _native.Error
    for name in ("Request", "Send", "Wait", "Event", "ConnectionReport"):
        assert getattr(mspkit, name) is getattr(_native, name)
    assert isinstance(mspkit.__version__, str)
    for name in ("vsax", "vsa9", "vsa9_warehouse", "autotask"):
        assert callable(getattr(mspkit.Client, name))


def test_the_client_delegates_the_state_machine(sim: Sim) -> None:
    """A host loop of its own over poll works on the Python client as on the native one."""
    client = client_for(sim, "vsax")
    assert client.vendor == "vsax"
    assert client.base_url == f"{sim.origin}/api/v3/"
    assert isinstance(client.native, _native.Client)
    assert SENTINEL not in repr(client)
    job = client.start_test_connection()
    transport = mspkit.UrllibTransport()
    import time

    events: List[Any] = []
    while (action := client.poll(int(time.time() * 1000))) is not None:
        if isinstance(action, mspkit.Send):
            status, headers, body = transport.send(action.request, 2.0)
            client.handle_response(action.request.id, status, headers, body, int(time.time() * 1000))
        elif isinstance(action, mspkit.Wait):
            time.sleep(max(0, action.until_ms / 1000 - time.time()))
        else:
            events.append(action)
    assert [e.kind for e in events] == ["connection"]
    assert events[0].job == job and events[0].report.ok
    state = client.export_state()
    other = client_for(sim, "vsax")
    other.import_state(state)
    assert client.requests_sent == 0, "counted by the drivers only"


def test_records_json_decoders_refuse_are_repaired_not_lost() -> None:
    """Valid JSON that serde_json refuses (a lone surrogate escape, as .NET writes when it
    cuts a string inside an emoji; a number beyond float range) still gives every record."""
    client = mspkit.Client.vsax(tenant_url="acme.vsax.net", token_id="id", token_secret="s")
    client.start_list("devices")
    send = client.poll(0)
    assert isinstance(send, mspkit.Send)
    body = (
        b'{"Data":[{"Id":1,"Name":"cut \\ud83d"},{"Id":2,"Size":1e400},'
        b'{"Id":3,"Name":"\\ud83d\\ude00"}],"Meta":{"ResponseCode":200,"TotalCount":3}}'
    )
    client.handle_response(send.request.id, 200, [], body, 1)
    event = client.poll(1)
    assert isinstance(event, mspkit.Event) and event.kind == "page"
    assert event.items == [
        {"Id": 1, "Name": "cut \ufffd"},
        {"Id": 2, "Size": "1e400"},
        {"Id": 3, "Name": "\U0001f600"},
    ]


@pytest.mark.parametrize(
    "option, named",
    [
        ({"windows": {"default": [(0, 1000)]}}, "windows[default]"),
        ({"windows": {"assets": [(10, 0)]}}, "windows[assets]"),
        ({"failure_guard": [(0, 60000)]}, "failure_guard"),
        ({"autotask_share": 0.0}, "autotask_share"),
        ({"autotask_share": 1.5}, "autotask_share"),
        ({"autotask_share": float("nan")}, "autotask_share"),
        ({"max_in_flight": 0}, "max_in_flight"),
        ({"retry": {"max_attempts": 0}}, "max_attempts"),
        ({"retry": {"base_ms": 5000, "cap_ms": 100}}, "base_ms"),
    ],
)
def test_pacing_options_that_would_stall_or_never_send_are_refused(option: Dict[str, Any], named: str) -> None:
    with pytest.raises(mspkit.ConfigError) as raised:
        mspkit.Client.vsax("acme.vsax.net", "id", "secret", **option)
    assert named in raised.value.message, raised.value.message
    assert raised.value.remediation
