"""One simulator per test session (the binary at $MSPKIT_SIM, default target/debug/mspkit-sim,
built by `cargo build -p mspkit-sim`), started with sentinel secrets and reset before every
test to the small data set plus whatever the test asks for."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Iterator

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
def sim_process() -> Iterator[Simulator]:
    binary = sim_binary()
    if not os.path.exists(binary):
        pytest.exit(f"no simulator at {binary}: run `cargo build -p mspkit-sim` or set MSPKIT_SIM", 2)
    process = Simulator.start(binary, ["--size", "small", "--sentinel", SENTINEL])
    yield process
    process.stop()


@pytest.fixture
def sim(sim_process: Simulator) -> Sim:
    """The session's simulator, reset to the small data set with no faults."""
    helper = Sim(sim_process)
    helper.reset()
    return helper
