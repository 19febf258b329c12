"""The README's Python quick start runs as written (against the simulator)."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import EXAMPLES, sim_binary


def test_the_quick_start_runs_as_written() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MSPKIT_VSAX")}
    env["MSPKIT_SIM"] = sim_binary()
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "quickstart.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Connected to Kaseya VSA X: "), done.stdout
    assert lines[1].startswith("page 1: 20 devices, e.g. ["), done.stdout
    assert lines[-1].startswith("resume with cursor="), done.stdout


def test_the_readme_shows_the_quick_start_as_it_is_in_the_example() -> None:
    readme = (EXAMPLES.parents[1] / "README.md").read_text()
    source = (EXAMPLES / "quickstart.py").read_text()
    start = source.index("    # --- README: Python quick start ---\n")
    end = source.index("    # --- end of the quick start ---")
    body = "\n".join(line[4:] for line in source[start:end].splitlines()[1:])
    assert body.strip() in readme, "README's Python quick start differs from examples/quickstart.py"
