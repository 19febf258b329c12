"""Connection tests for every vendor through the simulator: ok, a wrong secret (refused
after exactly one request), a missing scope, and wrong URLs."""

from __future__ import annotations

import pytest

import mspkit
from support import (
    FAST_RETRY,
    ORG_RECORDS,
    TRANSPORTS,
    VENDORS,
    WRONG_SECRET,
    Sim,
    WebServer,
    client_for,
    connect,
    dead_origin,
    family,
)

VENDOR_NAMES = {
    "vsax": "Kaseya VSA X",
    "vsa9": "Kaseya VSA 9",
    "warehouse": "Kaseya VSA 9 Data Warehouse",
    "autotask": "Autotask PSA",
}
# Requests a passing test makes: VSA 9 logs on first, Autotask discovers its zone first.
OK_REQUESTS = {"vsax": 1, "vsa9": 2, "warehouse": 1, "autotask": 2}


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("vendor", VENDORS)
def test_connection_ok(sim: Sim, vendor: str, transport: str) -> None:
    sim.reset(counts={"vsax.organizations": 7, "vsa9.orgs": 9, "autotask.companies": 37})
    client = client_for(sim, vendor)
    report = connect(client, transport)
    assert report.ok, report.message
    assert report.error is None
    assert report.vendor == client.vendor
    records = ORG_RECORDS[family(vendor)]
    if records is None:
        assert report.organization_count is None  # the warehouse cannot count organisations
        assert report.message == "Connected to Kaseya VSA 9 Data Warehouse"
    else:
        expected = sim.records(records)
        assert report.organization_count == expected
        assert report.message.startswith(f"Connected to {VENDOR_NAMES[family(vendor)]}: {expected} ")
    assert report.base_url is not None and report.base_url.startswith(sim.origin)
    assert report.requests_made == OK_REQUESTS[family(vendor)]
    assert client.requests_sent == report.requests_made
    assert sim.vendor_counter(family(vendor)) == report.requests_made


@pytest.mark.parametrize("vendor", VENDORS)
def test_wrong_secret_is_refused_after_exactly_one_request(sim: Sim, vendor: str) -> None:
    client = client_for(sim, vendor, secret=WRONG_SECRET)
    report = connect(client)
    assert not report.ok
    assert isinstance(report.error, mspkit.AuthError)
    assert report.error.code == "unauthorized"
    assert report.error.remediation
    stats = sim.stats()
    if vendor == "autotask":
        # Zone discovery, then the one API request; the zone is fresh, so the 401 is final.
        assert report.requests_made == 2
        assert sim.counter("autotask GET V1.0/zoneInformation") == 1
        assert sim.counter("autotask POST V1.0/Companies/query/count") == 1
    else:
        assert report.requests_made == 1
        assert report.error.status == 401
    assert stats["vendors"][family(vendor)]["requests"] == report.requests_made
    assert client.requests_sent == report.requests_made


@pytest.mark.parametrize("vendor", VENDORS)
def test_wrong_secret_fails_a_list_with_auth_error(sim: Sim, vendor: str) -> None:
    spec_resource = {"vsax": "devices", "vsa9": "assetmgmt/agents", "warehouse": "Agents", "autotask": "Companies"}
    client = client_for(sim, vendor, secret=WRONG_SECRET)
    with pytest.raises(mspkit.AuthError) as raised:
        list(client.iter_pages(spec_resource[family(vendor)], timeout=2.0))
    assert raised.value.code == "unauthorized"
    assert client.requests_sent == (2 if vendor == "autotask" else 1)


# The limited credentials: VSA 9's limited user has a token, no password.
@pytest.mark.parametrize(
    "vendor,requests",
    [("vsax", 1), ("vsa9_pat", 2), ("warehouse", 1), ("autotask", 2)],
)
def test_missing_scope_is_forbidden(sim: Sim, vendor: str, requests: int) -> None:
    client = client_for(sim, vendor, limited=True)
    report = connect(client)
    assert not report.ok
    assert isinstance(report.error, mspkit.ForbiddenError), report.error
    assert report.error.code == "forbidden"
    assert report.requests_made == requests
    assert sim.vendor_counter(family(vendor)) == requests


@pytest.mark.parametrize("vendor", VENDORS)
def test_a_dead_port_is_a_transport_error_after_the_retries(sim: Sim, vendor: str) -> None:
    dead = dead_origin()
    # Autotask's first request is zone discovery: that is the URL that goes nowhere.
    url = f"{dead}/ATServicesRest/V1.0/zoneInformation" if vendor == "autotask" else dead
    client = client_for(sim, vendor, url=url)
    report = connect(client)
    assert isinstance(report.error, mspkit.TransportError), report.error
    assert report.error.code == "transport"
    assert report.error.status is None
    assert report.requests_made == FAST_RETRY["max_attempts"]
    assert client.requests_sent == FAST_RETRY["max_attempts"]
    assert "(connect)" in report.error.message


@pytest.mark.parametrize("vendor", ["vsax", "vsa9_pat", "vsa9_password", "warehouse"])
def test_a_web_server_that_is_not_the_api_is_not_found(sim: Sim, vendor: str) -> None:
    with WebServer(404) as web:
        client = client_for(sim, vendor, url=web.origin)
        report = connect(client)
        assert isinstance(report.error, mspkit.NotFoundError), report.error
        assert report.error.status == 404
        assert report.requests_made == 1
        assert web.hits == 1


def test_autotask_wrong_discovery_and_zone_paths_are_not_found(sim: Sim) -> None:
    v2 = f"{sim.origin}/ATServicesRest/V2.0/zoneInformation"
    report = connect(client_for(sim, "autotask", zone_discovery_url=v2))
    assert isinstance(report.error, mspkit.NotFoundError), report.error
    assert report.requests_made == 1
    wrong_zone = f"{sim.origin}/wrong/ATServicesRest/"
    report = connect(client_for(sim, "autotask", zone_url=wrong_zone))
    assert isinstance(report.error, mspkit.NotFoundError), report.error
    assert report.requests_made == 1


def test_invalid_configuration_raises_at_once_and_sends_nothing(sim: Sim) -> None:
    with pytest.raises(mspkit.ConfigError) as raised:
        mspkit.Client.vsax("http://example.com", "id", "secret")  # http off loopback
    assert raised.value.code == "invalid_config"
    with pytest.raises(mspkit.ConfigError):
        mspkit.Client.vsax(f"{sim.origin}/some/path", "id", "secret", allow_insecure_loopback=True)
    with pytest.raises(mspkit.ConfigError):
        mspkit.Client.vsax(sim.origin, "id", "secret", allow_insecure_loopback=True, retry={"max_attempts": -1})
    assert sim.vendor_counter("vsax") == 0
