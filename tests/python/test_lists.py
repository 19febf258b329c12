"""Full multi-page lists for every vendor over every transport (exact counts, no id twice),
resuming from a cursor on a new client, and several jobs on one client."""

from __future__ import annotations

import asyncio
from typing import List

import pytest

import mspkit
from support import (
    LISTS,
    TRANSPORTS,
    VENDORS,
    Sim,
    assert_exactly_once,
    client_for,
    family,
    ids,
    list_pages,
    list_requests,
)


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("vendor", VENDORS)
def test_full_list_exactly_once(sim: Sim, vendor: str, transport: str) -> None:
    spec = LISTS[family(vendor)]
    sim.reset(counts={spec.count_name: spec.count})
    client = client_for(sim, vendor)
    pages = list_pages(client, transport, spec.resource, page_size=spec.page_size)
    assert_exactly_once(ids(pages, spec.id_field), sim.records(spec.count_name))
    assert tuple(len(p.items) for p in pages) == spec.page_counts
    assert [p.number for p in pages] == list(range(1, len(pages) + 1))
    assert all(isinstance(item, dict) for p in pages for item in p.items)
    # Every page was requested once; the driver counted what the simulator saw.
    assert list_requests(sim, spec) == len(pages)
    assert client.requests_sent == sim.vendor_counter(family(vendor))
    assert sim.vendor_counter(family(vendor), "status_429") == 0


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_iter_items_yields_plain_dicts(sim: Sim, transport: str) -> None:
    sim.reset(counts={"vsax.devices": 130})
    client = client_for(sim, "vsax")
    if transport == "httpx_async":

        async def collect() -> List[dict]:  # type: ignore[type-arg]
            async with mspkit.AsyncHttpxTransport() as t:
                return [item async for item in client.aiter_items("devices", transport=t)]

        items = asyncio.run(collect())
    else:
        from support import sync_transport

        with sync_transport(transport) as t:
            items = list(client.iter_items("devices", transport=t))
    assert_exactly_once([d["Identifier"] for d in items], 130)
    assert client.requests_sent == 2


RESUMES = [
    # vendor, pages before stopping, count, page size, pages expected after
    ("vsax", 2, 430, None, [3, 4, 5]),
    ("vsa9_pat", 3, 330, 40, [4, 5, 6, 7, 8, 9]),
    ("vsa9_password", 3, 330, 40, [4, 5, 6, 7, 8, 9]),
    ("warehouse", 4, 250, 30, [5, 6, 7, 8, 9]),
    ("autotask", 2, 1234, None, [3]),
]


@pytest.mark.parametrize("vendor,stop,count,page_size,rest_pages", RESUMES)
def test_a_cursor_resumes_on_a_new_client(
    sim: Sim, vendor: str, stop: int, count: int, page_size: int, rest_pages: List[int]
) -> None:
    spec = LISTS[family(vendor)]
    sim.reset(counts={spec.count_name: count})
    first = client_for(sim, vendor)
    part = list_pages(first, "urllib", spec.resource, page_size=page_size, stop_after=stop)
    assert [p.number for p in part] == list(range(1, stop + 1))
    del first
    second = client_for(sim, vendor)
    rest = list_pages(second, "urllib", spec.resource, page_size=page_size, cursor=part[-1].cursor)
    assert [p.number for p in rest] == rest_pages
    assert_exactly_once(ids(part, spec.id_field) + ids(rest, spec.id_field), count)
    # No page was fetched twice.
    assert list_requests(sim, spec) == stop + len(rest_pages)


@pytest.mark.parametrize("paging", ["next_link", "keyset"])
def test_autotask_resumes_with_either_paging(sim: Sim, paging: str) -> None:
    sim.reset(counts={"autotask.companies": 1234})
    first = client_for(sim, "autotask", autotask_paging=paging)
    part = list_pages(first, "httpx", "Companies", stop_after=1)
    rest = list_pages(client_for(sim, "autotask", autotask_paging=paging), "requests", "Companies",
                      cursor=part[-1].cursor)
    assert [len(p.items) for p in part + rest] == [500, 500, 234]
    assert_exactly_once(ids(part + rest, "id"), 1234)


def test_the_last_cursor_resumes_to_nothing(sim: Sim) -> None:
    sim.reset(counts={"vsax.devices": 150})
    pages = list_pages(client_for(sim, "vsax"), "urllib", "devices")
    client = client_for(sim, "vsax")
    assert list_pages(client, "urllib", "devices", cursor=pages[-1].cursor) == []
    assert client.requests_sent == 0


def test_a_cursor_of_another_list_is_refused(sim: Sim) -> None:
    sim.reset(counts={"vsax.devices": 150})
    pages = list_pages(client_for(sim, "vsax"), "urllib", "devices", stop_after=1)
    client = client_for(sim, "vsax")
    with pytest.raises(mspkit.ConfigError):
        list_pages(client, "urllib", "organizations", cursor=pages[0].cursor)
    with pytest.raises(mspkit.ConfigError):
        list_pages(client, "urllib", "devices", cursor="not a cursor")
    assert client.requests_sent == 0


def test_two_lists_interleave_on_one_client(sim: Sim) -> None:
    """Each driver loop gets its own job's events, whichever loop polled them."""
    sim.reset(counts={"vsax.devices": 250, "vsax.notifications": 240})
    client = client_for(sim, "vsax", max_in_flight=2)
    devices = client.iter_pages("devices", timeout=2.0)
    notifications = client.iter_pages("notifications", timeout=2.0)
    seen_devices: List[str] = []
    seen_notifications: List[str] = []
    for d, n in zip(devices, notifications):
        seen_devices.extend(i["Identifier"] for i in d.items or ())
        seen_notifications.extend(str(i["Id"]) for i in n.items or ())
    seen_notifications.extend(str(i["Id"]) for p in notifications for i in p.items or ())
    seen_devices.extend(i["Identifier"] for p in devices for i in p.items or ())
    assert_exactly_once(seen_devices, 250)
    assert_exactly_once(seen_notifications, 240)
    assert client.requests_sent == 3 + 3


def test_filter_order_and_fields(sim: Sim) -> None:
    sim.reset(counts={"autotask.companies": 1100})
    client = client_for(sim, "autotask")
    items = list(
        client.iter_items(
            "Companies",
            filter=[{"op": "lt", "field": "id", "value": 700}],
            fields=["companyName"],
            page_size=200,
            timeout=2.0,
        )
    )
    assert items and all(set(i) == {"id", "companyName"} for i in items)
    assert all(i["id"] < 700 for i in items)
    vsax = client_for(sim, "vsax")
    orgs = list(vsax.iter_items("organizations", order_by="Name desc", timeout=2.0))
    names = [o["Name"] for o in orgs]
    assert names == sorted(names, reverse=True)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_leaving_a_list_early_stops_its_job(sim: Sim, mode: str) -> None:
    """Breaking out of iter_pages cancels the job in the core: the next job on the same
    client sends only its own requests."""
    spec = LISTS["vsax"]
    sim.reset(counts={spec.count_name: spec.count})
    client = client_for(sim, "vsax")

    async def first_page_async() -> None:
        async for _page in client.aiter_pages(spec.resource, page_size=spec.page_size):
            break

    if mode == "sync":
        for _page in client.iter_pages(spec.resource, page_size=spec.page_size):
            break
    else:
        asyncio.run(first_page_async())
    assert list_requests(sim, spec) == 1
    # A full list afterwards: the jobs would take turns if the first were still running.
    pages = list(client.iter_pages(spec.resource, page_size=spec.page_size))
    assert list_requests(sim, spec) == 1 + len(pages), "the abandoned list sent nothing more"
    assert client.test_connection().ok
