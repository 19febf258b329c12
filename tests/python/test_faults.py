"""Injected faults a sync survives with exact counts, over every transport: 5xx pages from
proxies, 429 with Retry-After (seconds and date), truncated bodies, cut and reset
connections, answers slower than the transport timeout; and next-page links to another
origin, which are never followed."""

from __future__ import annotations

import time
from typing import Any, Dict, List

import pytest

import mspkit
from support import TRANSPORTS, Sim, WebServer, assert_exactly_once, client_for, ids, list_pages

DEVICES = 430
DEVICE_PAGES = 5


def rule(**fields: Any) -> Dict[str, Any]:
    return {"vendor": "vsax", "path": "devices", **fields}


FAULTS = {
    "503_html": ([rule(kind="status", status=503, body="html", at=[2, 4, 5])], 3),
    "502_empty": ([rule(kind="status", status=502, body="empty", at=[2, 3, 6])], 3),
    "429_retry_after_seconds": ([rule(kind="rate_limit", seconds=1, retry_after="seconds", at=[3])], 1),
    "429_retry_after_date": ([rule(kind="rate_limit", seconds=1, retry_after="date", at=[3])], 1),
    "truncated_json": ([rule(kind="truncate", at=[2, 3, 5])], 3),
    "connection_cut_mid_body": ([rule(kind="truncate", connection=True, at=[2, 4])], 2),
    "connection_reset": ([rule(kind="reset", at=[1, 3, 4])], 3),
    "slower_than_the_timeout": ([rule(kind="slow", delay_ms=1000, at=[2, 4])], 2),
}


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_devices_sync_survives(sim: Sim, fault: str, transport: str) -> None:
    faults, fired = FAULTS[fault]
    sim.reset(counts={"vsax.devices": DEVICES}, faults=faults)
    client = client_for(sim, "vsax")
    slow = fault == "slower_than_the_timeout"
    started = time.monotonic()
    pages = list_pages(client, transport, "devices", timeout=0.4 if slow else 2.0)
    elapsed = time.monotonic() - started
    if slow:
        # The slow answers finish on the server after the client gave up on them.
        time.sleep(0.7)
    assert_exactly_once(ids(pages, "Identifier"), DEVICES)
    assert len(pages) == DEVICE_PAGES
    endpoint = sim.stats()["endpoints"]["vsax GET devices"]
    assert endpoint["faults"] == fired
    assert endpoint["requests"] == DEVICE_PAGES + fired
    assert client.requests_sent == DEVICE_PAGES + fired
    if fault.startswith("429"):
        assert endpoint["status_429"] == 1
        # Retry-After named a second; the core said Wait and the driver slept it.
        assert client.wait_seconds >= 0.9
        assert elapsed >= 0.9


def mix(vendor: str, path: str) -> List[Dict[str, Any]]:
    """Five faults on the list's requests 2, 4, 6, 8 and 9. A rule counts only the
    requests that reach it (an earlier rule that fires takes the request), hence the
    positions 2, 3, 4, 5, 5."""
    return [
        {"vendor": vendor, "path": path, "kind": "status", "status": 503, "body": "html", "at": [2]},
        {"vendor": vendor, "path": path, "kind": "reset", "at": [3]},
        {"vendor": vendor, "path": path, "kind": "truncate", "at": [4]},
        {"vendor": vendor, "path": path, "kind": "truncate", "connection": True, "at": [5]},
        {"vendor": vendor, "path": path, "kind": "status", "status": 502, "at": [5]},
    ]


@pytest.mark.parametrize("transport", ["urllib", "httpx_async"])
@pytest.mark.parametrize("auth", ["vsa9_pat", "vsa9_password"])
def test_vsa9_survives_a_mix_and_a_failed_logon(sim: Sim, auth: str, transport: str) -> None:
    faults = mix("vsa9", "assetmgmt/agents") + [
        {"vendor": "vsa9", "path": "/auth", "kind": "status", "status": 503, "body": "html", "at": [1]}
    ]
    sim.reset(counts={"vsa9.agents": 430}, faults=faults)
    client = client_for(sim, auth)
    pages = list_pages(client, transport, "assetmgmt/agents")
    assert_exactly_once(ids(pages, "AgentId"), 430)
    assert sim.vendor_counter("vsa9", "faults") == 6
    assert sim.counter("vsa9 GET auth") == 2
    assert sim.counter("vsa9 GET assetmgmt/agents") == 5 + 5
    assert client.requests_sent == 12


@pytest.mark.parametrize("transport", ["requests", "httpx"])
def test_warehouse_survives_a_mix(sim: Sim, transport: str) -> None:
    sim.reset(counts={"vsa9.agents": 250}, faults=mix("warehouse", "Agents"))
    client = client_for(sim, "warehouse")
    pages = list_pages(client, transport, "Agents", page_size=50)
    assert_exactly_once(ids(pages, "AgentId"), 250)
    assert sim.vendor_counter("warehouse", "faults") == 5
    assert sim.vendor_counter("warehouse") == 5 + 5
    assert client.requests_sent == 10


@pytest.mark.parametrize("paging", ["next_link", "keyset"])
def test_autotask_survives_a_mix_and_a_failed_discovery(sim: Sim, paging: str) -> None:
    faults = mix("autotask", "Companies/query") + [
        {"vendor": "autotask", "path": "zoneInformation", "kind": "status", "status": 503, "at": [1]}
    ]
    sim.reset(counts={"autotask.companies": 1234}, faults=faults)
    client = client_for(sim, "autotask", autotask_paging=paging)
    pages = list_pages(client, "urllib", "Companies", page_size=200)
    assert_exactly_once(ids(pages, "id"), 1234)
    assert sim.vendor_counter("autotask", "faults") == 6
    queries = sim.counter("autotask POST V1.0/Companies/query") + sim.counter(
        "autotask POST V1.0/Companies/query/next"
    )
    assert queries == 7 + 5, "7 pages and 5 faults"
    assert sim.counter("autotask GET V1.0/zoneInformation") == 2
    assert client.requests_sent == sim.vendor_counter("autotask")


@pytest.mark.parametrize(
    "vendor,counts,path,resource,page_size",
    [
        ("vsax", {"vsax.devices": 5200}, "devices", "devices", None),
        ("warehouse", {"vsa9.agents": 250}, "Agents", "Agents", 50),
        ("autotask", {"autotask.companies": 1234}, "Companies/query", "Companies", None),
    ],
)
def test_a_next_link_to_another_origin_is_never_followed(
    sim: Sim, vendor: str, counts: Dict[str, int], path: str, resource: str, page_size: int
) -> None:
    with WebServer(404) as foreign:
        fault = {"vendor": vendor, "path": path, "kind": "foreign_next_link", "origin": foreign.origin, "at": [2]}
        sim.reset(counts=counts, faults=[fault])
        client = client_for(sim, vendor)
        pages: List[Any] = []
        with pytest.raises(mspkit.UnsafeLinkError) as raised:
            for page in client.iter_pages(resource, page_size=page_size, timeout=2.0):
                pages.append(page)
        assert raised.value.code == "unsafe_link"
        assert len(pages) == 1, "the page before is kept"
        assert foreign.hits == 0, "nothing reached the foreign origin"
