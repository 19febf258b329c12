"""Credential confinement: credentials go to the tenant's own origin (or Autotask's zone)
and nowhere else. Every URL shape of tests/fixtures/unsafe_urls.json is refused before
anything is sent to it:

- next-page links a server returns (VSA X Meta.NextQueryLink, Data Warehouse
  @odata.nextLink, Autotask pageDetails.nextPageUrl): unsafe_link, the page before kept;
- zone URLs Autotask zone discovery returns: unsafe_link, no zone adopted;
- resume cursors whose stored link was edited to point elsewhere: unsafe_link;
- tenant, zone and zone discovery URLs a user enters: invalid_config in the constructor.

Server-supplied shapes the simulator cannot produce (https hosts, the metadata address)
are handed to the client as crafted responses through its sans-IO API, from the vendor
fixtures: whatever the client asked to send is recorded, and nothing is ever sent there.
Loopback shapes go through the simulator and real transports with canary servers that
count every request reaching them."""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple
from urllib.parse import urlsplit

import pytest

import mspkit
from leakscan import Capture
from support import SENTINEL, Sim, WebServer, client_for, connect

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SHAPES: Dict[str, List[Dict[str, Any]]] = json.loads((FIXTURES / "unsafe_urls.json").read_text())
NOW = 1_795_348_800_000
"""The fixtures' clock: 2026-11-22T12:00:00Z."""
DATE = "Sun, 22 Nov 2026 12:00:00 GMT"
SECRET = f"secret-{SENTINEL}"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def fill(template: str, **values: str) -> str:
    for name, value in values.items():
        template = template.replace("{" + name + "}", value)
    return template


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def shape_ids(shapes: List[Dict[str, Any]]) -> List[Any]:
    return [pytest.param(s, id=s["name"]) for s in shapes]


# ------------------------------------------------------------------ the sans-IO conversation


@dataclass
class Conversation:
    sent: List[mspkit.Request] = field(default_factory=list)
    events: List[mspkit.Event] = field(default_factory=list)

    def of(self, kind: str) -> List[mspkit.Event]:
        return [e for e in self.events if e.kind == kind]


Answer = Callable[[mspkit.Request], Optional[Tuple[int, str]]]


def converse(client: mspkit.Client, answer: Answer, capture: Capture) -> Conversation:
    """Drives the client by hand until it is idle, answering each request it asks to
    send with `answer(request)`; a request `answer` does not know (None) is recorded and
    never answered, and the conversation stops there."""
    conversation = Conversation()
    now = NOW
    while (action := client.poll(now)) is not None:
        capture.add(action)
        if isinstance(action, mspkit.Send):
            request = action.request
            capture.add(request, request.url, request.body)
            conversation.sent.append(request)
            reply = answer(request)
            if reply is None:
                break
            status, body = reply
            client.handle_response(request.id, status, [("Content-Type", "application/json"), ("Date", DATE)], body, now)
        elif isinstance(action, mspkit.Wait):
            now = action.until_ms
        else:
            conversation.events.append(action)
            capture.event(action)
    return conversation


@dataclass(frozen=True)
class LinkVendor:
    make: Callable[[], mspkit.Client]
    resource: str
    fixture: str
    """a first page whose next link is on the tenant"""
    link_at: Tuple[str, ...]


LINK_VENDORS = {
    "vsax_NextQueryLink": LinkVendor(
        lambda: mspkit.Client.vsax("https://acme.vsax.net", "mspkit-token-id-7c41", SECRET),
        "devices",
        "vsax/devices_next_query_link_page1.json",
        ("Meta", "NextQueryLink"),
    ),
    "warehouse_odata_nextLink": LinkVendor(
        lambda: mspkit.Client.vsa9_warehouse("https://vsa.example.com", "alice", SECRET),
        "Agents",
        "warehouse/agents_page1.json",
        ("@odata.nextLink",),
    ),
    "autotask_nextPageUrl": LinkVendor(
        lambda: mspkit.Client.autotask(
            "apiuser@acme.example", SECRET, "MSPKITCODE", zone_url="https://webservices15.autotask.net"
        ),
        "Companies",
        "autotask/companies_query_page1.json",
        ("pageDetails", "nextPageUrl"),
    ),
}


def with_link(page: Any, path: Tuple[str, ...], link: str) -> Any:
    node = page
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = link
    return page


@pytest.mark.parametrize("shape", shape_ids(SHAPES["next_links"]))
@pytest.mark.parametrize("vendor_name", list(LINK_VENDORS))
def test_a_next_link_off_the_tenant_is_refused(vendor_name: str, shape: Dict[str, Any]) -> None:
    vendor = LINK_VENDORS[vendor_name]
    page = fixture(vendor.fixture)
    own = page
    for key in vendor.link_at:
        own = own[key]
    parts = urlsplit(own)
    link = fill(shape["url"], host=parts.netloc, path=f"{parts.path}?{parts.query}")
    with_link(page, vendor.link_at, link)
    threshold = json.dumps(fixture("autotask/threshold_information.json"))

    client = vendor.make()
    client.start_list(vendor.resource, page_size=3)
    lists: List[mspkit.Request] = []

    def answer(request: mspkit.Request) -> Optional[Tuple[int, str]]:
        if request.url.endswith("/ThresholdInformation"):
            return 200, threshold  # Autotask reads its tenant's usage before a second page
        lists.append(request)
        return (200, json.dumps(page)) if len(lists) == 1 else None

    capture = Capture()
    conversation = converse(client, answer, capture)
    home = origin_of(lists[0].url)
    assert all(origin_of(r.url) == home for r in conversation.sent[:-1])
    if shape.get("follow"):
        assert len(conversation.of("page")) == 1
        assert len(lists) == 2 and conversation.of("failed") == []
        assert lists[1].url.startswith(home + parts.path), lists[1].url
    else:
        assert len(lists) == 1, f"asked to send {conversation.sent[-1].url}"
        # The page that carries the link is not delivered: its cursor could not resume.
        assert conversation.of("page") == []
        assert origin_of(conversation.sent[-1].url) == home
        [failed] = conversation.of("failed")
        assert isinstance(failed.error, mspkit.UnsafeLinkError)
        assert failed.error.code == "unsafe_link"
        assert "Nothing was sent" in failed.error.remediation
        assert client.poll(NOW) is None, "the job is over"
    capture.client(client)
    capture.assert_clean()


@pytest.mark.parametrize("job", ["test_connection", "list"])
@pytest.mark.parametrize("shape", shape_ids(SHAPES["zones"]))
def test_a_zone_off_autotask_is_refused(shape: Dict[str, Any], job: str) -> None:
    zone = fixture("autotask/zone_information.json")
    zone["url"] = shape["url"]
    client = mspkit.Client.autotask("apiuser@acme.example", SECRET, "MSPKITCODE")
    if job == "list":
        client.start_list("Companies")
    else:
        client.start_test_connection()

    def answer(request: mspkit.Request) -> Optional[Tuple[int, str]]:
        return (200, json.dumps(zone)) if "/zoneInformation?" in request.url else None

    capture = Capture()
    conversation = converse(client, answer, capture)
    discovery = conversation.sent[0].url
    assert discovery.startswith("https://webservices.autotask.net/ATServicesRest/V1.0/zoneInformation?user=")
    if shape.get("follow"):
        assert len(conversation.sent) == 2
        assert conversation.sent[1].url.startswith("https://webservices5.autotask.net/ATServicesRest/V1.0/")
    else:
        assert [r.url for r in conversation.sent] == [discovery], "nothing after discovery"
        if job == "list":
            [failed] = conversation.of("failed")
            error = failed.error
        else:
            [connection] = conversation.of("connection")
            assert connection.report is not None and not connection.report.ok
            error = connection.report.error
        assert isinstance(error, mspkit.UnsafeLinkError), error
        assert error.code == "unsafe_link"
        assert client.base_url is None, "no zone adopted"
        assert "evil" not in client.export_state() and "127.0.0.2" not in client.export_state()
    capture.client(client)
    capture.assert_clean()


# ------------------------------------------------------------------ through the simulator, with canaries


@dataclass
class Canaries:
    """Web servers on other loopback addresses; none of them may ever see a request."""

    servers: Dict[str, WebServer]

    def hits(self) -> Dict[str, int]:
        return {name: server.hits for name, server in self.servers.items()}


def ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.fixture
def canaries() -> Iterator[Canaries]:
    hosts = {"127.0.0.1": "127.0.0.1", "127.0.0.2": "127.0.0.2"}
    if ipv6_loopback():
        hosts["::1"] = "::1"
    servers = {name: WebServer(404, host=host) for name, host in hosts.items()}
    try:
        yield Canaries(servers)
    finally:
        for server in servers.values():
            server.close()


def loopback_origins(sim: Sim, canaries: Canaries) -> Dict[str, str]:
    """Where a link moved by the simulator points: other loopback hosts (where canaries
    listen), and the tenant's own origin with userinfo or outside the API."""
    c = canaries.servers
    port = c["127.0.0.1"].authority.rsplit(":", 1)[1]
    sim_port = sim.origin.rsplit(":", 1)[1]
    origins = {
        "another_port": c["127.0.0.1"].origin,
        "another_loopback_address": c["127.0.0.2"].origin,
        "localhost_by_name": f"http://localhost:{port}",
        "userinfo_on_the_tenant": f"http://mspkit:{SENTINEL}@127.0.0.1:{sim_port}",
        "outside_the_api_on_the_tenant": f"{sim.origin}/elsewhere",
    }
    if "::1" in c:
        origins["ipv6_loopback"] = c["::1"].origin
    return origins


SIM_LISTS: Dict[str, Tuple[Dict[str, int], str, str, Optional[int], Tuple[str, ...]]] = {
    # vendor: (counts, the fault's path, resource, page size, the list's endpoints)
    "vsax": ({"vsax.devices": 5200}, "devices", "devices", None, ("vsax GET devices",)),
    "warehouse": ({"vsa9.agents": 250}, "Agents", "Agents", 50, ("warehouse GET Agents",)),
    "autotask": (
        {"autotask.companies": 1234},
        "Companies/query",
        "Companies",
        None,
        ("autotask POST V1.0/Companies/query", "autotask POST V1.0/Companies/query/next"),
    ),
}
LOOPBACK_SHAPES = [
    "another_port",
    "another_loopback_address",
    "localhost_by_name",
    "userinfo_on_the_tenant",
    "outside_the_api_on_the_tenant",
    "ipv6_loopback",
]


@pytest.mark.parametrize("where", LOOPBACK_SHAPES)
@pytest.mark.parametrize("vendor", list(SIM_LISTS))
def test_a_next_link_to_another_loopback_place_sends_nothing_there(
    sim: Sim, canaries: Canaries, vendor: str, where: str
) -> None:
    origins = loopback_origins(sim, canaries)
    if where not in origins:
        pytest.skip("no IPv6 loopback here")
    counts, path, resource, page_size, endpoints = SIM_LISTS[vendor]
    # The second page's link moves: the first page is delivered, the second is not.
    fault = {"vendor": vendor, "path": path, "kind": "foreign_next_link", "origin": origins[where], "at": [2]}
    sim.reset(counts=counts, faults=[fault])
    client = client_for(sim, vendor)
    pages: List[mspkit.Event] = []
    with pytest.raises(mspkit.UnsafeLinkError) as raised:
        for page in client.iter_pages(resource, page_size=page_size, timeout=2.0):
            pages.append(page)
    assert raised.value.code == "unsafe_link"
    assert len(pages) == 1, "the page before is kept"
    assert canaries.hits() == dict.fromkeys(canaries.servers, 0), "nothing reached another loopback host"
    assert sum(sim.counter(e) for e in endpoints) == 2
    assert client.requests_sent == sim.vendor_counter(vendor), "every request went to the tenant's API"
    capture = Capture()
    capture.error(raised.value)
    capture.client(client)
    capture.assert_clean()


@pytest.mark.parametrize("vendor", ["vsax", "warehouse"])
def test_a_cursor_whose_link_was_edited_sends_nothing(sim: Sim, canaries: Canaries, vendor: str) -> None:
    """A cursor is stored text (a database row): one whose next link was changed to
    another host is refused when the list resumes, before anything is sent. (Autotask's
    cursors hold the last id, never a link.)"""
    counts, _, resource, page_size, _ = SIM_LISTS[vendor]
    sim.reset(counts=counts)
    [first] = list(client_for(sim, vendor).iter_pages(resource, page_size=page_size, timeout=2.0))[:1]
    assert first.cursor is not None
    cursor = json.loads(first.cursor)
    assert cursor["next"].startswith(sim.origin), cursor
    cursor["next"] = cursor["next"].replace(sim.origin, canaries.servers["127.0.0.2"].origin, 1)
    sim.reset(counts=counts)

    resumed = client_for(sim, vendor)
    with pytest.raises(mspkit.UnsafeLinkError) as raised:
        list(resumed.iter_pages(resource, page_size=page_size, cursor=json.dumps(cursor), timeout=2.0))
    assert raised.value.code == "unsafe_link"
    assert canaries.hits() == dict.fromkeys(canaries.servers, 0)
    assert resumed.requests_sent == sim.vendor_counter(vendor) == 0


# ------------------------------------------------------------------ what users enter


@pytest.mark.parametrize("shape", shape_ids(SHAPES["tenant_urls"]))
@pytest.mark.parametrize("vendor", ["vsax", "vsa9_pat", "warehouse"])
def test_a_tenant_url_a_user_enters_is_checked_before_anything_is_sent(
    sim: Sim, canaries: Canaries, vendor: str, shape: Dict[str, Any]
) -> None:
    url = fill(shape["url"], canary=canaries.servers["127.0.0.1"].authority)
    capture = Capture()
    with pytest.raises(mspkit.ConfigError) as raised:
        client = client_for(sim, vendor, url=url, allow_insecure_loopback=shape.get("loopback", False))
        connect(client)  # reached only if the URL was accepted: it would go to the canary
    assert raised.value.code == "invalid_config"
    assert canaries.hits() == dict.fromkeys(canaries.servers, 0)
    capture.error(raised.value)
    capture.assert_clean()


@pytest.mark.parametrize("shape", shape_ids(SHAPES["zone_urls"]))
@pytest.mark.parametrize("option", ["zone_url", "zone_discovery_url"])
def test_an_autotask_zone_a_user_enters_is_checked_before_anything_is_sent(
    sim: Sim, canaries: Canaries, option: str, shape: Dict[str, Any]
) -> None:
    url = fill(shape["url"], canary=canaries.servers["127.0.0.1"].authority)
    where = {"zone_url": url} if option == "zone_url" else {"url": url}
    capture = Capture()
    with pytest.raises(mspkit.ConfigError) as raised:
        client = client_for(sim, "autotask", allow_insecure_loopback=shape.get("loopback", False), **where)
        connect(client)
    assert raised.value.code == "invalid_config"
    assert canaries.hits() == dict.fromkeys(canaries.servers, 0)
    assert sim.vendor_counter("autotask") == 0
    capture.error(raised.value)
    capture.assert_clean()


def test_the_canaries_count_what_reaches_them(sim: Sim, canaries: Canaries) -> None:
    """The control for the tests above: a client told to use a canary's address does
    reach it, so a zero count means nothing was sent."""
    for name, server in canaries.servers.items():
        report = connect(client_for(sim, "vsax", url=server.origin))
        assert report.error is not None and report.error.code == "not_found", name
    assert all(hits >= 1 for hits in canaries.hits().values()), canaries.hits()
