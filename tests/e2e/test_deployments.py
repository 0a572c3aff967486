"""Deployments: declaration, PATCH re-check, withdrawal, the limitation caps they add up against
(api.md Deployments, Conflicts; Precise rules 3, 7, 8)."""
import pytest

from conftest import problem
from test_zones import (at, box, conflicts, create, deployment_body, events, in_force_zone, parse, point,
                        zone_body)

INSIDE = point(35.85, 33.05)
OUTSIDE = point(36.5, 33.5)


def limitation(server, cell, **caps):
    return in_force_zone(server, cell, by="SY", other="IL", kind="limitation", caps=caps,
                         geometry=box(35.8, 33.0, 35.9, 33.1))


def test_declared_deployment_is_active_from_now(server, cell):
    before = at(0)
    r = server.post("/v1/tracks/il-sy/deployments", cell["IL"], deployment_body(troops=400))
    assert r.status_code == 201, r.text
    d = r.json()
    assert d["id"].startswith("dep_") and d["status"] == "active" and d["declared_by"] == "IL"
    assert d["strength"]["troops"] == 400 and d["radius_m"] == 2000 and d["conflicts"] == []
    assert parse(d["valid"]["from"]) >= parse(before) and "until" not in d["valid"]
    assert server.get(f"/v1/tracks/il-sy/deployments/{d['id']}", cell["SY"]).json()["unit"] == "brigade"
    assert [e["payload"]["id"] for e in events(server, cell["SY"], "deployment.declared")] == [d["id"]]


def test_strength_above_a_cap_opens_limitation_exceeded_and_a_patch_below_resolves_it(server, cell):
    z = limitation(server, cell, troops=6000, tanks=75, artillery=36)
    d = create(server, cell["SY"], "il-sy", "deployments", deployment_body(INSIDE, troops=7500, tanks=90, artillery=30))
    assert len(d["conflicts"]) == 1
    c = d["conflicts"][0]
    assert c["kind"] == "limitation_exceeded" and c["severity"] == "warning" and c["status"] == "open"
    assert c["exceeded"] == {"troops": {"cap": 6000, "declared": 7500}, "tanks": {"cap": 75, "declared": 90}}
    assert [(s["type"], s["id"]) for s in c["subjects"]] == [("zone", z["id"]), ("deployment", d["id"])]
    assert c["parties"] == ["IL", "SY"]   # the other party to the agreement is affected too
    assert c["overlap"]["window"] == {"start": d["valid"]["from"], "end": None}
    assert c["overlap"]["geometry"]["type"] == "Polygon"
    assert c["key"].startswith(f"limitation_exceeded|") and c["id"].startswith("cfl_")
    assert [x["payload"]["id"] for x in events(server, cell["IL"], "conflict.opened")] == [c["id"]]

    r = server.call("PATCH", f"/v1/tracks/il-sy/deployments/{d['id']}", cell["SY"],
                    json_body={"strength": {"troops": 5000, "tanks": 70, "artillery": 30}})
    assert r.status_code == 200, r.text
    assert r.json()["conflicts"] == [] and r.json()["version"] == 2
    got = server.get(f"/v1/tracks/il-sy/conflicts/{c['id']}", cell["IL"]).json()
    assert got["status"] == "resolved" and got["resolution"] == "modified" and "resolved_at" in got
    assert [x["payload"]["id"] for x in events(server, cell["IL"], "conflict.resolved")] == [c["id"]]


def test_strength_adds_up_across_deployments_and_a_withdrawal_reshapes_the_conflict(server, cell):
    limitation(server, cell, tanks=75)
    a = create(server, cell["SY"], "il-sy", "deployments", deployment_body(INSIDE, tanks=40))
    b = create(server, cell["SY"], "il-sy", "deployments", deployment_body(point(35.82, 33.02), tanks=40))
    assert len(b["conflicts"]) == 1
    first = b["conflicts"][0]
    assert first["exceeded"] == {"tanks": {"cap": 75, "declared": 80}}
    c = create(server, cell["SY"], "il-sy", "deployments", deployment_body(point(35.88, 33.08), tanks=40))
    # The interval changed (a third deployment joined): the old conflict resolves, a new one opens.
    assert [x["exceeded"]["tanks"]["declared"] for x in c["conflicts"]] == [120]
    old = server.get(f"/v1/tracks/il-sy/conflicts/{first['id']}", cell["IL"]).json()
    assert (old["status"], old["resolution"]) == ("resolved", "modified")

    r = server.call("DELETE", f"/v1/tracks/il-sy/deployments/{c['id']}", cell["SY"])
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "withdrawn" and r.json()["conflicts"] == []
    old = server.get(f"/v1/tracks/il-sy/conflicts/{c['conflicts'][0]['id']}", cell["IL"]).json()
    assert old["status"] == "resolved" and old["resolution"] == "withdrawn"
    # a and b alone still exceed: one open conflict about exactly them.
    open_ = conflicts(server, cell["IL"], "il-sy", status="open")
    assert len(open_) == 1
    assert sorted(s["id"] for s in open_[0]["subjects"][1:]) == sorted([a["id"], b["id"]])
    assert open_[0]["exceeded"] == {"tanks": {"cap": 75, "declared": 80}}


def test_a_deployment_leaving_the_zone_resolves_its_limitation_conflict(server, cell):
    limitation(server, cell, tanks=75)
    create(server, cell["SY"], "il-sy", "deployments", deployment_body(INSIDE, tanks=50))
    b = create(server, cell["SY"], "il-sy", "deployments", deployment_body(point(35.82, 33.02), tanks=50))
    cid = b["conflicts"][0]["id"]
    r = server.call("PATCH", f"/v1/tracks/il-sy/deployments/{b['id']}", cell["SY"], json_body={"geometry": OUTSIDE})
    assert r.status_code == 200, r.text
    assert r.json()["conflicts"] == [] and "radius_m" not in r.json()
    assert server.get(f"/v1/tracks/il-sy/conflicts/{cid}", cell["SY"]).json()["resolution"] == "modified"
    assert conflicts(server, cell["SY"], "il-sy", status="open") == []


def test_deployments_at_different_times_do_not_add_up(server, cell):
    limitation(server, cell, tanks=75)
    a = create(server, cell["SY"], "il-sy", "deployments",
               dict(deployment_body(INSIDE, tanks=50), valid={"from": at(0), "until": at(60)}))
    b = create(server, cell["SY"], "il-sy", "deployments",
               dict(deployment_body(INSIDE, tanks=50), valid={"from": at(60)}))
    assert a["conflicts"] == [] and b["conflicts"] == []
    r = server.call("PATCH", f"/v1/tracks/il-sy/deployments/{b['id']}", cell["SY"],
                    json_body={"valid": {"from": at(30)}})
    assert len(r.json()["conflicts"]) == 1
    w = r.json()["conflicts"][0]["overlap"]["window"]
    assert w["end"] == a["valid"]["until"]


def test_a_deployment_inside_a_demilitarized_zone_is_a_critical_breach(server, cell):
    z = in_force_zone(server, cell, kind="demilitarized")
    d = create(server, cell["SY"], "il-sy", "deployments", deployment_body(INSIDE))
    assert [(c["kind"], c["severity"], c["parties"]) for c in d["conflicts"]] == [
        ("demilitarized_breach", "critical", ["IL", "SY"])]
    assert d["conflicts"][0]["subjects"][0] == {"type": "zone", "id": z["id"], "party": "IL"}


def test_only_the_declaring_party_changes_or_withdraws(server, cell):
    d = create(server, cell["IL"], "il-sy", "deployments", deployment_body())
    path = f"/v1/tracks/il-sy/deployments/{d['id']}"
    size = server.log_size()
    problem(server.call("PATCH", path, cell["SY"], json_body={"unit": "x"}), 403)
    problem(server.call("DELETE", path, cell["SY"]), 403)
    problem(server.call("DELETE", path, cell["US"]), 403)
    problem(server.call("PATCH", path, cell["TR"], json_body={"unit": "x"}), 404)
    problem(server.call("PATCH", path, cell["IL"], json_body={"unit": "x"}, headers={"If-Match": "5"}), 409)
    problem(server.call("PATCH", path, cell["IL"], json_body={"strength": {"tanks": -1}}), 422)
    assert server.log_size() == size
    r = server.call("PATCH", path, cell["IL"], json_body={"unit": "renamed"}, headers={"If-Match": "1"})
    assert r.status_code == 200 and r.json()["unit"] == "renamed" and r.json()["version"] == 2
    assert server.call("DELETE", path, cell["IL"]).status_code == 200
    size = server.log_size()
    problem(server.call("PATCH", path, cell["IL"], json_body={"unit": "x"}), 409)
    problem(server.call("DELETE", path, cell["IL"]), 409)
    assert server.log_size() == size


@pytest.mark.parametrize("body,status,field", [
    ({"unit": "u", "geometry": point(35.8, 33.0)}, 400, "strength"),
    ({"unit": "u", "geometry": point(35.8, 33.0), "strength": {"tanks": -1}}, 422, "strength.tanks"),
    ({"unit": "u", "geometry": point(35.8, 33.0), "strength": {"ships": 1}}, 422, "strength.ships"),
    ({"unit": "u", "geometry": box(35.8, 33.0, 35.9, 33.1), "radius_m": 10, "strength": {}}, 422, "radius_m"),
    ({"unit": "u", "geometry": point(181, 33.0), "strength": {}}, 422, "geometry"),
    ({"unit": "u", "geometry": point(35.8, 33.0), "strength": {},
      "valid": {"from": "2030-01-02T00:00:00Z", "until": "2030-01-01T00:00:00Z"}}, 422, "valid.until"),
])
def test_bad_deployment_input_is_refused(server, cell, body, status, field):
    size = server.log_size()
    assert problem(server.post("/v1/tracks/il-sy/deployments", cell["IL"], body), status)["errors"][0]["field"].startswith(field)
    assert server.log_size() == size


def test_list_filters_and_who_may_read(server, cell):
    cell.make_track("obs", [("IL", "principal"), ("SY", "principal"), ("US", "observer")])
    a = create(server, cell["IL"], "obs", "deployments", deployment_body(point(35.0, 33.0)))
    b = create(server, cell["SY"], "obs", "deployments",
               dict(deployment_body(point(36.0, 33.0)), valid={"from": at(0), "until": at(30)}))
    server.call("DELETE", f"/v1/tracks/obs/deployments/{a['id']}", cell["IL"])

    def ids(q):
        r = server.get(f"/v1/tracks/obs/deployments?{q}", cell["SY"])
        assert r.status_code == 200, r.text
        return [d["id"] for d in r.json()["items"]]

    assert ids("") == [a["id"], b["id"]]
    assert ids("status=active") == [b["id"]]
    assert ids("status=withdrawn") == [a["id"]]
    assert ids(f"at={at(60)}") == [a["id"]]
    assert ids("bbox=35.9,32.9,36.1,33.1") == [b["id"]]
    assert ids("bbox=35.01,33.01,35.02,33.02") == [a["id"]]   # inside the 2 km radius
    problem(server.get("/v1/tracks/obs/deployments", cell["US"]), 403)
    problem(server.get(f"/v1/tracks/obs/deployments/{b['id']}", cell["US"]), 404)
    problem(server.get("/v1/tracks/obs/deployments", cell["TR"]), 404)
