"""The HTTP API's routes, on SQLite and PostgreSQL, through a real app and job runner."""

from __future__ import annotations

import os
import signal
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from api import Settings, create_app
from engine import check_plan, parse_scenario, validate
from tests import oracle
from tests.api_helpers import ADMIN, ADMIN_KEY, Api, example
from tests.conftest import NHS

PROBLEM = "application/problem+json"


def _is_problem(answer: Any, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith(PROBLEM)
    body = answer.json()
    assert body["status"] == status and body["title"]
    return dict(body)


def _nhs() -> dict[str, Any]:
    import json

    return dict(json.loads(NHS.read_text()))


def test_health_and_readiness(api: Api) -> None:
    assert api.client.get("/healthz").json() == {"status": "ok"}
    ready = api.client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["database"] == "ok"


def test_v1_routes_need_a_key(api: Api) -> None:
    answer = api.client.get("/v1/scenarios")
    _is_problem(answer, 401)
    assert answer.headers["www-authenticate"] == "Bearer"
    _is_problem(api.client.get("/v1/scenarios", headers={"Authorization": "Bearer nope"}), 401)


def test_only_the_admin_key_creates_organisations(api: Api) -> None:
    _is_problem(api.client.post("/v1/organisations", json={"name": "x"}), 401)
    wrong = {"Authorization": "Bearer not-the-admin"}
    _is_problem(api.client.post("/v1/organisations", json={"name": "x"}, headers=wrong), 403)
    org_key = api.organisation()
    _is_problem(api.client.post("/v1/organisations", json={"name": "x"}, headers=org_key), 403)
    _is_problem(api.client.post("/v1/organisations", json={"name": ""}, headers=ADMIN), 422)


def test_keys_work_and_are_stored_only_as_hashes(api: Api, database_url: str) -> None:
    created = api.client.post("/v1/organisations", json={"name": "Council"}, headers=ADMIN).json()
    first = created["api_key"]
    second = api.client.post(f"/v1/organisations/{created['id']}/keys", headers=ADMIN).json()["api_key"]
    for key in (first, second):
        assert api.client.get("/v1/scenarios", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    with create_engine(database_url).connect() as connection:
        stored = " ".join(str(row) for row in connection.execute(text("SELECT * FROM api_keys")))
    assert first not in stored and second not in stored
    listed = api.client.get("/v1/organisations", headers=ADMIN).json()
    assert [o["name"] for o in listed["items"]] == ["Council"]
    _is_problem(api.client.post("/v1/organisations/nope/keys", headers=ADMIN), 404)


def test_scenario_revisions_keep_every_version(api: Api) -> None:
    me = api.organisation()
    first = example()
    scenario_id = api.scenario(me, first)
    changed = example() | {"name": "Riverside, less budget"}
    changed["policy"]["budget"] = {"total": 100000}
    updated = api.client.put(f"/v1/scenarios/{scenario_id}", json=changed, headers=me)
    assert updated.status_code == 200 and updated.json()["revision"] == 2
    newest = api.client.get(f"/v1/scenarios/{scenario_id}", headers=me).json()
    assert newest["document"] == changed and newest["shown_revision"] == 2
    oldest = api.client.get(f"/v1/scenarios/{scenario_id}?revision=1", headers=me).json()
    assert oldest["document"] == first and oldest["revision"] == 2
    revisions = api.client.get(f"/v1/scenarios/{scenario_id}/revisions", headers=me).json()
    assert [r["number"] for r in revisions] == [1, 2]
    assert revisions[1]["name"] == "Riverside, less budget"
    _is_problem(api.client.get(f"/v1/scenarios/{scenario_id}?revision=3", headers=me), 404)


def test_deleted_scenarios_go_but_their_plans_stay(api: Api) -> None:
    me = api.organisation()
    scenario_id = api.scenario(me)
    job = api.solve(me, scenario_id)
    assert api.client.delete(f"/v1/scenarios/{scenario_id}", headers=me).status_code == 204
    _is_problem(api.client.get(f"/v1/scenarios/{scenario_id}", headers=me), 404)
    assert api.client.get("/v1/scenarios", headers=me).json()["total"] == 0
    assert api.client.get(f"/v1/plans/{job['plan_id']}", headers=me).status_code == 200


def test_invalid_scenarios_list_the_same_problems_as_the_cli(api: Api) -> None:
    me = api.organisation()
    bad = example()
    bad["projects"][1]["phases"][0]["demand"][0]["skill"] = "bz"
    bad["projects"][0]["phases"][0]["periods"] = -2
    body = _is_problem(api.client.post("/v1/scenarios", json=bad, headers=me), 422)
    _, problems = validate(bad)
    expected = [(p.path, p.message) for p in problems if p.severity == "error"]
    assert [(e["path"], e["message"]) for e in body["errors"]] == expected
    assert any(
        "unknown skill 'bz'" in e["message"] for e in body["errors"] if e["path"].startswith("projects[1]")
    )
    _is_problem(api.client.post("/v1/scenarios", json=[1, 2], headers=me), 422)
    _is_problem(api.client.post("/v1/scenarios", content=b"{not json", headers=me), 422)
    assert api.client.get("/v1/scenarios", headers=me).json()["total"] == 0


def test_large_requests_and_scenarios_are_refused(database_url: str, tmp_path: Any) -> None:
    limits = {"max_projects": 2, "max_request_bytes": 20_000}
    settings = Settings(data_dir=tmp_path, database_url=database_url, admin_key=ADMIN_KEY, **limits)
    with TestClient(create_app(settings)) as client:
        me = Api(client).organisation()
        body = _is_problem(client.post("/v1/scenarios", json=example(), headers=me), 413)
        assert body["detail"].startswith(f"projects: {len(example()['projects'])} entries")
        huge = example() | {"padding": "x" * 30_000}
        _is_problem(client.post("/v1/scenarios", json=huge, headers=me), 413)


def test_a_solve_job_gives_a_valid_plan_from_the_exact_revision(api: Api) -> None:
    me = api.organisation()
    document = example()
    scenario_id = api.scenario(me, document)
    job = api.solve(me, scenario_id, solver="cp-sat", time_limit_s=5, deterministic=True)
    assert job["status"] == "done", job
    assert job["progress"]["incumbent"] is not None and job["scenario_revision"] == 1
    plan = api.client.get(f"/v1/plans/{job['plan_id']}", headers=me).json()
    assert plan["id"] == job["plan_id"] and plan["job_id"] == job["id"] and plan["scenario_revision"] == 1
    assert plan["status"] in ("optimal", "feasible")
    assert oracle.check(document, plan) == []
    from engine.plan import Plan

    assert check_plan(parse_scenario(document), Plan.model_validate(plan)) == []

    smaller = example()
    smaller["projects"][0]["value"] = 1
    assert api.client.put(f"/v1/scenarios/{scenario_id}", json=smaller, headers=me).status_code == 200
    second = api.solve(me, scenario_id)
    plan2 = api.client.get(f"/v1/plans/{second['plan_id']}", headers=me).json()
    assert plan2["scenario_revision"] == 2 and oracle.check(smaller, plan2) == []
    listed = api.client.get(f"/v1/scenarios/{scenario_id}/plans", headers=me).json()
    assert [p["id"] for p in listed["items"]] == [second["plan_id"], job["plan_id"]]
    assert [p["scenario_revision"] for p in listed["items"]] == [2, 1]


def test_solving_an_older_revision(api: Api) -> None:
    me = api.organisation()
    scenario_id = api.scenario(me)
    api.client.put(f"/v1/scenarios/{scenario_id}", json=example() | {"name": "v2"}, headers=me)
    job = api.solve(me, scenario_id, revision=1)
    assert job["status"] == "done" and job["scenario_revision"] == 1


def test_time_limit_is_held_within_the_server_cap(api: Api) -> None:
    me = api.organisation()
    scenario_id = api.scenario(me)
    answer = api.client.post(f"/v1/scenarios/{scenario_id}/solve", json={"time_limit_s": 10**6}, headers=me)
    body = _is_problem(answer, 422)
    assert body["detail"].startswith("time_limit_s:")
    body = _is_problem(
        api.client.post(f"/v1/scenarios/{scenario_id}/solve", json={"solver": "magic"}, headers=me), 422
    )
    assert body["errors"][0]["path"] == "solver"


def _running_job(api: Api, me: dict[str, str], scenario_id: str) -> dict[str, Any]:
    request = {"solver": "cp-sat", "time_limit_s": 60}
    job = api.client.post(f"/v1/scenarios/{scenario_id}/solve", json=request, headers=me).json()
    deadline = time.monotonic() + 30
    while job["status"] == "queued" and time.monotonic() < deadline:
        time.sleep(0.05)
        job = api.client.get(f"/v1/jobs/{job['id']}", headers=me).json()
    assert job["status"] == "running", job
    return dict(job)


def test_cancelling_a_running_job_stops_it(api: Api) -> None:
    me = api.organisation()
    scenario_id = api.scenario(me, _nhs())
    job = _running_job(api, me, scenario_id)
    cancelled = api.client.delete(f"/v1/jobs/{job['id']}", headers=me)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    time.sleep(0.5)
    after = api.client.get(f"/v1/jobs/{job['id']}", headers=me).json()
    assert after["status"] == "cancelled" and after["plan_id"] is None
    assert not api.client.app.state.runner._running  # type: ignore[attr-defined]  # the process is gone
    _is_problem(api.client.delete(f"/v1/jobs/{job['id']}", headers=me), 409)


def test_a_job_whose_process_dies_is_failed_with_its_reason(api: Api) -> None:
    me = api.organisation()
    scenario_id = api.scenario(me, _nhs())
    job = _running_job(api, me, scenario_id)
    process = api.client.app.state.runner._running[job["id"]].process  # type: ignore[attr-defined]
    os.kill(process.pid, signal.SIGKILL)
    ended = api.wait(me, job["id"])
    assert ended["status"] == "failed" and "killed (signal 9)" in ended["error"]


def test_a_full_queue_answers_429_with_retry_after(api: Api) -> None:
    me = api.organisation()
    scenario_id = api.scenario(me, _nhs())
    request = {"solver": "cp-sat", "time_limit_s": 60}
    jobs = [api.client.post(f"/v1/scenarios/{scenario_id}/solve", json=request, headers=me) for _ in range(4)]
    assert [j.status_code for j in jobs] == [202] * 4
    refused = api.client.post(f"/v1/scenarios/{scenario_id}/solve", json=request, headers=me)
    _is_problem(refused, 429)
    assert int(refused.headers["retry-after"]) > 0
    for job in jobs:
        api.client.delete(f"/v1/jobs/{job.json()['id']}", headers=me)
    again = api.client.post(f"/v1/scenarios/{scenario_id}/solve", json={"solver": "greedy"}, headers=me)
    assert again.status_code == 202


def test_demand_table_matches_the_engine(api: Api) -> None:
    from engine import build
    from engine.demand import capacity_vs_demand

    me = api.organisation()
    document = example()
    scenario_id = api.scenario(me, document)
    table = api.client.get(f"/v1/scenarios/{scenario_id}/demand", headers=me).json()
    frame = capacity_vs_demand(build(parse_scenario(document)))
    assert len(table["rows"]) == len(frame)
    assert [r["demand_hours"] for r in table["rows"]] == pytest.approx(frame["demand_hours"].tolist())
    assert len(table["unservable_hours"]) == document["calendar"]["periods"]


def test_lists_are_paginated(api: Api) -> None:
    me = api.organisation()
    ids = [api.scenario(me, example() | {"name": f"s{i}"}) for i in range(3)]
    page = api.client.get("/v1/scenarios?limit=2", headers=me).json()
    assert page["total"] == 3 and len(page["items"]) == 2
    rest = api.client.get("/v1/scenarios?limit=2&offset=2", headers=me).json()
    assert {s["id"] for s in page["items"] + rest["items"]} == set(ids)
    _is_problem(api.client.get("/v1/scenarios?limit=0", headers=me), 422)


def test_unknown_routes_and_methods_are_problem_details(api: Api) -> None:
    _is_problem(api.client.get("/v1/nothing-here"), 404)
    _is_problem(api.client.patch("/healthz"), 405)


def test_text_no_database_can_store_is_refused_not_crashed_on(api: Api) -> None:
    me = api.organisation()
    named = example() | {"name": "bad\u0000name"}
    body = _is_problem(api.client.post("/v1/scenarios", json=named, headers=me), 422)
    assert "NUL" in body["detail"]
    for url in ("/v1/scenarios/%00", "/v1/jobs/%00abc", "/v1/plans/" + "é" * 40):
        _is_problem(api.client.get(url, headers=me), 404)


def test_compare_plans_side_by_side_as_the_engine_does(api: Api) -> None:
    from engine import compare_plans
    from engine.plan import Plan

    me = api.organisation()
    document = example()
    scenario_id = api.scenario(me, document)
    first = api.solve(me, scenario_id, solver="cp-sat", time_limit_s=3, deterministic=True)
    leaner = example()
    leaner["policy"]["budget"] = {"total": 450000}
    api.client.put(f"/v1/scenarios/{scenario_id}", json=leaner, headers=me)
    second = api.solve(me, scenario_id)
    ids = [first["plan_id"], second["plan_id"]]
    answer = api.client.post("/v1/compare", json={"plan_ids": ids}, headers=me)
    assert answer.status_code == 200, answer.text
    plans = [Plan.model_validate(api.client.get(f"/v1/plans/{i}", headers=me).json()) for i in ids]
    expected = compare_plans(plans, [parse_scenario(document), parse_scenario(leaner)], names=ids)
    assert answer.json() == expected.model_dump(mode="json")
    assert answer.json()["plans"][1]["projects_out"] or answer.json()["plans"][1]["projects_moved"]
    _is_problem(api.client.post("/v1/compare", json={"plan_ids": ids[:1]}, headers=me), 422)
    _is_problem(api.client.post("/v1/compare", json={"plan_ids": [ids[0], "0" * 32]}, headers=me), 404)


def test_explanations_say_why_each_project_is_out_and_what_would_let_it_in(api: Api) -> None:
    from engine import build
    from engine.plan import Plan
    from engine.whatif import let_in

    me = api.organisation()
    document = example()
    job = api.solve(me, api.scenario(me, document))
    plan = api.client.get(f"/v1/plans/{job['plan_id']}", headers=me).json()
    out = [p["id"] for p in plan["projects"] if not p["selected"]]
    assert out, "the example leaves projects out"
    listed = api.client.get(f"/v1/plans/{job['plan_id']}/explanations", headers=me).json()
    assert [i["project"] for i in listed["items"]] == out and listed["total"] == len(out)
    data = build(parse_scenario(document))
    for item in listed["items"]:
        assert item["explanation"]["code"] and item["text"]
        assert item["let_in"] == let_in(data, Plan.model_validate(plan), item["project"]).as_dict(data)
    one = api.client.get(f"/v1/plans/{job['plan_id']}/explanations?project={out[0]}", headers=me).json()
    assert [i["project"] for i in one["items"]] == [out[0]]
    chosen = next(p["id"] for p in plan["projects"] if p["selected"])
    _is_problem(api.client.get(f"/v1/plans/{job['plan_id']}/explanations?project={chosen}", headers=me), 404)


def test_recommendations_run_as_a_job_and_name_what_forcing_a_project_in_displaces(api: Api) -> None:
    from tests.test_recommend import crowded

    me = api.organisation()
    job = api.solve(me, api.scenario(me, crowded()), solver="cp-sat", time_limit_s=3, deterministic=True)
    plan_id = job["plan_id"]
    request = {"time_limit_s": 4, "deterministic": True, "projects": ["second"]}
    queued = api.client.post(f"/v1/plans/{plan_id}/recommendations", json=request, headers=me)
    assert queued.status_code == 202 and queued.json()["kind"] == "recommend", queued.text
    done = api.wait(me, queued.json()["id"])
    assert done["status"] == "done", done
    result = done["result"]
    assert [r["skill"] for r in result["recommendations"]] == ["ba"]
    assert result["recommendations"][0]["lets_in"] == ["second"]
    assert result["displacements"]["second"]["dropped"] == ["first"]
    bad = api.client.post(f"/v1/plans/{plan_id}/recommendations", json={"projects": ["first"]}, headers=me)
    assert _is_problem(bad, 422)["errors"][0]["path"] == "projects[0]"


def test_a_batch_solves_every_variant_as_a_normal_plan_with_a_summary(api: Api) -> None:
    me = api.organisation()
    document = example()
    scenario_id = api.scenario(me, document)
    spec = {
        "scenario_id": scenario_id,
        "solve": {"solver": "greedy"},
        "variants": {
            "less-budget": [{"set_budget": {"total": 300000}}],
            "broken": [{"force_in": ["no-such-project"]}],
        },
        "grids": {"util": {"parameters": {"u": [0.7, 0.9]}, "changes": [{"set_max_utilisation": "$u"}]}},
    }
    created = api.client.post("/v1/batches", json=spec, headers=me)
    assert created.status_code == 202, created.text
    batch_id = created.json()["id"]
    deadline = time.monotonic() + 60
    while (batch := api.client.get(f"/v1/batches/{batch_id}", headers=me).json())["status"] == "running":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    names = [v["variant"] for v in batch["variants"]]
    assert names[:3] == ["base", "less-budget", "broken"] and len(names) == 5
    status = {v["variant"]: v["status"] for v in batch["variants"]}
    assert status["broken"] == "failed" and all(s == "done" for n, s in status.items() if n != "broken"), [
        v["error"] for v in batch["variants"]
    ]
    assert batch["progress"] == {
        "total": 5,
        "done": 4,
        "failed": 1,
        "cancelled": 0,
        "running": 0,
        "queued": 0,
    }
    rows = {r["variant"]: r for r in batch["summary"]}
    assert rows["broken"]["status"] == "failed" and "no-such-project" in rows["broken"]["error"]
    assert {rows[n]["u"] for n in names[3:]} == {0.7, 0.9}
    for v in batch["variants"]:
        if v["plan_id"]:
            plan = api.client.get(f"/v1/plans/{v['plan_id']}", headers=me).json()
            assert rows[v["variant"]]["value"] == plan["metrics"]["value"]
            job = api.client.get(f"/v1/jobs/{v['job_id']}", headers=me).json()
            assert job["status"] == "done" and job["plan_id"] == v["plan_id"]
    less = next(v for v in batch["variants"] if v["variant"] == "less-budget")
    less_plan = api.client.get(f"/v1/plans/{less['plan_id']}", headers=me).json()
    less_doc = example()
    less_doc["policy"]["budget"] = {"total": 300000}
    assert oracle.check(less_doc, less_plan) == [] and less_plan["metrics"]["cost"] <= 300000
    bad = api.client.post("/v1/batches", json={"scenario_id": scenario_id, "grids": {"g": {}}}, headers=me)
    _is_problem(bad, 422)
