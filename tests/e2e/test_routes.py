"""Routing: paths are cut at their slashes once and matched against every route (router.c)."""
import os

from conftest import problem

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


def test_a_star_route_gets_the_rest_of_the_path_with_its_slashes(server):
    r = server.get("/app/panels/conflicts.js")
    assert r.status_code == 200
    with open(os.path.join(ROOT, "web", "app", "panels", "conflicts.js"), "rb") as f:
        assert r.content == f.read()
    leaflet = os.path.join(ROOT, "node_modules", "leaflet", "dist", "leaflet.css")
    if os.path.exists(leaflet):  # npm's packages are there after `make test`'s install step
        r = server.get("/vendor/leaflet/dist/leaflet.css")
        assert r.status_code == 200
        with open(leaflet, "rb") as f:
            assert r.content == f.read()


def test_empty_segments_too_many_segments_and_wrong_methods_are_refused(server):
    for path in ("/app/", "/app//console.js", "/app/panels//conflicts.js", "//v1/health", "/v1//health"):
        problem(server.get(path), 404)
    problem(server.get("/v1/tracks" + "/x" * 16), 404)
    problem(server.post("/app/console.js", body={}), 405)
    # the refused requests left nothing behind: the same paths still route
    assert server.get("/app/console.js").status_code == 200
    assert server.get("/v1/health").status_code == 200


def test_parameters_are_the_segments_they_stand_for(server, cell):
    il = cell["IL"]
    r = server.get("/v1/tracks/il-sy", token=il)
    assert r.status_code == 200 and r.json()["id"] == "il-sy"
    problem(server.get("/v1/tracks/il-sy/zones/zn_nope", token=il), 404)
