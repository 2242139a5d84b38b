"""Schemathesis over the OpenAPI schema: no input gives a 5xx or an answer the schema does not allow."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from api import Settings, create_app
from tests.api_helpers import ADMIN, ADMIN_KEY, Api

DATA = tempfile.mkdtemp(prefix="capacity-schema-")
atexit.register(shutil.rmtree, DATA, ignore_errors=True)
APP = create_app(Settings(data_dir=DATA, admin_key=ADMIN_KEY, queue_limit=2))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(scope="module")
def organisation() -> Any:
    """An organisation with a scenario and a plan, so that not every id is unknown."""
    with TestClient(APP) as client:
        api = Api(client)
        me = api.organisation()
        api.solve(me, api.scenario(me))
    return me  # schemathesis starts the app again and keeps it running until the test ends


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_gives_a_server_error_or_breaks_the_schema(case: Any, organisation: Any) -> None:
    headers = ADMIN if case.path.startswith("/v1/organisations") else organisation
    # Two checks do not apply. A body that fits the JSON Schema can still be refused with 422: a
    # scenario's cross-references (skills, dependencies, dates) are checked by the engine, beyond
    # JSON Schema. And unknown query parameters are ignored, as most APIs do, not refused.
    excluded = [positive_data_acceptance, negative_data_rejection]
    case.call_and_validate(headers=headers, excluded_checks=excluded)
