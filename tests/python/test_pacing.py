"""Pacing against lowered limits: told the window, the client keeps to it and the
simulator answers no 429; the drivers sleep when the core says Wait."""

from __future__ import annotations

import time

import pytest

from support import Sim, assert_exactly_once, client_for, ids, list_pages

# vendor, the simulator's limit, the client's window, what to list, count, page size, requests
CASES = [
    ("vsax", {"vsax.default": "10/1s"}, (10, 1000), "devices", "vsax.devices", 100, 5, 20, "Identifier"),
    ("vsa9_pat", {"vsa9.default": "10/1s"}, (10, 1000), "assetmgmt/agents", "vsa9.agents", 60, 5, 13, "AgentId"),
    ("warehouse", {"warehouse.default": "10/1s"}, (10, 1000), "Agents", "vsa9.agents", 60, 5, 12, "AgentId"),
    # The tenant threshold is shared: the client takes its share (20 of 40 per 2 s).
    ("autotask", {"autotask.hourly": "40/2s"}, (20, 2000), "Companies", "autotask.companies", 250, 10, 27, "id"),
]


@pytest.mark.parametrize("transport", ["urllib", "httpx_async"])
@pytest.mark.parametrize("vendor,limits,window,resource,count_name,count,page_size,requests,id_field", CASES)
def test_lowered_limits_get_no_429(
    sim: Sim,
    transport: str,
    vendor: str,
    limits: dict,  # type: ignore[type-arg]
    window: tuple,  # type: ignore[type-arg]
    resource: str,
    count_name: str,
    count: int,
    page_size: int,
    requests: int,
    id_field: str,
) -> None:
    sim.reset(counts={count_name: count}, limits=limits)
    client = client_for(sim, vendor, windows={"default": [window]})
    started = time.monotonic()
    pages = list_pages(client, transport, resource, page_size=page_size, timeout=5.0)
    elapsed = time.monotonic() - started
    assert_exactly_once(ids(pages, id_field), count)
    family = "vsa9" if vendor.startswith("vsa9") else vendor
    stats = sim.stats()
    assert stats["vendors"][family]["status_429"] == 0, sim.requests_by_endpoint()
    assert stats["vendors"][family]["requests"] == requests, sim.requests_by_endpoint()
    assert client.requests_sent == requests
    limit, per_ms = window
    # More requests than one window holds: the client waited, and said so.
    assert elapsed >= per_ms / 1000 * ((requests - 1) // limit) * 0.9
    assert client.wait_seconds > 0.5 * per_ms / 1000
    for name in limits:
        peaks = [w["peak"] for w in stats["limits"][name]["windows"]]
        assert all(p <= limit for p in peaks), stats["limits"][name]
