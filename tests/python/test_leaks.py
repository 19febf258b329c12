"""No secret anywhere: every secret of the simulator contains SENTINEL (and so do the wrong
secrets used here). Run the scenarios of every vendor while capturing each repr and str
of requests, actions, events, reports and errors, every exception text and traceback,
exported state, every log record down to DEBUG, and stdout/stderr; SENTINEL must not
appear in any of it."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

import mspkit
from leakscan import Capture, Recording
from support import (
    SENTINEL,
    TRANSPORTS,
    VENDORS,
    WRONG_SECRET,
    Sim,
    client_for,
    dead_origin,
    family,
    sync_transport,
)

RESOURCES = {"vsax": "devices", "vsa9": "assetmgmt/agents", "warehouse": "Agents", "autotask": "Companies"}


def own_loop(client: mspkit.Client, capture: Capture) -> None:
    """A host loop over poll that captures every action."""
    transport = mspkit.UrllibTransport()
    while (action := client.poll(int(time.time() * 1000))) is not None:
        capture.add(action)
        if isinstance(action, mspkit.Send):
            capture.add(action.request)
            status, headers, body = transport.send(action.request, 2.0)
            client.handle_response(action.request.id, status, headers, body, int(time.time() * 1000))
        elif isinstance(action, mspkit.Wait):
            time.sleep(max(0.0, action.until_ms / 1000 - time.time()))
        else:
            capture.event(action)


def scenarios(sim: Sim, vendor: str, capture: Capture) -> None:
    resource = RESOURCES[family(vendor)]
    for transport in TRANSPORTS:
        client = client_for(sim, vendor)
        capture.add(client, client.base_url, client.vendor)
        if transport == "httpx_async":

            async def run() -> None:
                async with mspkit.AsyncHttpxTransport() as t:
                    capture.report(await client.test_connection_async(t, 2.0))
                    async for page in client.aiter_pages(resource, transport=t, timeout=2.0):
                        capture.event(page)

            asyncio.run(run())
        else:
            with sync_transport(transport) as t:
                recording = Recording(t, capture)
                capture.report(client.test_connection(recording, 2.0))
                for page in client.iter_pages(resource, transport=recording, timeout=2.0, page_size=50):
                    capture.event(page)
        capture.add(client.export_state())

    # Refusals: a wrong secret, the limited credentials, nothing listening.
    with sync_transport("requests") as t:
        for client in (
            client_for(sim, vendor, secret=WRONG_SECRET),
            client_for(sim, vendor, limited=vendor != "vsa9_password"),
            client_for(sim, vendor, url=dead_origin() + ("/ATServicesRest/V1.0/zoneInformation" if vendor == "autotask" else "")),
        ):
            recording = Recording(t, capture)
            capture.report(client.test_connection(recording, 2.0))
            try:
                for page in client.iter_pages(resource, transport=recording, timeout=2.0):
                    capture.event(page)
            except mspkit.Error as error:
                capture.error(error)
            capture.add(client.export_state())

    # A list through faults, in a loop of our own that captures every action.
    sim.reset(
        faults=[
            {"kind": "status", "status": 503, "body": "html", "at": [2]},
            {"kind": "status", "status": 500, "body": "json", "at": [3]},
            {"kind": "truncate", "at": [4]},
            {"kind": "rate_limit", "seconds": 0, "retry_after": "date", "at": [5]},
        ]
    )
    client = client_for(sim, vendor)
    client.start_test_connection()
    client.start_list(resource, page_size=10)
    own_loop(client, capture)
    capture.add(client.export_state())
    sim.reset()


@pytest.mark.parametrize("vendor", VENDORS)
def test_the_sentinel_never_appears(
    sim: Sim, vendor: str, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    capture = Capture()
    scenarios(sim, vendor, capture)
    out, err = capfd.readouterr()
    logged = [r.getMessage() for r in caplog.records] + [caplog.text]
    assert caplog.records, "the capture sees the HTTP libraries' log records"
    capture.assert_clean(logged, [out, err], at_least=50)


def test_configuration_errors_never_quote_secrets(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    capture = Capture()
    attempts = [
        lambda: mspkit.Client.vsax(f"https://user:{SENTINEL}@acme.vsax.net", "id", SENTINEL),
        lambda: mspkit.Client.vsax(f"https://acme.vsax.net/?token={SENTINEL}", "id", SENTINEL),
        lambda: mspkit.Client.vsax(f"{SENTINEL}:{SENTINEL}@acme.vsax.net", "id", SENTINEL),
        lambda: mspkit.Client.vsax(f"http://user:{SENTINEL}@acme.vsax.net/", "id", SENTINEL),
        lambda: mspkit.Client.vsax("https://acme.vsax.net", SENTINEL, f"{SENTINEL}\n"),
        lambda: mspkit.Client.vsa9(f"https://kaseya.example.com#{SENTINEL}", "user", SENTINEL),
        lambda: mspkit.Client.vsa9_warehouse("https://kaseya.example.com", "user", SENTINEL, retry={"max_attempts": 0}),
        lambda: mspkit.Client.autotask("user", SENTINEL, "code", zone_url=f"https://x:{SENTINEL}@evil.example.com"),
        lambda: mspkit.Client.autotask("user", SENTINEL, "code", zone_discovery_url=f"ftp://u:{SENTINEL}@x/"),
        lambda: mspkit.Client.autotask("user", SENTINEL, SENTINEL, zone_url=f"webservices5.autotask.net?{SENTINEL}"),
    ]
    for attempt in attempts:
        try:
            client = attempt()
        except mspkit.Error as error:
            capture.error(error)
        else:
            capture.add(client, client.export_state())
    capture.assert_clean([caplog.text])
