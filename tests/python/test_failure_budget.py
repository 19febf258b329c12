"""The failure budget: failures cost as few requests as they can, and never enough to get
the client's address blocked.

- A wrong secret: every job on one client (a connection test and a list of every
  resource the vendor serves, all started at once) ends unauthorized after one API
  request each; VSA 9's jobs share one failed logon; an Autotask job whose zone was
  discovered before it started may add one zone re-discovery (the zone may have moved),
  never a second API request.
- A 404 storm: 110 jobs on an organisation that does not exist, against VSA X's
  documented failed-request limits (30 a minute, 100 in 5 minutes, 300 an hour, 1,000 a
  day) run 200 times faster on both sides: the simulator's counters show every window's
  peak below its threshold and no block started."""

from __future__ import annotations

from typing import Dict, List

import pytest

import mspkit
from support import WRONG_SECRET, Sim, client_for, drive_all, family, job_error, job_requests

RESOURCES: Dict[str, List[str]] = {
    "vsax": ["organizations", "devices", "notifications", "sites", "groups", "assets"],
    "vsa9_pat": ["system/orgs", "system/machinegroups", "assetmgmt/agents"],
    "vsa9_password": ["system/orgs", "system/machinegroups", "assetmgmt/agents"],
    "warehouse": ["Agents", "MachineGroups"],
    "autotask": ["Companies", "Contacts", "Tickets", "ConfigurationItems"],
}
DISCOVERY = "autotask GET V1.0/zoneInformation"


@pytest.mark.parametrize("vendor", list(RESOURCES))
def test_a_wrong_secret_costs_one_request_per_job(sim: Sim, vendor: str) -> None:
    client = client_for(sim, vendor, secret=WRONG_SECRET)
    jobs = [client.start_test_connection()] + [client.start_list(r) for r in RESOURCES[vendor]]
    events = drive_all(client)

    assert sorted(e.job for e in events) == jobs, "one last event per job, no page"
    for event in events:
        error = job_error(event)
        assert isinstance(error, mspkit.AuthError), (event.job, error)
        assert error.code == "unauthorized"
    stats = sim.stats()
    api = family(vendor)
    per_endpoint = {k: v["requests"] for k, v in stats["endpoints"].items() if k.startswith(f"{api} ")}
    made = [job_requests(e) for e in events]
    assert sum(made) == stats["vendors"][api]["requests"], "every request was some job's"
    if api == "vsa9":
        # One logon for the client: it fails every job waiting for the session.
        assert per_endpoint == {"vsa9 GET auth": 1}
        assert sorted(made) == [0] * (len(jobs) - 1) + [1]
    elif api == "autotask":
        calls = {k: n for k, n in per_endpoint.items() if k != DISCOVERY}
        assert sum(calls.values()) == len(jobs), per_endpoint
        assert all(n == 1 for n in calls.values()), per_endpoint
        # A discovery is shared: whichever job sends next performs it (and counts it).
        assert 1 <= per_endpoint[DISCOVERY] <= len(jobs)
    else:
        assert sum(per_endpoint.values()) == len(jobs), per_endpoint
        assert made == [1] * len(jobs)
    if api == "vsax":
        assert stats["vsax_failed"]["failures"] == len(jobs)
        assert stats["vsax_failed"]["blocks_started"] == 0


SCALE = 200
DOCUMENTED = [(30, 60_000), (100, 300_000), (300, 3_600_000), (1000, 86_400_000)]
"""VSA X's failed-request thresholds per client address (VENDORS.md): count, span in ms."""


def test_a_404_storm_never_trips_the_failed_request_block(sim: Sim) -> None:
    sim.reset(time_scale=SCALE)
    guard = [(limit, span // SCALE) for limit, span in DOCUMENTED]
    client = client_for(sim, "vsax", failure_guard=guard)
    jobs = [client.start_list("organizations/999999") for _ in range(110)]
    events = drive_all(client)

    assert sorted(e.job for e in events) == jobs
    for event in events:
        error = job_error(event)
        assert isinstance(error, mspkit.NotFoundError), error
        assert job_requests(event) == 1
    stats = sim.stats()
    failed = stats["vsax_failed"]
    assert failed["failures"] == 110
    assert failed["blocks_started"] == 0, failed
    assert stats["vendors"]["vsax"]["blocked"] == 0
    assert stats["vendors"]["vsax"]["status_429"] == 0
    assert [(w["limit"], w["span_ms"]) for w in failed["windows"]] == guard, "the documented limits, scaled"
    for window in failed["windows"]:
        assert window["peak"] < window["limit"], failed
    # The storm pressed against the first threshold: it was one failure short of a block.
    assert failed["windows"][0]["peak"] == 29, failed
