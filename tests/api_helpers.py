"""Helpers for the API tests: an organisation's view of the service."""

from __future__ import annotations

import copy
import json
import time
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import EXAMPLE

ADMIN_KEY = "test-admin-key"
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}


def example() -> dict[str, Any]:
    return copy.deepcopy(json.loads(EXAMPLE.read_text()))


@dataclass
class Api:
    client: TestClient

    def organisation(self, name: str = "North Trust") -> dict[str, str]:
        """A new organisation; returns the headers that carry its key."""
        answer = self.client.post("/v1/organisations", json={"name": name}, headers=ADMIN)
        assert answer.status_code == 201, answer.text
        return {"Authorization": f"Bearer {answer.json()['api_key']}"}

    def scenario(self, headers: dict[str, str], document: dict[str, Any] | None = None) -> str:
        answer = self.client.post("/v1/scenarios", json=document or example(), headers=headers)
        assert answer.status_code == 201, answer.text
        return str(answer.json()["id"])

    def solve(self, headers: dict[str, str], scenario_id: str, **request: Any) -> dict[str, Any]:
        """Queue a solve and wait for the job to end; returns the job."""
        request = {"solver": "greedy"} | request
        answer = self.client.post(f"/v1/scenarios/{scenario_id}/solve", json=request, headers=headers)
        assert answer.status_code == 202, answer.text
        return self.wait(headers, answer.json()["id"])

    def wait(self, headers: dict[str, str], job_id: str, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            job = self.client.get(f"/v1/jobs/{job_id}", headers=headers).json()
            if job["status"] not in ("queued", "running") or time.monotonic() > deadline:
                return dict(job)
            time.sleep(0.1)
