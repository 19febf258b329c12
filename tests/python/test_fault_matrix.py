"""The fault matrix: every vendor's list of 10,000 records synced through every kind of
fault, firing again and again through the sync, ends with every record exactly once.

Vendors: VSA X devices (past 5,000 the pages chain through NextQueryLink), VSA 9 agents,
Data Warehouse agents (@odata.nextLink), Autotask companies with next-page links and with
keyset paging. Faults: bursts of consecutive 5xx, HTML error pages from a proxy, 429 with
Retry-After in seconds and as an HTTP date, truncated JSON, a connection closed short of
its Content-Length, answers slower than the transport timeout, connection resets.

Each cell checks the ids against a fault-free sync of the same data and the simulator's
record count, that each fault fired as planned and cost exactly one more request, and
that nothing it printed, logged, raised, exported or sent names a secret. The transport
rotates over the cells so each vendor and each fault meets every transport."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Dict, FrozenSet, List, Tuple

import pytest

import mspkit
from leakscan import AsyncRecording, Capture, Recording
from support import (
    TRANSPORTS,
    Sim,
    assert_exactly_once,
    client_for,
    family,
    scheduled_rules,
    settled_stats,
    sync_transport,
)

RECORDS = 10_000
PAGE_SIZE = 100
SLOW_TIMEOUT = 0.5
"""Seconds the transport waits in the slow cells; the slow answers take 1 s."""


@dataclass(frozen=True)
class Vendor:
    client: str
    """client_for's name"""
    resource: str
    count_name: str
    id_field: str
    fault_path: str
    """the list's requests, as the simulator's fault rules match them"""
    options: Tuple[Tuple[str, str], ...] = ()


VENDORS: Dict[str, Vendor] = {
    "vsax": Vendor("vsax", "devices", "vsax.devices", "Identifier", "devices"),
    "vsa9": Vendor("vsa9_pat", "assetmgmt/agents", "vsa9.agents", "AgentId", "assetmgmt/agents"),
    "warehouse": Vendor("warehouse", "Agents", "vsa9.agents", "AgentId", "Agents"),
    "autotask_next_link": Vendor(
        "autotask", "Companies", "autotask.companies", "id", "Companies/query", (("autotask_paging", "next_link"),)
    ),
    "autotask_keyset": Vendor(
        "autotask", "Companies", "autotask.companies", "id", "Companies/query", (("autotask_paging", "keyset"),)
    ),
}

Plan = Dict[int, Dict[str, Any]]
"""The n-th request of the list (retries count) -> the fault it suffers."""


def _burst_5xx() -> Plan:
    """Three bursts of three failures in a row: one page fails three times, the fourth
    attempt (the last FAST_RETRY allows) gets it."""
    burst = [
        {"kind": "status", "status": 503, "body": "json"},
        {"kind": "status", "status": 502, "body": "empty"},
        {"kind": "status", "status": 503, "body": "text"},
    ]
    return {start + i: fault for start in (15, 45, 75) for i, fault in enumerate(burst)}


PLANS: Dict[str, Plan] = {
    "5xx_burst": _burst_5xx(),
    "html_error_page": {
        11 * k: {"kind": "status", "status": (500, 502, 503, 504)[k % 4], "body": "html"} for k in range(1, 10)
    },
    # One Retry-After of a second (honoured: the driver sleeps it), and 0s around it.
    "429_retry_after_seconds": {
        p: {"kind": "rate_limit", "seconds": 1 if p == 30 else 0, "retry_after": "seconds"} for p in (10, 30, 50, 70, 90)
    },
    # An HTTP date a second after the response's Date, twice.
    "429_retry_after_date": {p: {"kind": "rate_limit", "seconds": 0, "retry_after": "date"} for p in (25, 75)},
    "truncated_json": {10 * k: {"kind": "truncate", "connection": False} for k in range(1, 10)},
    "cut_short_of_content_length": {10 * k + 5: {"kind": "truncate", "connection": True} for k in range(0, 10)},
    "slower_than_the_timeout": {p: {"kind": "slow", "delay_ms": 1000} for p in (20, 50, 80)},
    "connection_reset": {9 * k: {"kind": "reset"} for k in range(1, 11)},
}

# Sleeps a cell's client must have done: what the Retry-After values named.
LEAST_WAIT = {"429_retry_after_seconds": 1.0, "429_retry_after_date": 2.0}


@dataclass(frozen=True)
class Reference:
    ids: FrozenSet[str]
    requests: int
    """every request of a fault-free sync (VSA 9's logon and Autotask's zone discovery too)"""


_references: Dict[str, Reference] = {}


def reset_with(sim: Sim, vendor: Vendor, faults: List[Dict[str, Any]]) -> None:
    sim.reset(counts={vendor.count_name: RECORDS}, faults=faults)


def reference(sim: Sim, name: str) -> Reference:
    """A fault-free sync of the same data (deterministic for the seed), once per vendor."""
    if name not in _references:
        vendor = VENDORS[name]
        reset_with(sim, vendor, [])
        client = client_for(sim, vendor.client, **dict(vendor.options))
        ids = [str(item[vendor.id_field]) for item in client.iter_items(vendor.resource, page_size=PAGE_SIZE)]
        assert_exactly_once(ids, sim.records(vendor.count_name))
        _references[name] = Reference(frozenset(ids), sim.vendor_counter(family(vendor.client)))
    return _references[name]


def sync(
    client: mspkit.Client, vendor: Vendor, transport: str, timeout: float, capture: Capture
) -> Tuple[List[str], List[str]]:
    """Lists the vendor's resource over `transport`, capturing everything; returns the
    ids of the records (in order) and the URL of every request sent."""
    ids: List[str] = []
    resource = vendor.resource

    def take(page: mspkit.Event) -> None:
        capture.event(page)
        ids.extend(str(item[vendor.id_field]) for item in page.items or ())

    if transport == "httpx_async":

        async def run() -> List[str]:
            async with mspkit.AsyncHttpxTransport() as inner:
                recording = AsyncRecording(inner, capture)
                async for page in client.aiter_pages(resource, transport=recording, timeout=timeout, page_size=PAGE_SIZE):
                    take(page)
                return recording.sent

        return ids, asyncio.run(run())
    with sync_transport(transport) as inner:
        sync_recording = Recording(inner, capture)
        for page in client.iter_pages(resource, transport=sync_recording, timeout=timeout, page_size=PAGE_SIZE):
            take(page)
        return ids, sync_recording.sent


def cells() -> List[Any]:
    out = []
    for v, vendor in enumerate(VENDORS):
        for f, fault in enumerate(PLANS):
            transport = TRANSPORTS[(v + f) % len(TRANSPORTS)]
            out.append(pytest.param(vendor, fault, transport, id=f"{vendor}-{fault}-{transport}"))
    return out


@pytest.mark.parametrize("vendor_name,fault,transport", cells())
def test_every_record_exactly_once(sim: Sim, vendor_name: str, fault: str, transport: str) -> None:
    vendor = VENDORS[vendor_name]
    api = family(vendor.client)
    expected = reference(sim, vendor_name)
    plan = PLANS[fault]
    reset_with(sim, vendor, scheduled_rules(api, vendor.fault_path, plan))
    records = sim.records(vendor.count_name)
    assert records == RECORDS
    log_mark = sim.log_mark()

    capture = Capture()
    client = client_for(sim, vendor.client, **dict(vendor.options))
    slow = fault == "slower_than_the_timeout"
    try:
        ids, sent = sync(client, vendor, transport, SLOW_TIMEOUT if slow else 5.0, capture)
    except mspkit.Error as error:
        capture.error(error)
        capture.assert_clean()
        raise

    # Every record exactly once, the same set as without faults.
    assert_exactly_once(ids, records)
    assert set(ids) == expected.ids

    # Every planned fault fired, and each cost exactly one more request.
    fired = len(plan)
    stats = settled_stats(sim, lambda s: s["vendors"][api]["faults"] >= fired)
    counters = stats["vendors"][api]
    assert counters["faults"] == fired > 0, counters
    assert client.requests_sent == len(sent) == counters["requests"], counters
    if slow:
        # A reply that comes in just past the timeout may cost a retry more.
        assert counters["requests"] >= expected.requests + fired, counters
    else:
        assert counters["requests"] == expected.requests + fired, counters
    if fault.startswith("429"):
        assert counters["status_429"] == fired
    assert client.wait_seconds >= LEAST_WAIT.get(fault, 0.0) * 0.95
    assert all(url.startswith(sim.origin + "/") for url in sent)

    # Nothing it printed, raised, exported or sent, nor the simulator's log, names a secret.
    capture.client(client)
    log = sim.log_since(log_mark)
    assert len(log.splitlines()) >= counters["requests"] - fired, "the simulator logs every request"
    capture.assert_clean([log], at_least=2 * len(sent))


def test_the_plans_fire_inside_the_sync() -> None:
    """Each plan fits the shortest sync (100 pages): every fault falls on a list request."""
    for name, plan in PLANS.items():
        assert plan and max(plan) < RECORDS // PAGE_SIZE, name

