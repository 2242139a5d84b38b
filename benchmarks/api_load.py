"""Load on a real ``capacity serve``: many clients reading and submitting solves at once.

Starts the server as the README does (SQLite by default, or ``--database-url``), creates two
organisations with a scenario and a plan each, then runs ``--clients`` concurrent clients for
``--seconds``. Each client loops over a mix of reads (scenario list, scenario, plan, job) and, one
request in ``--submit-every``, a greedy solve. ``GET /healthz`` (no database) runs in the same
loop as the baseline. Reports per request kind: count, errors (5xx or transport), 429s, p50, p99.

    python -m benchmarks.api_load --clients 32 --seconds 30 -o benchmarks/results/api_load.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
ADMIN_KEY = "load-admin"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--submit-every", type=int, default=20, help="one solve per this many requests")
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temporary directory")
    parser.add_argument("-o", "--output", type=Path)
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as data, _server(Path(data), args.database_url) as base:
        setup = asyncio.run(_setup(base))
        for clients in args.clients:
            stats = asyncio.run(_load(base, setup, clients, args.seconds, args.submit_every))
            results.append({"clients": clients, "seconds": args.seconds, "database": _db(args), **stats})
            _print(results[-1])
    if args.output:
        args.output.write_text(json.dumps(results, indent=2) + "\n")


def _db(args: argparse.Namespace) -> str:
    return "postgresql" if args.database_url and args.database_url.startswith("postgres") else "sqlite"


class _server:
    """``capacity serve`` on a free port, in its own session; killed on exit."""

    def __init__(self, data_dir: Path, database_url: str | None):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.env = os.environ | {"CAPACITY_DATA_DIR": str(data_dir), "CAPACITY_ADMIN_KEY": ADMIN_KEY}
        self.env |= {"CAPACITY_QUEUE_LIMIT": "16"}
        if database_url:
            self.env["CAPACITY_DATABASE_URL"] = database_url
        self.log = data_dir / "server.log"

    def __enter__(self) -> str:
        command = [str(Path(sys.executable).with_name("capacity")), "serve", "--port", str(self.port)]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                command, env=self.env, stdout=log, stderr=log, start_new_session=True
            )
        base = f"http://127.0.0.1:{self.port}"
        for _ in range(300):
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    return base
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError(self.log.read_text())

    def __exit__(self, *exc: object) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


async def _setup(base: str) -> list[dict[str, Any]]:
    """Two organisations, each with a scenario and a finished plan."""
    document = json.loads((ROOT / "scenarios" / "example.json").read_text())
    orgs = []
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        for name in ("North", "South"):
            made = await client.post(
                "/v1/organisations", json={"name": name}, headers={"Authorization": f"Bearer {ADMIN_KEY}"}
            )
            headers = {"Authorization": f"Bearer {made.json()['api_key']}"}
            scenario = (await client.post("/v1/scenarios", json=document, headers=headers)).json()["id"]
            job = (
                await client.post(
                    f"/v1/scenarios/{scenario}/solve", json={"solver": "greedy"}, headers=headers
                )
            ).json()
            while job["status"] in ("queued", "running"):
                await asyncio.sleep(0.1)
                job = (await client.get(f"/v1/jobs/{job['id']}", headers=headers)).json()
            orgs.append({"headers": headers, "scenario": scenario, "job": job["id"], "plan": job["plan_id"]})
    return orgs


async def _load(
    base: str, orgs: list[dict[str, Any]], clients: int, seconds: float, every: int
) -> dict[str, Any]:
    timings: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    refused: dict[str, int] = defaultdict(int)
    stop = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:

        async def one_client(n: int) -> None:
            org = orgs[n % len(orgs)]
            h, i = org["headers"], n
            while time.monotonic() < stop:
                i += 1
                kind, method, url, body = _request(org, i, every)
                t0 = time.perf_counter()
                try:
                    answer = await client.request(method, url, json=body, headers=h)
                    status = answer.status_code
                except httpx.TransportError:
                    status = 599
                timings[kind].append(time.perf_counter() - t0)
                if status >= 500:
                    errors[kind] += 1
                elif status == 429:
                    refused[kind] += 1

        await asyncio.gather(*(one_client(n) for n in range(clients)))
    kinds = {}
    for kind, values in sorted(timings.items()):
        ordered = sorted(values)
        kinds[kind] = {
            "count": len(values),
            "errors": errors[kind],
            "refused_429": refused[kind],
            "p50_ms": 1000 * statistics.median(ordered),
            "p99_ms": 1000 * ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))],
        }
    total = sum(len(v) for v in timings.values())
    return {"requests": total, "per_second": total / seconds, "kinds": kinds}


def _request(org: dict[str, Any], i: int, every: int) -> tuple[str, str, str, Any]:
    if i % every == 0:
        return "solve", "POST", f"/v1/scenarios/{org['scenario']}/solve", {"solver": "greedy"}
    kinds = [
        ("healthz (baseline)", "GET", "/healthz", None),
        ("list scenarios", "GET", "/v1/scenarios", None),
        ("get scenario", "GET", f"/v1/scenarios/{org['scenario']}", None),
        ("get job", "GET", f"/v1/jobs/{org['job']}", None),
        ("get plan", "GET", f"/v1/plans/{org['plan']}", None),
    ]
    return kinds[i % len(kinds)]


def _print(result: dict[str, Any]) -> None:
    print(f"\n{result['clients']} clients, {result['database']}: {result['per_second']:.0f} requests/s")
    for kind, k in result["kinds"].items():
        print(
            f"  {kind:20s} n={k['count']:6d} errors={k['errors']:3d} 429={k['refused_429']:4d} "
            f"p50={k['p50_ms']:7.1f} ms p99={k['p99_ms']:7.1f} ms"
        )


if __name__ == "__main__":
    main()
