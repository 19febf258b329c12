"""The ETL example end to end: it starts its own simulator, imports into SQLite, survives a
kill -9 (resuming from the saved cursor, nothing lost and nothing twice), re-syncs a
finished resource, and fails with a clear message and exit status 1."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional

import pytest

from conftest import EXAMPLES, sim_binary
from support import SENTINEL

ETL = EXAMPLES / "etl_import.py"
TABLES = {
    "vsax_organizations": "vsax.organizations",
    "vsax_devices": "vsax.devices",
    "vsax_notifications": "vsax.notifications",
    "autotask_companies": "autotask.companies",
}
SMALL = {"vsax.organizations": 5, "vsax.devices": 20, "vsax.notifications": 40, "autotask.companies": 30}
CLEAN_ENV = {k: v for k, v in os.environ.items() if not k.startswith("MSPKIT_")}


def etl_command(db: Path, sim_args: List[str], *extra: str) -> List[str]:
    return [
        sys.executable,
        str(ETL),
        "--db",
        str(db),
        "--simulator",
        sim_binary(),
        "--sim-args",
        shlex.join(sim_args),
        "--no-progress",
        *extra,
    ]


def run_etl(db: Path, sim_args: List[str], *extra: str, env: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        etl_command(db, sim_args, *extra), capture_output=True, text=True, timeout=120, env=env or CLEAN_ENV
    )


def table_counts(db: Path) -> Dict[str, int]:
    with sqlite3.connect(db) as conn:
        return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}


def this_run(stdout: str, table: str) -> int:
    match = re.search(rf"^\s+{table}\s+(\d+)\s+(\d+)$", stdout, re.M)
    assert match, stdout
    return int(match.group(2))


def test_imports_everything_from_the_simulator(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    done = run_etl(db, ["--size", "small", "--sentinel", SENTINEL])
    assert done.returncode == 0, done.stderr
    assert table_counts(db) == {t: SMALL[n] for t, n in TABLES.items()}
    with sqlite3.connect(db) as conn:
        states = conn.execute("SELECT resource, cursor, finished, rows FROM sync_state ORDER BY resource").fetchall()
        raw = conn.execute("SELECT raw FROM vsax_devices LIMIT 1").fetchone()[0]
    assert [s[0] for s in states] == ["autotask/Companies", "vsax/devices", "vsax/notifications", "vsax/organizations"]
    assert all(cursor is None and finished == 1 for _, cursor, finished, _ in states)
    assert "Identifier" in json.loads(raw)
    for line in ("requests sent:", "waiting for the rate limiter:", "elapsed:"):
        assert line in done.stdout
    assert "Connected to Kaseya VSA X: 5 organizations" in done.stderr
    assert SENTINEL not in done.stdout + done.stderr

    # A second run syncs every finished resource again; the upserts store nothing twice.
    again = run_etl(db, ["--size", "small", "--sentinel", SENTINEL], "--transport", "httpx")
    assert again.returncode == 0, again.stderr
    assert table_counts(db) == {t: SMALL[n] for t, n in TABLES.items()}
    assert this_run(again.stdout, "vsax_notifications") == 40


@pytest.mark.parametrize("transport", ["urllib", "requests"])
def test_a_run_killed_mid_resource_resumes_from_its_cursor(tmp_path: Path, transport: str) -> None:
    db = tmp_path / "demo.db"
    counts = ["--count", "vsax.notifications=300", "--count", "autotask.companies=120"]
    slow = json.dumps({"vendor": "vsax", "path": "notifications", "kind": "slow", "delay_ms": 150})
    first = subprocess.Popen(
        etl_command(db, ["--size", "small", *counts, "--fault", slow], "--page-size", "10", "--transport", transport),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=CLEAN_ENV,
    )
    saved = 0
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and first.poll() is None:
            time.sleep(0.05)
            if not db.exists():
                continue
            try:
                with sqlite3.connect(db) as conn:
                    row = conn.execute("SELECT pages FROM sync_state WHERE resource = 'vsax/notifications'").fetchone()
            except sqlite3.OperationalError:
                continue  # the schema is being created
            if row and row[0] >= 5:
                first.send_signal(signal.SIGKILL)
                break
    finally:
        first.wait(10)
    assert first.returncode == -signal.SIGKILL, "killed mid-import"
    with sqlite3.connect(db) as conn:
        cursor, pages, rows, finished = conn.execute(
            "SELECT cursor, pages, rows, finished FROM sync_state WHERE resource = 'vsax/notifications'"
        ).fetchone()
        saved = conn.execute("SELECT COUNT(*) FROM vsax_notifications").fetchone()[0]
    assert cursor and not finished and 5 <= pages < 30
    assert saved == rows == pages * 10, "each page was committed together with its cursor"

    done = run_etl(db, ["--size", "small", *counts], "--page-size", "10", "--transport", transport)
    assert done.returncode == 0, done.stderr
    assert f"vsax/notifications: resumed after page {pages}" in done.stdout
    assert this_run(done.stdout, "vsax_notifications") == 300 - saved, "nothing fetched twice"
    assert table_counts(db) == {
        "vsax_organizations": 5,
        "vsax_devices": 20,
        "vsax_notifications": 300,
        "autotask_companies": 120,
    }
    with sqlite3.connect(db) as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM vsax_notifications")]
    assert len(set(ids)) == 300


def test_failures_exit_1_with_a_clear_message(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    nothing = subprocess.run(
        [sys.executable, str(ETL), "--db", str(db)], capture_output=True, text=True, env=CLEAN_ENV, timeout=60
    )
    assert nothing.returncode == 1
    assert "error: nothing to import from" in nothing.stderr
    assert "MSPKIT_VSAX_TENANT" in nothing.stderr

    partial = subprocess.run(
        [sys.executable, str(ETL), "--db", str(db)],
        capture_output=True,
        text=True,
        env={**CLEAN_ENV, "MSPKIT_VSAX_TENANT": "acme.vsax.net"},
        timeout=60,
    )
    assert partial.returncode == 1
    assert "MSPKIT_VSAX_TOKEN_ID" in partial.stderr

    bad_url = subprocess.run(
        [sys.executable, str(ETL), "--db", str(db)],
        capture_output=True,
        text=True,
        env={
            **CLEAN_ENV,
            "MSPKIT_VSAX_TENANT": "http://acme.vsax.net",
            "MSPKIT_VSAX_TOKEN_ID": "id",
            "MSPKIT_VSAX_TOKEN_SECRET": SENTINEL,
        },
        timeout=60,
    )
    assert bad_url.returncode == 1
    assert "what to do:" in bad_url.stderr
    assert SENTINEL not in bad_url.stderr + bad_url.stdout
    assert "Traceback" not in bad_url.stderr

    no_sim = subprocess.run(
        [sys.executable, str(ETL), "--db", str(db), "--simulator", str(tmp_path / "no-such-binary")],
        capture_output=True,
        text=True,
        env=CLEAN_ENV,
        timeout=60,
    )
    assert no_sim.returncode == 1
    assert "cargo build -p mspkit-sim" in no_sim.stderr
