"""Conflicts: every kind end to end, margins, acknowledgement, consent, waiver, visibility, the dry-run
check, and the engine rebuilt from the store after a restart (api.md Conflicts, Dry-run check;
Precise rules 1-3, 7, 8, 11)."""
import pytest

from conftest import problem
from test_zones import (activity_body, box, conflicts, create, deployment_body, events, in_force_zone, point,
                        zone_body)

A = box(35.80, 33.00, 35.90, 33.10)
B = box(35.85, 33.05, 35.95, 33.15)
FAR = box(36.50, 33.50, 36.60, 33.60)
SITE = box(35.80, 33.00, 35.81, 33.01)


def kinds(items):
    return [(c["kind"], c["severity"]) for c in items]


def test_influence_entry_needs_the_owner_and_consent_settles_it(server, cell):
    z = create(server, cell["TR"], "tr-il", "zones", zone_body("influence", box(37.9, 34.3, 38.6, 34.85)))
    own = create(server, cell["TR"], "tr-il", "activities", activity_body(geometry=box(38.1, 34.4, 38.2, 34.5)))
    assert own["conflicts"] == []   # the owner's own activity
    a = create(server, cell["IL"], "tr-il", "activities",
               activity_body(geometry=box(38.5, 34.8, 38.7, 34.9), alt=(6000, 9000)))
    assert kinds(a["conflicts"]) == [("influence_entry", "warning")]
    c = a["conflicts"][0]
    assert c["subjects"] == [{"type": "zone", "id": z["id"], "party": "TR"},
                             {"type": "activity", "id": a["id"], "party": "IL"}]
    assert c["parties"] == ["IL", "TR"]
    assert c["overlap"]["altitude"] == {"min_m": 6000, "max_m": 9000}
    ring = c["overlap"]["geometry"]["coordinates"][0]
    assert min(p[0] for p in ring) == pytest.approx(38.5) and max(p[0] for p in ring) == pytest.approx(38.6)
    assert max(p[1] for p in ring) == pytest.approx(34.85)

    path = f"/v1/tracks/tr-il/conflicts/{c['id']}/consent"
    size = server.log_size()
    problem(server.post(path, cell["IL"]), 403)
    problem(server.post(path, cell["AZ"]), 404)
    problem(server.post(path, cell["TR"], headers={"If-Match": "3"}), 409)
    assert server.log_size() == size
    r = server.post(path, cell["TR"])
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["resolution"]) == ("resolved", "consented") and "resolved_at" in r.json()
    problem(server.post(path, cell["TR"]), 409)
    # Still inside after a change: the consent holds, nothing reopens.
    r = server.call("PATCH", f"/v1/tracks/tr-il/activities/{a['id']}", cell["IL"], json_body={"altitude": {"min_m": 7000, "max_m": 9000}})
    assert r.status_code == 200 and r.json()["conflicts"] == []
    assert len(events(server, cell["IL"], "conflict.opened")) == 1
    assert server.get(f"/v1/tracks/tr-il/conflicts/{c['id']}", cell["IL"]).json()["resolution"] == "consented"
    # ... and across a restart (the engine and its settled keys are rebuilt from the store).
    server.stop()
    server.start()
    r = server.call("PATCH", f"/v1/tracks/tr-il/activities/{a['id']}", cell["IL"], json_body={"description": "again"})
    assert r.json()["conflicts"] == [] and len(events(server, cell["IL"], "conflict.opened")) == 1


def test_restricted_airspace_entry_by_another_party(server, cell):
    z = create(server, cell["SY"], "il-sy", "zones",
               zone_body("restricted_airspace", A, altitude={"min_m": 0, "max_m": 3000}))
    above = create(server, cell["IL"], "il-sy", "activities", activity_body(geometry=B, alt=(3500, 5000)))
    assert above["conflicts"] == []
    a = create(server, cell["IL"], "il-sy", "activities", activity_body(geometry=B, alt=(2000, 5000)))
    assert kinds(a["conflicts"]) == [("restricted_airspace_entry", "warning")]
    assert a["conflicts"][0]["overlap"]["altitude"] == {"min_m": 2000, "max_m": 3000}
    assert a["conflicts"][0]["subjects"][0]["id"] == z["id"]


def test_a_strike_near_a_protected_site_is_critical_within_the_margin(server, cell):
    create(server, cell["SY"], "il-sy", "zones", zone_body("protected_site", SITE))
    # 0.012 deg of longitude at 33 N is about 1.1 km; a 500 m radius leaves about 600 m: inside the 1 km margin.
    near = create(server, cell["IL"], "il-sy", "activities",
                  activity_body("strike", geometry=point(35.822, 33.005), radius_m=500, alt=(0, 3000)))
    assert kinds(near["conflicts"]) == [("protected_site_risk", "critical")]
    assert near["conflicts"][0]["overlap"]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    far = create(server, cell["IL"], "il-sy", "activities",
                 activity_body("strike", geometry=point(35.84, 33.005), radius_m=500, alt=(0, 3000)))
    assert far["conflicts"] == []
    flight = create(server, cell["IL"], "il-sy", "activities", activity_body("air_sortie", geometry=SITE))
    assert flight["conflicts"] == []   # only strikes put a protected site at risk


def test_a_strike_near_another_partys_deployment_or_base_is_deployment_risk(server, cell):
    dep = create(server, cell["SY"], "il-sy", "deployments", deployment_body(point(35.85, 33.05)))
    s = create(server, cell["IL"], "il-sy", "activities",
               activity_body("strike", geometry=point(35.85, 33.05), radius_m=500, alt=(0, 3000)))
    assert kinds(s["conflicts"]) == [("deployment_risk", "critical")]
    assert sorted(x["id"] for x in s["conflicts"][0]["subjects"]) == sorted([dep["id"], s["id"]])

    base = create(server, cell["RU"], "ru-il", "zones",
                  zone_body("base", box(35.92, 35.38, 35.98, 35.44), name="Hmeimim"))
    strike = create(server, cell["IL"], "ru-il", "activities",
                    activity_body("strike", geometry=point(35.93, 35.46), radius_m=1500, alt=(0, 8000)))
    assert kinds(strike["conflicts"]) == [("deployment_risk", "critical")]
    assert strike["conflicts"][0]["subjects"][0] == {"type": "zone", "id": base["id"], "party": "RU"}
    assert strike["conflicts"][0]["parties"] == ["IL", "RU"]
    own = create(server, cell["RU"], "ru-il", "activities",
                 activity_body("strike", geometry=point(35.93, 35.46), radius_m=1500, alt=(0, 8000)))
    assert [c["kind"] for c in own["conflicts"]] == ["activity_overlap"]   # with IL's strike, not its own base


def test_overlap_involving_a_strike_is_critical(server, cell):
    create(server, cell["IL"], "il-sy", "activities", activity_body("strike", geometry=A))
    sy = create(server, cell["SY"], "il-sy", "activities", activity_body("uav", geometry=B))
    assert kinds(sy["conflicts"]) == [("activity_overlap", "critical")]


def test_an_activity_in_a_demilitarized_zone_is_a_breach_of_the_agreement(server, cell):
    z = in_force_zone(server, cell, kind="demilitarized", geometry=A)
    a = create(server, cell["IL"], "il-sy", "activities", activity_body(geometry=B))
    assert kinds(a["conflicts"]) == [("demilitarized_breach", "critical")]
    assert a["conflicts"][0]["parties"] == ["IL", "SY"]
    # Withdrawing the zone resolves the breach.
    r = server.call("DELETE", f"/v1/tracks/il-sy/zones/{z['id']}", cell["IL"])
    assert r.status_code == 200 and r.json()["conflicts"] == []
    got = server.get(f"/v1/tracks/il-sy/conflicts/{a['conflicts'][0]['id']}", cell["SY"]).json()
    assert (got["status"], got["resolution"]) == ("resolved", "withdrawn")


def test_a_proposed_zone_applies_no_rule_until_it_is_in_force(server, cell):
    a = create(server, cell["IL"], "il-sy", "activities", activity_body(geometry=B))
    z = create(server, cell["IL"], "il-sy", "zones", zone_body("demilitarized", A))
    assert z["conflicts"] == [] and conflicts(server, cell["IL"], "il-sy") == []
    r = server.post(f"/v1/tracks/il-sy/zones/{z['id']}/accept", cell["SY"])
    assert kinds(r.json()["conflicts"]) == [("demilitarized_breach", "critical")]
    assert r.json()["conflicts"][0]["subjects"][1]["id"] == a["id"]


def test_margins_come_from_the_track_settings_and_follow_their_changes(server, cell):
    cell.make_track("tight", [("IL", "principal"), ("SY", "principal")],
                    {"separation_m": 0, "vertical_separation_m": 0, "time_margin": "PT0S"})
    create(server, cell["IL"], "tight", "activities", activity_body(geometry=box(35.8, 33.0, 35.9, 33.1)))
    touching = dict(activity_body(geometry=box(35.9, 33.0, 36.0, 33.1)), type="activity")
    assert server.post("/v1/tracks/tight/check", cell["SY"], touching).json()["conflicts"] == []
    r = server.call("PATCH", "/v1/tracks/tight", cell.admin, json_body={"settings": {"separation_m": 1000}})
    assert r.status_code == 200, r.text
    assert [c["kind"] for c in server.post("/v1/tracks/tight/check", cell["SY"], touching).json()["conflicts"]] == [
        "activity_overlap"]


def test_affected_parties_acknowledge_and_then_it_is_acknowledged(server, cell):
    create(server, cell["IL"], "il-sy", "activities", activity_body(geometry=A))
    c = create(server, cell["SY"], "il-sy", "activities", activity_body(geometry=B))["conflicts"][0]
    path = f"/v1/tracks/il-sy/conflicts/{c['id']}/acknowledge"
    size = server.log_size()
    problem(server.post(path, cell["RU"]), 403)   # sees it, not affected
    problem(server.post(path, cell["US"]), 403)
    problem(server.post(path, cell["TR"]), 404)
    assert server.log_size() == size
    r = server.post(path, cell["IL"])
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["acks"]) == ("open", ["IL"])
    problem(server.post(path, cell["IL"]), 409)
    r = server.post(path, cell["SY"], headers={"If-Match": "2"})
    assert (r.json()["status"], r.json()["acks"], r.json()["version"]) == ("acknowledged", ["IL", "SY"], 3)
    assert len(events(server, cell["US"], "conflict.acknowledged", c["id"])) == 2
    assert [x["id"] for x in conflicts(server, cell["IL"], "il-sy", status="acknowledged")] == [c["id"]]


def test_mediator_or_supervisor_waives_and_the_waiver_holds(server, cell):
    il = create(server, cell["IL"], "il-sy", "activities", activity_body(geometry=A))
    c = create(server, cell["SY"], "il-sy", "activities", activity_body(geometry=B))["conflicts"][0]
    path = f"/v1/tracks/il-sy/conflicts/{c['id']}/resolve"
    size = server.log_size()
    problem(server.post(path, cell["IL"], {"resolution": "waived"}), 403)
    assert problem(server.post(path, cell["RU"], {"resolution": "ignored"}), 422)["errors"][0]["field"] == "resolution"
    problem(server.post(path, cell["RU"], {}), 400)
    assert server.log_size() == size
    r = server.post(path, cell["RU"], {"resolution": "waived", "note": "deconflicted by phone"})
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["resolution"], r.json()["note"]) == ("resolved", "waived", "deconflicted by phone")
    problem(server.post(path, cell["US"], {"resolution": "waived"}), 409)
    problem(server.post(f"/v1/tracks/il-sy/conflicts/{c['id']}/acknowledge", cell["IL"]), 409)
    server.call("PATCH", f"/v1/tracks/il-sy/activities/{il['id']}", cell["IL"], json_body={"description": "x"})
    assert conflicts(server, cell["IL"], "il-sy", status="open") == []


def test_conflicts_are_seen_by_the_tracks_principals_mediator_and_supervisor_only(server, cell):
    cell.make_track("vis", [("IL", "principal"), ("SY", "principal"), ("AZ", "host"), ("US", "observer"),
                            ("RU", "mediator")])
    create(server, cell["IL"], "vis", "activities", activity_body(geometry=A))
    c = create(server, cell["SY"], "vis", "activities", activity_body(geometry=B))["conflicts"][0]
    one = f"/v1/tracks/vis/conflicts/{c['id']}"
    for party in ("IL", "SY", "RU"):
        assert server.get(one, cell[party]).json()["id"] == c["id"]
        assert len(events(server, cell[party], "conflict.opened", c["id"])) == 1
    for party in ("AZ", "US"):
        problem(server.get(one, cell[party]), 404)
        problem(server.get("/v1/tracks/vis/conflicts", cell[party]), 403)
        assert events(server, cell[party], "conflict.opened") == []
    problem(server.get(one, cell["TR"]), 404)
    problem(server.get("/v1/tracks/vis/conflicts", cell["TR"]), 404)
    problem(server.get(one, cell.admin), 403)
    problem(server.get(f"/v1/tracks/il-sy/conflicts/{c['id']}", cell["IL"]), 404)   # another track
    # GET of a subject lists its unresolved conflicts to those who may see them, and only to them.
    z = create(server, cell["SY"], "vis", "zones", zone_body("influence", FAR))
    e = create(server, cell["IL"], "vis", "activities", activity_body(geometry=FAR))["conflicts"][0]
    assert [x["id"] for x in server.get(f"/v1/tracks/vis/zones/{z['id']}", cell["RU"]).json()["conflicts"]] == [e["id"]]
    assert [x["id"] for x in server.get(f"/v1/tracks/vis/activities/{c['subjects'][1]['id']}", cell["IL"]).json()["conflicts"]] == [c["id"]]
    seen = server.get(f"/v1/tracks/vis/zones/{z['id']}", cell["US"]).json()
    assert seen["id"] == z["id"] and "conflicts" not in seen


def test_list_filters(server, cell):
    create(server, cell["IL"], "il-sy", "activities", activity_body("strike", geometry=A))
    c1 = create(server, cell["SY"], "il-sy", "activities", activity_body(geometry=B))["conflicts"][0]
    z = in_force_zone(server, cell, kind="demilitarized", geometry=FAR)
    c2 = create(server, cell["IL"], "il-sy", "activities", activity_body(geometry=FAR))["conflicts"][0]
    assert [c["id"] for c in conflicts(server, cell["RU"], "il-sy")] == [c1["id"], c2["id"]]
    assert [c["id"] for c in conflicts(server, cell["RU"], "il-sy", kind="demilitarized_breach")] == [c2["id"]]
    assert [c["id"] for c in conflicts(server, cell["RU"], "il-sy", party="SY")] == [c1["id"], c2["id"]]
    assert conflicts(server, cell["RU"], "il-sy", party="TR") == []
    assert conflicts(server, cell["RU"], "il-sy", status="resolved") == []
    assert [c["id"] for c in conflicts(server, cell["RU"], "il-sy", limit=1)] == [c1["id"]]
    problem(server.get("/v1/tracks/il-sy/conflicts?kind=bad", cell["IL"]), 422)
    problem(server.get("/v1/tracks/il-sy/conflicts?status=closed", cell["IL"]), 422)
    assert z["id"]


def test_dry_run_check_stores_nothing(server, cell):
    create(server, cell["IL"], "il-sy", "activities", activity_body(geometry=A))
    size = server.log_size()
    body = dict(activity_body("strike", geometry=B), type="activity")
    r = server.post("/v1/tracks/il-sy/check", cell["SY"], body)
    assert r.status_code == 200, r.text
    assert kinds(r.json()["conflicts"]) == [("activity_overlap", "critical")]
    c = r.json()["conflicts"][0]
    assert "id" not in c and c["parties"] == ["IL", "SY"] and c["overlap"]["geometry"]["type"] == "Polygon"
    # A zone is checked as if it were in force.
    zr = server.post("/v1/tracks/il-sy/check", cell["SY"], dict(zone_body("demilitarized", FAR), type="zone"))
    assert zr.json()["conflicts"] == []
    zr = server.post("/v1/tracks/il-sy/check", cell["SY"], dict(zone_body("demilitarized", B), type="zone"))
    assert kinds(zr.json()["conflicts"]) == [("demilitarized_breach", "critical")]
    dep = server.post("/v1/tracks/il-sy/check", cell["SY"], dict(deployment_body(point(35.85, 33.05)), type="deployment"))
    assert dep.status_code == 200 and dep.json()["conflicts"] == []
    problem(server.post("/v1/tracks/il-sy/check", cell["SY"], dict(body, type="meeting")), 422)
    problem(server.post("/v1/tracks/il-sy/check", cell["SY"], activity_body()), 400)
    problem(server.post("/v1/tracks/il-sy/check", cell["SY"], dict(body, geometry=box(35.8, 91, 35.9, 92))), 422)
    problem(server.post("/v1/tracks/tr-il/check", cell["AZ"], dict(body)), 403)
    problem(server.post("/v1/tracks/il-sy/check", cell["TR"], dict(body)), 404)
    assert server.log_size() == size
    assert conflicts(server, cell["IL"], "il-sy") == []
    assert len(server.get("/v1/tracks/il-sy/activities", cell["IL"]).json()["items"]) == 1


def test_after_a_restart_the_engine_resolves_and_opens_as_before(server, cell):
    il = create(server, cell["IL"], "il-sy", "activities", activity_body(geometry=A))
    c = create(server, cell["SY"], "il-sy", "activities", activity_body(geometry=B))["conflicts"][0]
    server.stop()
    server.start()
    # The existing conflict is matched, not duplicated ...
    r = server.call("PATCH", f"/v1/tracks/il-sy/activities/{il['id']}", cell["IL"], json_body={"description": "x"})
    assert [x["id"] for x in r.json()["conflicts"]] == [c["id"]]
    # ... and resolved when the overlap goes away.
    r = server.call("PATCH", f"/v1/tracks/il-sy/activities/{il['id']}", cell["IL"], json_body={"geometry": FAR})
    assert r.json()["conflicts"] == []
    assert server.get(f"/v1/tracks/il-sy/conflicts/{c['id']}", cell["IL"]).json()["resolution"] == "modified"
