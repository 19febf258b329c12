"""Starts the tenant simulator ``mspkit-sim`` for a script or a test, and talks to its
control endpoints.

The simulator prints one JSON line (URLs and credentials) and serves until its stdin
closes. It is started with a pipe as stdin, so it cannot outlive this process, even after
a ``kill -9``.

    with Simulator.start("target/debug/mspkit-sim", ["--size", "small"]) as sim:
        client = mspkit.Client.vsax(sim.origin, sim.vsax["token_id"], ...)
        sim.reset({"counts": {"vsax.devices": 250}})
        print(sim.stats()["vendors"])
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import threading
import urllib.error
import urllib.request
from typing import IO, Any, Dict, List, Mapping, Optional, Sequence, Union
from urllib.parse import urlsplit

__all__ = ["Simulator", "SimulatorError", "command_of"]

Json = Dict[str, Any]


class SimulatorError(RuntimeError):
    """The simulator could not be started or did not answer."""


def command_of(spec: Union[str, Sequence[str]]) -> List[str]:
    """A command line from a binary path or a command (``"cargo run -q -p mspkit-sim --"``)."""
    if not isinstance(spec, str):
        return list(spec)
    if os.path.exists(spec):
        return [spec]
    return shlex.split(spec)


def _read_line(stream: IO[bytes], timeout: float) -> bytes:
    """The first line of `stream`, or b"" if none arrives within `timeout` seconds."""
    line: List[bytes] = []
    reader = threading.Thread(target=lambda: line.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return line[0] if line else b""


class Simulator:
    """A running ``mspkit-sim``: its startup line, and its stats and reset endpoints."""

    def __init__(self, process: "subprocess.Popen[bytes]", line: Json) -> None:
        self.process = process
        self.line = line

    @classmethod
    def start(
        cls,
        command: Union[str, Sequence[str]],
        args: Sequence[str] = (),
        *,
        startup_timeout: float = 120.0,
        stderr: Optional[int] = None,
    ) -> Simulator:
        """Starts `command` (a binary path, or a command line) with `args`, waits for its
        JSON line (a `cargo run` may compile first), and returns the running simulator."""
        argv = command_of(command) + list(args)
        try:
            # Its own session: a Ctrl-C reaches only us, and we stop it in order. The pipe
            # on stdin still ends it if we die.
            process = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                start_new_session=True,
            )
        except OSError as e:
            raise SimulatorError(f"could not start the simulator {argv[0]!r}: {e.strerror}") from None
        assert process.stdout is not None
        raw = _read_line(process.stdout, startup_timeout)
        try:
            line = json.loads(raw)
            if not isinstance(line, dict):
                raise ValueError("not an object")
        except ValueError:
            process.kill()
            process.wait()
            code = process.returncode
            raise SimulatorError(
                f"the simulator {argv[0]!r} printed no startup line (exit status {code}); "
                "build it with `cargo build -p mspkit-sim`"
            ) from None
        return cls(process, line)

    # -- the startup line

    @property
    def vsax(self) -> Json:
        """tenant_url, token_id, token_secret, limited{token_id, token_secret, denied}."""
        value: Json = self.line["vsax"]
        return value

    @property
    def vsa9(self) -> Json:
        """server_url, username, token, password, warehouse_token, limited{username, token}."""
        value: Json = self.line["vsa9"]
        return value

    @property
    def autotask(self) -> Json:
        """zone_discovery_url, zone_url, username, secret, integration_code, limited{...}."""
        value: Json = self.line["autotask"]
        return value

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:PORT``."""
        parts = urlsplit(str(self.line["stats_url"]))
        return f"{parts.scheme}://{parts.netloc}"

    # -- control endpoints

    def _call(self, url: str, body: Optional[bytes] = None) -> Json:
        request = urllib.request.Request(url, data=body, method="GET" if body is None else "POST")
        if body is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                value: Json = json.loads(response.read())
                return value
        except urllib.error.HTTPError as e:
            raise SimulatorError(f"{url}: {e.code} {e.read().decode('utf-8', 'replace')}") from None

    def stats(self) -> Json:
        """GET /_sim/stats: counters per endpoint and vendor, limit peaks, records."""
        return self._call(str(self.line["stats_url"]))

    def reset(self, overrides: Optional[Mapping[str, Any]] = None) -> None:
        """POST /_sim/reset: forget every counter, window and fault position; apply
        `overrides` (size, counts, limits, faults, time_scale, ...)."""
        self._call(str(self.line["reset_url"]), json.dumps(dict(overrides or {})).encode())

    # -- lifetime

    def stop(self, timeout: float = 10.0) -> None:
        """Closes its stdin (the simulator's signal to stop) and waits for it."""
        if self.process.poll() is not None:
            return
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        finally:
            if self.process.stdout is not None:
                self.process.stdout.close()

    def __enter__(self) -> Simulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
