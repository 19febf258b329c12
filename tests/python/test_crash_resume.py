"""Crash and resume: the ETL example (bindings-python/examples/etl_import.py) killed with
SIGKILL at random moments, run after run, then run to the end, holds exactly the
simulator's record set in SQLite: every record, none twice, and the last run fetches
only what the killed runs had not saved.

Each run starts its own simulator (same seed and counts, so the same data) whose every
answer is a little slow, so a run lasts a couple of seconds and a kill lands mid-import.
One variant adds faults (5xx pages, cut connections, resets) the ETL retries through.
The kill moments come from a seeded generator; the assertion messages name the seed and
every kill. Everything the runs print (with the simulators' request logs) and the
database file are scanned for the sentinel."""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, FrozenSet, List, Optional, Tuple

import pytest

from etl_import import RESOURCES, Resource
from leakscan import assert_no_sentinel, file_texts
from simulator import Simulator
from support import SENTINEL, Sim, client_for, dead_origin
from test_etl import CLEAN_ENV, etl_command, this_run

PAGE_SIZE = 100
COUNTS = {"vsax.devices": 6000, "vsax.notifications": 3000, "autotask.companies": 3000}
"""Past 5,000 devices the VSA X pages chain through NextQueryLink: the cursors then hold
server links. Organizations stay at the small preset's 5."""
KILLS = 5
KILL_WINDOW = (0.25, 2.0)
"""Seconds after a run's start; a whole run takes about 2.5 s (more with faults)."""

SLOW = {"kind": "slow", "delay_ms": 15}
FAULTS = [
    {"vendor": "vsax", "path": "devices", "kind": "status", "status": 503, "body": "html", "every": 17},
    {"vendor": "vsax", "path": "notifications", "kind": "truncate", "connection": True, "every": 13},
    {"vendor": "autotask", "path": "Companies/query", "kind": "reset", "every": 11},
    {"vendor": "autotask", "path": "Companies/query", "kind": "status", "status": 502, "body": "empty", "every": 19},
]
VARIANTS = {"plain": (11, [SLOW]), "faults": (23, [*FAULTS, SLOW])}
"""name -> (the seed of the kill moments, the simulator's fault rules)"""

TRANSPORTS = ("urllib", "requests", "httpx")


def sim_args(faults: List[Dict[str, object]], port: Optional[int]) -> List[str]:
    args = ["--size", "small", "--sentinel", SENTINEL, "--log"]
    if port is not None:
        args += ["--port", str(port)]
    for name, count in COUNTS.items():
        args += ["--count", f"{name}={count}"]
    for rule in faults:
        args += ["--fault", json.dumps(rule)]
    return args


def free_port() -> int:
    return int(dead_origin().rsplit(":", 1)[1])


def etl(db: Path, faults: List[Dict[str, object]], transport: str, port: Optional[int]) -> "subprocess.Popen[str]":
    """A run of the ETL against its own simulator on `port` (None: any free port). Pipes:
    reading them to the end waits for the run's simulator too (it shares stderr), which
    stops when the killed run's end of its stdin closes."""
    command = etl_command(db, sim_args(faults, port), "--page-size", str(PAGE_SIZE), "--transport", transport)
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=CLEAN_ENV)


@dataclass(frozen=True)
class State:
    """A resource's row of sync_state."""

    cursor: Optional[str]
    pages: int
    rows: int
    finished: bool


def sync_states(db: Path) -> Dict[str, State]:
    if not db.exists():
        return {}
    with sqlite3.connect(db) as conn:
        try:
            rows = conn.execute("SELECT resource, cursor, pages, rows, finished FROM sync_state").fetchall()
        except sqlite3.OperationalError:
            return {}  # killed before the schema existed
    return {r: State(c, p, n, bool(f)) for r, c, p, n, f in rows}


def stored_ids(db: Path, resource: Resource) -> List[str]:
    with sqlite3.connect(db) as conn:
        try:
            return [str(r[0]) for r in conn.execute(f"SELECT {resource.table.key[0]} FROM {resource.table.name}")]
        except sqlite3.OperationalError:
            return []


@pytest.fixture(scope="module")
def expected(sim_process: Simulator, sim_log: Path) -> Dict[str, FrozenSet[str]]:
    """The simulator's record set of every resource the ETL imports, listed directly
    from a simulator with the same seed and counts."""
    sim = Sim(sim_process, sim_log)
    sim.reset(counts=COUNTS)
    records: Dict[str, FrozenSet[str]] = {}
    for resource in RESOURCES:
        client = client_for(sim, resource.vendor)
        field = resource.table.key[1]
        ids = [str(item[field]) for item in client.iter_items(resource.path, page_size=PAGE_SIZE)]
        assert len(ids) == len(set(ids))
        records[resource.name] = frozenset(ids)
    stats = sim.stats()["records"]
    assert {r: len(ids) for r, ids in records.items()} == {
        "vsax/organizations": stats["vsax.organizations"],
        "vsax/devices": stats["vsax.devices"],
        "vsax/notifications": stats["vsax.notifications"],
        "autotask/Companies": stats["autotask.companies"],
    }
    sim.reset()
    return records


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_killed_runs_resume_to_exactly_the_record_set(
    tmp_path: Path, variant: str, expected: Dict[str, FrozenSet[str]]
) -> None:
    seed, faults = VARIANTS[variant]
    rng = random.Random(seed)
    # Every run's simulator on one port, as a real tenant stays on its URL: the cursors
    # of the VSA X devices hold NextQueryLinks on that origin.
    port = free_port()
    db = tmp_path / "etl.db"
    outputs: List[str] = []
    kills: List[Tuple[float, str]] = []
    interrupted = 0

    for run in range(KILLS):
        delay = round(rng.uniform(*KILL_WINDOW), 3)
        process = etl(db, faults, TRANSPORTS[run % len(TRANSPORTS)], port)
        try:
            process.wait(delay)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
        out, err = process.communicate(timeout=60)
        outputs += [out, err]
        states = sync_states(db)
        where = f"seed {seed}, kills so far {kills}, this one after {delay} s"
        if process.returncode == -signal.SIGKILL:
            in_progress = [name for name, s in states.items() if s.cursor and not s.finished]
            kills.append((delay, ",".join(f"{n}@{states[n].pages}" for n in in_progress) or "between resources"))
            interrupted += 1
        else:
            assert process.returncode == 0, f"{where}: {err}"
            kills.append((delay, "finished first"))
        # After any kill: the database is whole, each page was saved with its cursor, and
        # everything saved is a real record.
        with sqlite3.connect(db) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok", where
        for resource in RESOURCES:
            state = states.get(resource.name)
            total = len(expected[resource.name])
            if state is not None and state.cursor and not state.finished:
                assert state.rows == min(state.pages * PAGE_SIZE, total), f"{where}: {resource.name} {state}"
            stored = stored_ids(db, resource)
            assert len(stored) == len(set(stored)), where
            assert set(stored) <= expected[resource.name], f"{where}: {resource.name} holds records the simulator lacks"

    assert interrupted >= KILLS - 1, f"seed {seed}: most kills must land mid-import: {kills}"

    # The last run resumes where each resource stopped and finishes.
    before = sync_states(db)
    done = etl(db, faults, "urllib", port)
    out, err = done.communicate(timeout=120)
    outputs += [out, err]
    assert done.returncode == 0, f"seed {seed}, kills {kills}: {err}"
    for resource in RESOURCES:
        stored = stored_ids(db, resource)
        total = len(expected[resource.name])
        where = f"seed {seed}, kills {kills}: {resource.name}"
        assert len(stored) == len(set(stored)) == total, where
        assert set(stored) == expected[resource.name], where
        state = before.get(resource.name)
        if state is not None and state.cursor and not state.finished:
            # Resumed: only the pages the killed run had not saved were fetched.
            assert f"{resource.name}: resumed after page {state.pages}" in out, f"{where}\n{out}"
            assert this_run(out, resource.table.name) == total - state.rows, f"{where}: nothing fetched twice"
        else:
            # Finished (or never started) resources sync again from the start.
            assert this_run(out, resource.table.name) == total, where
    assert all(s.finished and s.cursor is None for s in sync_states(db).values())

    # The runs' output, their simulators' request logs and the database name no secret.
    logs = "".join(outputs)
    assert "GET /api/v3/devices 200" in logs and "POST /ATServicesRest/V1.0/Companies/query" in logs
    if variant == "faults":
        assert "GET /api/v3/devices 503" in logs and " reset " in logs, "the faults fired"
    assert_no_sentinel(outputs, "the ETL's output")
    assert_no_sentinel(file_texts(db, f"{db}-wal", f"{db}-shm"), "the database")


def test_a_link_cursor_resumes_against_the_next_simulator(tmp_path: Path) -> None:
    """As `make demo` runs it: the ETL starts its own simulator each run, on the port the
    last run used when it is free, so a saved NextQueryLink still names its origin."""
    db = tmp_path / "etl.db"
    first = etl(db, [SLOW], "urllib", None)
    try:
        deadline = time.monotonic() + 30
        while first.poll() is None and time.monotonic() < deadline:
            state = sync_states(db).get("vsax/devices")
            if state is not None and state.cursor and state.pages >= 5:
                break
            time.sleep(0.02)
    finally:
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=60)
    saved = sync_states(db)["vsax/devices"]
    assert saved.cursor and '"next":"http://127.0.0.1:' in saved.cursor and not saved.finished

    done = etl(db, [SLOW], "urllib", None)
    out, err = done.communicate(timeout=120)
    assert done.returncode == 0, err
    assert this_run(out, "vsax_devices") == COUNTS["vsax.devices"] - saved.rows, "resumed, nothing fetched twice"
