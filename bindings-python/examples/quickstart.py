#!/usr/bin/env python3
"""The README's Python quick start, runnable as is.

With MSPKIT_VSAX_TENANT, MSPKIT_VSAX_TOKEN_ID and MSPKIT_VSAX_TOKEN_SECRET set it talks to
that tenant; otherwise it starts the tenant simulator (MSPKIT_SIM, default
target/debug/mspkit-sim) and talks to it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from simulator import Simulator  # noqa: E402


def quickstart(tenant_url: str, token_id: str, token_secret: str, simulator: bool) -> None:
    # --- README: Python quick start ---
    import mspkit

    client = mspkit.Client.vsax(
        tenant_url,  # pasted as-is: "acme.vsax.net/", "https://acme.vsax.net/api/v3/" ...
        token_id,
        token_secret,
        allow_insecure_loopback=simulator,  # plain http only for the local simulator
    )
    report = client.test_connection()
    print(report.message)  # "Connected to Kaseya VSA X: 42 organizations"

    saved_cursor = None
    try:
        for page in client.iter_pages("devices", page_size=100):
            names = [device["Name"] for device in page.items or []]
            print(f"page {page.page_number}: {len(names)} devices, e.g. {names[:2]}")
            saved_cursor = page.cursor  # store it with the rows: resumes after this page
    except mspkit.AuthError as error:
        print(f"{error.message}. {error.remediation}")
    except mspkit.Error as error:  # every mspkit error has code, status, message, remediation
        print(f"[{error.code}] {error.message}. {error.remediation}")
    # --- end of the quick start ---
    print(f"resume with cursor={saved_cursor!r:.40}")


def main() -> int:
    env = os.environ
    if env.get("MSPKIT_VSAX_TENANT"):
        quickstart(
            env["MSPKIT_VSAX_TENANT"],
            env.get("MSPKIT_VSAX_TOKEN_ID", ""),
            env.get("MSPKIT_VSAX_TOKEN_SECRET", ""),
            simulator=False,
        )
        return 0
    root = Path(__file__).resolve().parents[2]
    binary = env.get("MSPKIT_SIM", str(root / "target" / "debug" / "mspkit-sim"))
    with Simulator.start(binary, ["--size", "small"]) as sim:
        vsax = sim.vsax
        quickstart(vsax["tenant_url"], vsax["token_id"], vsax["token_secret"], simulator=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
