"""One simulator per test session (the binary at $MSPKIT_SIM, default target/debug/mspkit-sim,
built by `cargo build -p mspkit-sim`), started with sentinel secrets and reset before every
test to the small data set plus whatever the test asks for.

The sentinel must never show: every test's captured stdout, stderr and log records (down
to DEBUG) are scanned for it, and so is the simulator's own log (`--log`) at the end."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Generator, Iterator

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "bindings-python" / "examples"
sys.path.insert(0, str(EXAMPLES))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from simulator import Simulator  # noqa: E402
from support import SENTINEL, Sim  # noqa: E402


def sim_binary() -> str:
    return os.environ.get("MSPKIT_SIM", str(ROOT / "target" / "debug" / "mspkit-sim"))


@pytest.fixture(scope="session")
def sim_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the session simulator's stderr goes: one line per request."""
    return tmp_path_factory.mktemp("simulator") / "stderr.log"


@pytest.fixture(scope="session")
def sim_process(sim_log: Path) -> Iterator[Simulator]:
    binary = sim_binary()
    if not os.path.exists(binary):
        pytest.exit(f"no simulator at {binary}: run `cargo build -p mspkit-sim` or set MSPKIT_SIM", 2)
    with open(sim_log, "wb") as log:
        process = Simulator.start(binary, ["--size", "small", "--sentinel", SENTINEL, "--log"], stderr=log.fileno())
    yield process
    process.stop()
    text = sim_log.read_text("utf-8", "replace")
    assert SENTINEL not in text, f"the sentinel appeared in the simulator's log {sim_log}"


@pytest.fixture
def sim(sim_process: Simulator, sim_log: Path) -> Sim:
    """The session's simulator, reset to the small data set with no faults."""
    helper = Sim(sim_process, sim_log)
    helper.reset()
    return helper


def pytest_configure(config: pytest.Config) -> None:
    # Capture log records down to DEBUG (the HTTP libraries log requests there), so the
    # scan below sees them; `--log-level` on the command line still wins.
    if not config.getoption("log_level"):
        config.option.log_level = "DEBUG"
    config.addinivalue_line(
        "markers",
        "sentinel_in_library_log(*loggers): the test hands a library a secret on purpose; "
        "the scan ignores those loggers' records (say why)",
    )


def _logger_of(line: str) -> str:
    """The logger of a captured log line ("DEBUG    httpcore.http11:_trace.py:87 ...")."""
    parts = line.split(maxsplit=2)
    return parts[1].split(":", 1)[0] if len(parts) > 1 else ""


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Generator[None, Any, None]:
    """Fails a test whose captured stdout, stderr or log records contain the sentinel."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if report.failed:
        return
    marker = item.get_closest_marker("sentinel_in_library_log")
    allowed = tuple(marker.args) if marker is not None else ()
    # This phase's own sections ("Captured stdout call", "Captured log setup", ...).
    for name, text in report.sections:
        if not name.endswith(f" {report.when}"):
            continue
        lines = [line for line in text.splitlines() if SENTINEL in line]
        if name.startswith("Captured log") and allowed:
            lines = [line for line in lines if not _logger_of(line).startswith(allowed)]
        if lines:
            report.outcome = "failed"
            report.longrepr = f"the sentinel {SENTINEL} appeared in the {name.lower()}: {lines[0][:300]!r}"
            return
