"""The Python page path, measured against the stdlib: `make bench` runs this.

For a 100-item VSA X devices page and a 500-item Autotask companies page (real bodies
from the simulator), it times what mspkit does to turn a response body into Python
objects, paging metadata included (handle_response, poll for the page event, and the
records as dicts), and divides it by `json.loads` of the same body, the decode every
pure-Python client pays. It also times building a request (start_list and poll for the
Send). Both are measured in the same run; ratios, not absolute times, are the result.

Target: ratio <= 1.0.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any, Callable, Dict, Tuple

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "examples"))

import mspkit  # noqa: E402
from simulator import Simulator  # noqa: E402

ROUNDS = int(os.environ.get("MSPKIT_BENCH_ROUNDS", "7"))
NOW_MS = 1_795_348_800_000
# No pacing in the way: each iteration is a new one-page job on the same client.
UNPACED: Dict[str, Any] = {
    "allow_insecure_loopback": True,
    "windows": {"default": [(1_000_000_000, 1000)]},
    "failure_guard": "off",
}


def fetch(url: str, headers: Dict[str, str], body: bytes | None = None) -> bytes:
    request = urllib.request.Request(url, data=body, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        data: bytes = response.read()
        return data


def one_page(body: bytes, list_key: str) -> bytes:
    """The page as the last one of its list, so each benchmark job ends after it."""
    doc = json.loads(body)
    if "Meta" in doc:
        doc["Meta"]["TotalCount"] = len(doc[list_key])
        doc["Meta"].pop("NextQueryLink", None)
    if "pageDetails" in doc:
        doc["pageDetails"]["nextPageUrl"] = None
    return json.dumps(doc).encode()


def timed(fn: Callable[[], object], number: int) -> float:
    """The best of ROUNDS rounds, in microseconds per call (the least disturbed round)."""
    rounds = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        rounds.append((time.perf_counter() - start) / number * 1e6)
    return min(rounds)


def page_path(client: mspkit.Client, resource: str, kwargs: Dict[str, Any], body: bytes, number: int) -> Tuple[float, float]:
    """Microseconds per request build (start_list + poll for the Send), and per page
    delivery (handle_response + poll for the page + its records as dicts + poll for the
    end of the job), each the best of ROUNDS rounds of `number` one-page jobs."""
    headers = [("Content-Type", "application/json; charset=utf-8")]
    best_build = best_page = float("inf")
    for _ in range(ROUNDS):
        build = page = 0.0
        for _ in range(number):
            t0 = time.perf_counter()
            client.start_list(resource, **kwargs)
            action = client.poll(NOW_MS)
            t1 = time.perf_counter()
            assert isinstance(action, mspkit.Send), action
            client.handle_response(action.request.id, 200, headers, body, NOW_MS)
            event = client.poll(NOW_MS)
            items = event.items if isinstance(event, mspkit.Event) else None
            done = client.poll(NOW_MS)
            t2 = time.perf_counter()
            assert items is not None, event
            assert isinstance(done, mspkit.Event) and done.kind == "done", done
            build += t1 - t0
            page += t2 - t1
        best_build = min(best_build, build / number * 1e6)
        best_page = min(best_page, page / number * 1e6)
    return best_build, best_page


def measure(name: str, client: mspkit.Client, resource: str, kwargs: Dict[str, Any], body: bytes, number: int) -> bool:
    json_us = timed(lambda: json.loads(body), number)
    build_us, page_us = page_path(client, resource, kwargs, body, number)
    ratio = page_us / json_us
    items = len(next(v for v in json.loads(body).values() if isinstance(v, list)))
    print(
        f"python page {name} items={items} bytes={len(body)} mspkit_us={page_us:.1f} "
        f"json_loads_us={json_us:.1f} ratio={ratio:.3f} build_request_us={build_us:.1f} "
        f"target={'ok' if ratio <= 1.0 else 'MISS'}"
    )
    return ratio <= 1.0


def main() -> int:
    sim_path = os.environ.get("MSPKIT_SIM", str(HERE.parents[1] / "target" / "debug" / "mspkit-sim"))
    with Simulator.start(sim_path, ["--size", "realistic", "--no-autotask-latency"]) as sim:
        vsax = sim.vsax
        pair = f"{vsax['token_id']}:{vsax['token_secret']}".encode()
        auth = "Basic " + base64.b64encode(pair).decode()
        devices = fetch(f"{vsax['tenant_url']}/api/v3/devices?$top=100&$skip=0", {"Authorization": auth})
        at = sim.autotask
        zone = at["zone_url"] + "V1.0/"
        companies = fetch(
            zone + "Companies/query",
            {"UserName": at["username"], "Secret": at["secret"], "ApiIntegrationCode": at["integration_code"], "Content-Type": "application/json"},
            json.dumps({"filter": [{"op": "gte", "field": "id", "value": 0}], "maxRecords": 500}).encode(),
        )
    vsax_client = mspkit.Client.vsax("https://acme.vsax.net", "bench-id", "bench-secret", **UNPACED)
    at_client = mspkit.Client.autotask("bench@acme.example", "bench-secret", "BENCHCODE", zone_url="https://webservices15.autotask.net/ATServicesRest/", **UNPACED)
    print(f"# python {sys.version.split()[0]}, mspkit {mspkit.__version__}; best of {ROUNDS} rounds")
    ok = measure("vsax-devices-100", vsax_client, "devices", {"page_size": 100}, one_page(devices, "Data"), 300)
    ok &= measure("autotask-companies-500", at_client, "Companies", {}, one_page(companies, "items"), 60)
    # A ratio is a measurement, not a test: report it, fail only if the path broke.
    if not ok:
        print("# ratio above the 1.0 target: see the figures above")
    return 0


if __name__ == "__main__":
    sys.exit(main())
