#!/usr/bin/env python3
"""Imports Kaseya VSA X organizations, devices and notifications and Autotask PSA companies
into SQLite, resumably.

Each page is written together with the cursor that resumes after it, in one transaction:
stop the import at any moment (Ctrl-C, kill -9, a network failure) and the next run
continues from the last saved page, with nothing lost and nothing stored twice (rows are
upserted by the vendor's id). A resource that finished clears its cursor, so the next run
syncs it again from the start.

Where the data comes from:
  * real tenants, from the environment (either vendor may be left out):
      MSPKIT_VSAX_TENANT, MSPKIT_VSAX_TOKEN_ID, MSPKIT_VSAX_TOKEN_SECRET
      MSPKIT_AUTOTASK_USERNAME, MSPKIT_AUTOTASK_SECRET, MSPKIT_AUTOTASK_INTEGRATION_CODE
      (optional MSPKIT_AUTOTASK_ZONE_URL skips zone discovery)
  * otherwise the tenant simulator: --simulator target/release/mspkit-sim (a path or a
    command), started for this run and stopped at its end.

    python etl_import.py --simulator target/release/mspkit-sim --db mspkit-demo.db
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shlex
import socket
import sqlite3
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Protocol, Sequence, Tuple
from urllib.parse import urlsplit

import mspkit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from simulator import Simulator, SimulatorError  # noqa: E402

Item = Dict[str, Any]

VSAX_ENV = ("MSPKIT_VSAX_TENANT", "MSPKIT_VSAX_TOKEN_ID", "MSPKIT_VSAX_TOKEN_SECRET")
AUTOTASK_ENV = (
    "MSPKIT_AUTOTASK_USERNAME",
    "MSPKIT_AUTOTASK_SECRET",
    "MSPKIT_AUTOTASK_INTEGRATION_CODE",
)


# --------------------------------------------------------------------------- the schema


@dataclass(frozen=True)
class Table:
    """A table of one resource: the vendor's id as primary key, a few columns worth
    querying, and the whole record as JSON."""

    name: str
    key: Tuple[str, str]
    """(column, the record's field)"""
    columns: Tuple[Tuple[str, str, str], ...]
    """(column, SQL type, the record's field)"""

    def create_sql(self) -> str:
        key_column, _ = self.key
        key_type = "TEXT" if key_column == "identifier" else "INTEGER"
        columns = "".join(f", {name} {sql_type}" for name, sql_type, _ in self.columns)
        return (
            f"CREATE TABLE IF NOT EXISTS {self.name} ({key_column} {key_type} PRIMARY KEY"
            f"{columns}, raw TEXT NOT NULL, synced_at TEXT NOT NULL)"
        )

    def upsert_sql(self) -> str:
        names = [self.key[0], *(c[0] for c in self.columns), "raw", "synced_at"]
        updates = ", ".join(f"{n} = excluded.{n}" for n in names[1:])
        marks = ", ".join("?" for _ in names)
        return (
            f"INSERT INTO {self.name} ({', '.join(names)}) VALUES ({marks}) "
            f"ON CONFLICT({self.key[0]}) DO UPDATE SET {updates}"
        )

    def row(self, item: Item, synced_at: str) -> Tuple[Any, ...]:
        key = item.get(self.key[1])
        if key is None:
            raise ValueError(f"a {self.name} record has no {self.key[1]}")
        values = [_scalar(item.get(source)) for _, _, source in self.columns]
        return (key, *values, json.dumps(item, separators=(",", ":")), synced_at)


def _scalar(value: Any) -> Any:
    """SQLite takes numbers, text and None; anything else is stored as JSON."""
    if value is None or isinstance(value, (int, float, str)):
        return value
    return json.dumps(value)


@dataclass(frozen=True)
class Resource:
    vendor: str
    """"vsax" or "autotask": which client lists it"""
    path: str
    """what the core lists: "devices", "Companies", ..."""
    table: Table

    @property
    def name(self) -> str:
        return f"{self.vendor}/{self.path}"


RESOURCES = (
    Resource(
        "vsax",
        "organizations",
        Table(
            "vsax_organizations",
            ("id", "Id"),
            (("name", "TEXT", "Name"), ("psa_mapping_id", "INTEGER", "PsaMappingId")),
        ),
    ),
    Resource(
        "vsax",
        "devices",
        Table(
            "vsax_devices",
            ("identifier", "Identifier"),
            (
                ("name", "TEXT", "Name"),
                ("organization_id", "INTEGER", "OrganizationId"),
                ("site_id", "INTEGER", "SiteId"),
                ("group_id", "INTEGER", "GroupId"),
            ),
        ),
    ),
    Resource(
        "vsax",
        "notifications",
        Table(
            "vsax_notifications",
            ("id", "Id"),
            (
                ("message", "TEXT", "Message"),
                ("date_time", "TEXT", "DateTime"),
                ("priority", "TEXT", "Priority"),
            ),
        ),
    ),
    Resource(
        "autotask",
        "Companies",
        Table(
            "autotask_companies",
            ("id", "id"),
            (
                ("company_name", "TEXT", "companyName"),
                ("company_type", "INTEGER", "companyType"),
                ("is_active", "INTEGER", "isActive"),
            ),
        ),
    ),
)

SYNC_STATE_SQL = """
CREATE TABLE IF NOT EXISTS sync_state (
    resource TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    cursor TEXT,
    pages INTEGER NOT NULL DEFAULT 0,
    rows INTEGER NOT NULL DEFAULT 0,
    finished INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL
)"""

CLIENT_STATE_SQL = """
CREATE TABLE IF NOT EXISTS client_state (
    source TEXT PRIMARY KEY,
    state TEXT NOT NULL
)"""


SETTINGS_SQL = """
CREATE TABLE IF NOT EXISTS etl_settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
)"""


def simulator_port_args(db: sqlite3.Connection, sim_args: List[str]) -> List[str]:
    """`--port` of the simulator the last run used, when it is free: a cursor holding a
    next-page link (VSA X past 5,000 devices) names that origin, and the core rightly
    refuses a link to any other. A real tenant keeps its URL, so only simulators need this."""
    if any(arg == "--port" or arg.startswith("--port=") for arg in sim_args):
        return sim_args
    row = db.execute("SELECT value FROM etl_settings WHERE key = 'simulator_port'").fetchone()
    if row is None:
        return sim_args
    port = int(row[0])
    with socket.socket() as probe:
        # As the simulator binds: connections of the last run may linger in TIME_WAIT.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return sim_args  # taken: resuming from a link will start that resource over
    return [*sim_args, "--port", str(port)]


def remember_simulator_port(db: sqlite3.Connection, origin: str) -> None:
    port = urlsplit(origin).port
    if port is not None:
        with db:
            db.execute(
                "INSERT OR REPLACE INTO etl_settings (key, value) VALUES ('simulator_port', ?)",
                (str(port),),
            )


def open_database(path: str) -> sqlite3.Connection:
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = FULL")
    with db:
        db.execute(SYNC_STATE_SQL)
        db.execute(CLIENT_STATE_SQL)
        db.execute(SETTINGS_SQL)
        for resource in RESOURCES:
            db.execute(resource.table.create_sql())
    return db


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# --------------------------------------------------------------------------- sources


@dataclass
class Source:
    """One tenant connection the import reads from."""

    vendor: str
    label: str
    identity: str
    """Where the data comes from; a saved cursor is used only by the same source."""
    client: mspkit.Client
    persist_pacing: bool
    """Keep the client's pacing state in the database (real tenants: the limits are
    the tenant's, across runs)."""


class ConfigProblem(Exception):
    """The environment or the command line is incomplete."""


def sources_from_env(env: Mapping[str, str]) -> List[Source]:
    sources: List[Source] = []
    for names, vendor in ((VSAX_ENV, "vsax"), (AUTOTASK_ENV, "autotask")):
        present = [n for n in names if env.get(n, "").strip()]
        if not present:
            continue
        missing = [n for n in names if n not in present]
        if missing:
            raise ConfigProblem(f"set {', '.join(missing)} too (or unset {', '.join(present)})")
        values = [env[n].strip() for n in names]
        if vendor == "vsax":
            client = mspkit.Client.vsax(values[0], values[1], values[2])
            sources.append(
                Source("vsax", f"Kaseya VSA X ({client.base_url})", f"vsax {client.base_url}", client, True)
            )
        else:
            zone = env.get("MSPKIT_AUTOTASK_ZONE_URL", "").strip() or None
            client = mspkit.Client.autotask(
                values[0], values[1], values[2], zone_url=zone, autotask_paging="keyset"
            )
            sources.append(
                Source("autotask", f"Autotask PSA ({values[0]})", f"autotask {values[0]}", client, True)
            )
    return sources


def sources_from_simulator(sim: Simulator, identity: str) -> List[Source]:
    vsax, autotask = sim.vsax, sim.autotask
    loopback: Dict[str, Any] = {"allow_insecure_loopback": True}
    return [
        Source(
            "vsax",
            "Kaseya VSA X (simulator)",
            identity,
            mspkit.Client.vsax(vsax["tenant_url"], vsax["token_id"], vsax["token_secret"], **loopback),
            False,
        ),
        Source(
            "autotask",
            "Autotask PSA (simulator)",
            identity,
            mspkit.Client.autotask(
                autotask["username"],
                autotask["secret"],
                autotask["integration_code"],
                zone_discovery_url=autotask["zone_discovery_url"],
                autotask_paging="keyset",
                **loopback,
            ),
            False,
        ),
    ]


def simulator_identity(sim: Simulator) -> str:
    """The simulator's data set (sizes and seed-derived user names), not its port or its
    faults: a cursor saved against one run resumes against the next with the same data."""
    records = json.dumps(sim.stats().get("records", {}), sort_keys=True)
    return f"simulator {sim.vsax['token_id']} {sim.autotask['username']} {records}"


def make_transport(name: str) -> mspkit.Transport:
    if name == "requests":
        return mspkit.RequestsTransport()
    if name == "httpx":
        return mspkit.HttpxTransport()
    return mspkit.UrllibTransport()


# --------------------------------------------------------------------------- progress


class Progress(Protocol):
    def page(self, rows: int, total: Optional[int]) -> None: ...

    def close(self) -> None: ...


class PlainProgress:
    """One line on stderr, rewritten in place on a terminal."""

    def __init__(self, label: str, rows: int, enabled: bool) -> None:
        self.label, self.rows = label, rows
        self.total: Optional[int] = None
        self.enabled = enabled
        self.tty = sys.stderr.isatty()
        self._shown = False

    def page(self, rows: int, total: Optional[int]) -> None:
        self.rows += rows
        self.total = total if total is not None else self.total
        if self.enabled and self.tty:
            self._show("\r")

    def _show(self, end: str) -> None:
        of = f"/{self.total}" if self.total is not None else ""
        sys.stderr.write(f"\r  {self.label}: {self.rows}{of} rows{end}")
        sys.stderr.flush()
        self._shown = True

    def close(self) -> None:
        if self.enabled:
            self._show("\n")


class TqdmProgress:
    def __init__(self, label: str, rows: int, enabled: bool) -> None:
        from tqdm import tqdm

        self.bar = tqdm(desc=f"  {label}", initial=rows, unit=" rows", disable=not enabled, leave=True)

    def page(self, rows: int, total: Optional[int]) -> None:
        if total is not None and self.bar.total != total:
            self.bar.total = total
            self.bar.refresh()
        self.bar.update(rows)

    def close(self) -> None:
        self.bar.close()


def progress_factory(enabled: bool) -> Callable[[str, int], Progress]:
    if importlib.util.find_spec("tqdm") is None:
        return lambda label, rows: PlainProgress(label, rows, enabled)
    return lambda label, rows: TqdmProgress(label, rows, enabled)


# --------------------------------------------------------------------------- the import


@dataclass
class Outcome:
    rows: Dict[str, int] = field(default_factory=dict)
    """rows written this run, per table"""
    resumed: Dict[str, int] = field(default_factory=dict)
    """resources resumed from a saved cursor: the pages saved before"""


def saved_cursor(db: sqlite3.Connection, resource: Resource, source: Source) -> Tuple[Optional[str], int, int]:
    """(cursor, pages, rows) to resume from, or (None, 0, 0) after marking a fresh start."""
    row = db.execute(
        "SELECT source, cursor, pages, rows, finished FROM sync_state WHERE resource = ?",
        (resource.name,),
    ).fetchone()
    if row is not None:
        saved_source, cursor, pages, rows, finished = row
        if saved_source == source.identity and cursor and not finished:
            return str(cursor), int(pages), int(rows)
    start_over(db, resource, source)
    return None, 0, 0


def start_over(db: sqlite3.Connection, resource: Resource, source: Source) -> None:
    with db:
        db.execute(
            "INSERT OR REPLACE INTO sync_state (resource, source, cursor, pages, rows, finished, updated_at)"
            " VALUES (?, ?, NULL, 0, 0, 0, ?)",
            (resource.name, source.identity, _now()),
        )


def save_page(db: sqlite3.Connection, resource: Resource, source: Source, page: mspkit.Event) -> int:
    """Writes the page's rows and its cursor in one transaction; returns the rows."""
    synced_at = _now()
    rows = [resource.table.row(item, synced_at) for item in page.items or ()]
    with db:
        db.executemany(resource.table.upsert_sql(), rows)
        db.execute(
            "UPDATE sync_state SET cursor = ?, pages = pages + 1, rows = rows + ?, updated_at = ?"
            " WHERE resource = ?",
            (page.cursor, len(rows), synced_at, resource.name),
        )
        if source.persist_pacing:
            save_pacing(db, source)
    return len(rows)


def save_pacing(db: sqlite3.Connection, source: Source) -> None:
    db.execute(
        "INSERT OR REPLACE INTO client_state (source, state) VALUES (?, ?)",
        (source.identity, source.client.export_state()),
    )


def load_pacing(db: sqlite3.Connection, source: Source) -> None:
    row = db.execute("SELECT state FROM client_state WHERE source = ?", (source.identity,)).fetchone()
    if row is not None:
        try:
            source.client.import_state(str(row[0]))
        except mspkit.ConfigError:
            pass  # state of another mspkit version: start with fresh pacing


def sync_resource(
    db: sqlite3.Connection,
    source: Source,
    resource: Resource,
    transport: mspkit.Transport,
    page_size: Optional[int],
    progress: Callable[[str, int], Progress],
    outcome: Outcome,
) -> None:
    cursor, pages_before, rows_before = saved_cursor(db, resource, source)
    if cursor is not None:
        outcome.resumed[resource.name] = pages_before
    bar = progress(f"{resource.table.name}" + (f" (resumed after page {pages_before})" if cursor else ""), rows_before)
    written = 0
    try:
        while True:
            try:
                for page in source.client.iter_pages(
                    resource.path, page_size=page_size, cursor=cursor, transport=transport
                ):
                    rows = save_page(db, resource, source, page)
                    written += rows
                    bar.page(rows, page.total)
                break
            except (mspkit.ConfigError, mspkit.UnsafeLinkError):
                # A saved cursor the core no longer accepts (another version, or a link of
                # a server that moved): the upserts make starting over safe.
                if cursor is None or written:
                    raise
                cursor = None
                start_over(db, resource, source)
                outcome.resumed.pop(resource.name, None)
    finally:
        bar.close()
        outcome.rows[resource.table.name] = outcome.rows.get(resource.table.name, 0) + written
    with db:
        db.execute(
            "UPDATE sync_state SET cursor = NULL, finished = 1, updated_at = ? WHERE resource = ?",
            (_now(), resource.name),
        )
        if source.persist_pacing:
            save_pacing(db, source)


def run_import(
    db: sqlite3.Connection,
    sources: Sequence[Source],
    transport: mspkit.Transport,
    page_size: Optional[int],
    progress: Callable[[str, int], Progress],
    outcome: Outcome,
) -> None:
    for source in sources:
        if source.persist_pacing:
            load_pacing(db, source)
        report = source.client.test_connection(transport)
        if report.error is not None:
            raise report.error
        print(f"{source.label}: {report.message}", file=sys.stderr)
        for resource in RESOURCES:
            if resource.vendor == source.vendor:
                sync_resource(db, source, resource, transport, page_size, progress, outcome)


def print_summary(
    db: sqlite3.Connection, db_path: str, sources: Sequence[Source], outcome: Outcome, elapsed: float
) -> None:
    vendors = {s.vendor for s in sources}
    print(f"\nSummary ({db_path})")
    print(f"  {'table':<22}{'rows':>8}{'this run':>10}")
    for resource in RESOURCES:
        if resource.vendor not in vendors:
            continue
        name = resource.table.name
        (total,) = db.execute(f"SELECT COUNT(*) FROM {name}").fetchone()
        print(f"  {name:<22}{total:>8}{outcome.rows.get(name, 0):>10}")
    for name, pages in outcome.resumed.items():
        print(f"  {name}: resumed after page {pages} of an interrupted run")
    per_source = ", ".join(f"{s.label} {s.client.requests_sent}" for s in sources)
    print(f"  requests sent: {sum(s.client.requests_sent for s in sources)} ({per_source})")
    waited = sum(s.client.wait_seconds for s in sources)
    print(f"  waiting for the rate limiter: {waited:.2f} s")
    print(f"  elapsed: {elapsed:.2f} s")


# --------------------------------------------------------------------------- main


def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Import VSA X and Autotask data into SQLite, resumably.",
        epilog="Real tenants come from MSPKIT_VSAX_* / MSPKIT_AUTOTASK_* (see the module docstring); "
        "without them, --simulator is used.",
    )
    parser.add_argument("--db", default="mspkit-demo.db", help="SQLite file (default: %(default)s)")
    parser.add_argument(
        "--simulator",
        metavar="CMD",
        help="the mspkit-sim binary or a command to start it; used when no real credentials are set",
    )
    parser.add_argument("--sim-args", default="", help='arguments for the simulator, e.g. "--size realistic"')
    parser.add_argument("--transport", choices=("urllib", "requests", "httpx"), default="urllib")
    parser.add_argument("--page-size", type=int, default=None, help="records per request (default: the vendor's)")
    parser.add_argument("--no-progress", action="store_true", help="no progress output")
    return parser.parse_args(argv)


def fail(message: str, remediation: str = "") -> int:
    print(f"error: {message}", file=sys.stderr)
    if remediation:
        print(f"  what to do: {remediation}", file=sys.stderr)
    return 1


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    simulator: Optional[Simulator] = None
    try:
        try:
            sources = sources_from_env(os.environ)
        except ConfigProblem as problem:
            return fail(f"incomplete credentials in the environment: {problem}")
        if sources:
            print("Importing from the tenants configured in MSPKIT_* variables.", file=sys.stderr)
        elif not args.simulator:
            return fail(
                "nothing to import from",
                "set MSPKIT_VSAX_TENANT/_TOKEN_ID/_TOKEN_SECRET and/or "
                "MSPKIT_AUTOTASK_USERNAME/_SECRET/_INTEGRATION_CODE, or pass --simulator PATH.",
            )
        db = open_database(args.db)
        if not sources:
            sim_args = simulator_port_args(db, shlex.split(args.sim_args))
            simulator = Simulator.start(args.simulator, sim_args)
            print(f"Simulator started on {simulator.origin}.", file=sys.stderr)
            remember_simulator_port(db, simulator.origin)
            sources = sources_from_simulator(simulator, simulator_identity(simulator))
        outcome = Outcome()
        try:
            try:
                run_import(
                    db,
                    sources,
                    make_transport(args.transport),
                    args.page_size,
                    progress_factory(not args.no_progress),
                    outcome,
                )
            except mspkit.Error as error:
                print_summary(db, args.db, sources, outcome, time.monotonic() - started)
                return fail(error.message, f"{error.remediation} Every saved page is kept; run again to resume.")
            except KeyboardInterrupt:
                print_summary(db, args.db, sources, outcome, time.monotonic() - started)
                print("\nInterrupted: every saved page is kept; run again to resume.", file=sys.stderr)
                return 130
            print_summary(db, args.db, sources, outcome, time.monotonic() - started)
            return 0
        finally:
            db.close()
    except mspkit.Error as error:
        return fail(error.message, error.remediation)
    except SimulatorError as error:
        return fail(str(error), "build it with `cargo build -p mspkit-sim`, or pass its path to --simulator.")
    except (OSError, sqlite3.Error) as error:
        return fail(f"{type(error).__name__}: {error}")
    except KeyboardInterrupt:
        print("\nInterrupted.", file=sys.stderr)
        return 130
    finally:
        if simulator is not None:
            simulator.stop()


if __name__ == "__main__":
    sys.exit(main())
