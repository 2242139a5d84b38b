"""Tenancy: one organisation never sees, changes or learns of another's data."""

from __future__ import annotations

from typing import Any

from tests.api_helpers import Api, example


def _their_world(api: Api) -> tuple[dict[str, str], dict[str, Any]]:
    """Organisation A with a scenario, a finished job and its plan."""
    a = api.organisation("A")
    scenario_id = api.scenario(a)
    job = api.solve(a, scenario_id)
    assert job["status"] == "done"
    return a, {"scenario": scenario_id, "job": job["id"], "plan": job["plan_id"]}


def _routes(ids: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """Every route that takes an id, called with A's ids."""
    s, j, p = ids["scenario"], ids["job"], ids["plan"]
    return [
        ("GET", f"/v1/scenarios/{s}", None),
        ("GET", f"/v1/scenarios/{s}?revision=1", None),
        ("PUT", f"/v1/scenarios/{s}", example()),
        ("DELETE", f"/v1/scenarios/{s}", None),
        ("GET", f"/v1/scenarios/{s}/revisions", None),
        ("GET", f"/v1/scenarios/{s}/demand", None),
        ("GET", f"/v1/scenarios/{s}/plans", None),
        ("POST", f"/v1/scenarios/{s}/solve", {"solver": "greedy"}),
        ("GET", f"/v1/jobs/{j}", None),
        ("DELETE", f"/v1/jobs/{j}", None),
        ("GET", f"/v1/plans/{p}", None),
        ("POST", "/v1/compare", {"plan_ids": [p, p]}),
        ("GET", f"/v1/plans/{p}/explanations", None),
        ("POST", "/v1/batches", {"scenario_id": s, "solve": {"solver": "greedy"}}),
        ("POST", f"/v1/plans/{p}/recommendations", {"time_limit_s": 1}),
    ]


def test_another_organisations_ids_answer_404_exactly_as_missing_ones(api: Api) -> None:
    _, ids = _their_world(api)
    b = api.organisation("B")
    missing = {"scenario": "0" * 32, "job": "0" * 32, "plan": "0" * 32}
    for (method, url, body), (_, url_missing, _) in zip(_routes(ids), _routes(missing), strict=True):
        theirs = api.client.request(method, url, json=body, headers=b)
        nobody = api.client.request(method, url_missing, json=body, headers=b)
        assert theirs.status_code == 404, (method, url, theirs.text)
        strip = (ids["scenario"], ids["job"], ids["plan"], "0" * 32)
        assert _without(theirs.json(), strip) == _without(nobody.json(), strip), url


def _without(body: dict[str, Any], ids: tuple[str, ...]) -> dict[str, Any]:
    text = str(body)
    for id_ in ids:
        text = text.replace(id_, "<id>")
    return {"text": text}


def test_nothing_of_another_organisation_is_listed_or_changed(api: Api) -> None:
    a, ids = _their_world(api)
    b = api.organisation("B")
    for url in ("/v1/scenarios", "/v1/jobs"):
        listed = api.client.get(url, headers=b).json()
        assert listed == {"items": [], "total": 0, "limit": 50, "offset": 0}, url
    for method, url, body in _routes(ids):
        api.client.request(method, url, json=body, headers=b)
    mine = api.client.get(f"/v1/scenarios/{ids['scenario']}", headers=a).json()
    assert mine["revision"] == 1 and mine["document"] == example()
    assert api.client.get("/v1/jobs", headers=a).json()["total"] == 1
    assert api.client.get(f"/v1/plans/{ids['plan']}", headers=a).status_code == 200


def test_each_organisation_lists_only_its_own(api: Api) -> None:
    a, b = api.organisation("A"), api.organisation("B")
    mine = {api.scenario(a) for _ in range(2)}
    theirs = {api.scenario(b)}
    assert {s["id"] for s in api.client.get("/v1/scenarios", headers=a).json()["items"]} == mine
    assert {s["id"] for s in api.client.get("/v1/scenarios", headers=b).json()["items"]} == theirs
