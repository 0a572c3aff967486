"""Activities: notification, short notice, PATCH re-check, cancel, acknowledgement, status by the clock
(api.md Activities; Precise rules 7, 8)."""

import pytest

from conftest import problem, wait_status
from test_zones import activity_body, at, box, create, events, parse, point

A = box(35.80, 33.00, 35.90, 33.10)
B = box(35.85, 33.05, 35.95, 33.15)     # overlaps A
FAR = box(36.50, 33.50, 36.60, 33.60)   # 60+ km away


def test_notified_activity_and_short_notice(server, cell):
    r = server.post("/v1/tracks/il-sy/activities", cell["IL"], activity_body(start=120, end=180))
    assert r.status_code == 201, r.text
    a = r.json()
    assert a["id"].startswith("act_") and a["status"] == "notified" and a["short_notice"] is False
    assert a["acks"] == [] and a["conflicts"] == [] and a["declared_by"] == "IL"
    assert r.headers["Location"].endswith(a["id"])
    short = create(server, cell["IL"], "il-sy", "activities", activity_body(geometry=FAR, start=10, end=20))
    assert short["short_notice"] is True          # min_notice PT1H
    cell.make_track("quick", [("IL", "principal"), ("SY", "principal")], {"min_notice": "PT5M"})
    ok = create(server, cell["IL"], "quick", "activities", activity_body(start=10, end=20))
    assert ok["short_notice"] is False
    assert [e["payload"]["id"] for e in events(server, cell["SY"], "activity.notified")] == [a["id"], short["id"], ok["id"]]


def test_two_parties_overlapping_conflict_and_a_patch_away_resolves_it(server, cell):
    il = create(server, cell["IL"], "il-sy", "activities", activity_body(geometry=A, alt=(1000, 5000)))
    sy = create(server, cell["SY"], "il-sy", "activities", activity_body("uav", geometry=B, alt=(4000, 8000)))
    assert len(sy["conflicts"]) == 1
    c = sy["conflicts"][0]
    assert c["kind"] == "activity_overlap" and c["severity"] == "warning" and c["parties"] == ["IL", "SY"]
    assert sorted(s["id"] for s in c["subjects"]) == sorted([il["id"], sy["id"]])
    assert c["overlap"]["altitude"] == {"min_m": 4000, "max_m": 5000}
    w = c["overlap"]["window"]
    assert parse(w["start"]) == max(parse(il["window"]["start"]), parse(sy["window"]["start"]))
    assert parse(w["end"]) == min(parse(il["window"]["end"]), parse(sy["window"]["end"]))
    xs = [p[0] for p in c["overlap"]["geometry"]["coordinates"][0]]
    assert min(xs) == pytest.approx(35.85) and max(xs) == pytest.approx(35.90)

    path = f"/v1/tracks/il-sy/activities/{sy['id']}"
    r = server.call("PATCH", path, cell["SY"], json_body={"geometry": FAR}, headers={"If-Match": "1"})
    assert r.status_code == 200, r.text
    assert r.json()["conflicts"] == [] and r.json()["version"] == 2
    got = server.get(f"/v1/tracks/il-sy/conflicts/{c['id']}", cell["IL"]).json()
    assert (got["status"], got["resolution"]) == ("resolved", "modified")
    # Back into the overlap: a new conflict, not the old one reopened.
    r = server.call("PATCH", path, cell["SY"], json_body={"geometry": B})
    assert len(r.json()["conflicts"]) == 1 and r.json()["conflicts"][0]["id"] != c["id"]
    assert r.json()["conflicts"][0]["key"] == c["key"]


def test_the_same_party_never_conflicts_with_itself(server, cell):
    create(server, cell["IL"], "il-sy", "activities", activity_body(geometry=A))
    assert create(server, cell["IL"], "il-sy", "activities", activity_body(geometry=B))["conflicts"] == []


def test_altitude_and_time_separation_keep_activities_apart(server, cell):
    create(server, cell["IL"], "il-sy", "activities", activity_body(geometry=A, alt=(1000, 2000), start=60, end=90))
    # 500 m above (vertical margin 300 m), and 20 min later (time margin 10 min): no conflict.
    assert create(server, cell["SY"], "il-sy", "activities",
                  activity_body(geometry=A, alt=(2500, 3000), start=60, end=90))["conflicts"] == []
    assert create(server, cell["SY"], "il-sy", "activities",
                  activity_body(geometry=A, alt=(1000, 2000), start=110, end=130))["conflicts"] == []
    # 200 m above and 5 min later: within both margins.
    c = create(server, cell["SY"], "il-sy", "activities",
               activity_body(geometry=A, alt=(2200, 3000), start=95, end=130))["conflicts"]
    assert [x["kind"] for x in c] == ["activity_overlap"]
    assert c[0]["overlap"]["altitude"] == {"min_m": 2000, "max_m": 2200}


def test_cancel_resolves_the_conflicts_and_is_final(server, cell):
    il = create(server, cell["IL"], "il-sy", "activities", activity_body(geometry=A))
    sy = create(server, cell["SY"], "il-sy", "activities", activity_body(geometry=B))
    cid = sy["conflicts"][0]["id"]
    path = f"/v1/tracks/il-sy/activities/{il['id']}"
    size = server.log_size()
    problem(server.post(path + "/cancel", cell["SY"]), 403)
    problem(server.post(path + "/cancel", cell["RU"]), 403)
    problem(server.post(path + "/cancel", cell["TR"]), 404)
    problem(server.post(path + "/cancel", cell["IL"], headers={"If-Match": "9"}), 409)
    assert server.log_size() == size
    r = server.post(path + "/cancel", cell["IL"])
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled" and r.json()["conflicts"] == []
    got = server.get(f"/v1/tracks/il-sy/conflicts/{cid}", cell["SY"]).json()
    assert (got["status"], got["resolution"]) == ("resolved", "cancelled")
    size = server.log_size()
    problem(server.post(path + "/cancel", cell["IL"]), 409)
    problem(server.call("PATCH", path, cell["IL"], json_body={"description": "x"}), 409)
    assert server.log_size() == size
    # A cancelled activity no longer conflicts with anything new.
    assert create(server, cell["SY"], "il-sy", "activities", activity_body(geometry=A))["conflicts"] == []


def test_another_principal_acknowledges_once(server, cell):
    a = create(server, cell["IL"], "il-sy", "activities", activity_body())
    path = f"/v1/tracks/il-sy/activities/{a['id']}/acknowledge"
    size = server.log_size()
    problem(server.post(path, cell["IL"]), 403)     # the notifying party
    problem(server.post(path, cell["RU"]), 403)     # mediator
    problem(server.post(path, cell["AZ"]), 404)
    assert server.log_size() == size
    r = server.post(path, cell["SY"])
    assert r.status_code == 200, r.text
    assert r.json()["acks"] == ["SY"] and r.json()["version"] == 2
    problem(server.post(path, cell["SY"]), 409)
    assert len(events(server, cell["IL"], "activity.acknowledged", a["id"])) == 1


def test_status_follows_the_clock_and_a_completed_activity_leaves_the_engine(server, cell):
    il = create(server, cell["IL"], "il-sy", "activities", activity_body(geometry=A, start=0.03, end=0.06))
    sy = create(server, cell["SY"], "il-sy", "activities", activity_body(geometry=B, start=0.03, end=60))
    cid = sy["conflicts"][0]["id"]
    path = f"/v1/tracks/il-sy/activities/{il['id']}"
    assert wait_status(server, cell["IL"], path, "active")["status"] == "active"
    done = wait_status(server, cell["IL"], path, "completed")
    assert done["status"] == "completed" and "completed_at" in done
    assert [e["payload"]["status"] for e in events(server, cell["SY"], "activity.active", il["id"])] == ["active"]
    assert len(events(server, cell["SY"], "activity.completed", il["id"])) == 1
    # Its conflict stays as it was.
    assert server.get(f"/v1/tracks/il-sy/conflicts/{cid}", cell["IL"]).json()["status"] == "open"
    # Within the 10-minute time margin of the completed IL activity, but it is gone from the engine.
    assert create(server, cell["SY"], "il-sy", "activities",
                  activity_body("uav", geometry=A, start=1, end=5))["conflicts"] == []
    problem(server.post(path + "/cancel", cell["IL"]), 409)
    # Modifying the other activity leaves the conflict with the completed one alone.
    r = server.call("PATCH", f"/v1/tracks/il-sy/activities/{sy['id']}", cell["SY"], json_body={"description": "x"})
    assert r.status_code == 200, r.text
    assert server.get(f"/v1/tracks/il-sy/conflicts/{cid}", cell["IL"]).json()["status"] == "open"


def test_a_completed_activity_does_not_conflict_within_the_time_margin(server, cell):
    il = create(server, cell["IL"], "il-sy", "activities", activity_body(geometry=A, start=1, end=2))
    probe = dict(activity_body(geometry=A), type="activity")
    probe["window"] = {"start": at(2, seconds=4), "end": at(30)}
    # While the IL activity is indexed, a start 4 s after its end is within the 10-minute margin.
    assert len(server.post("/v1/tracks/il-sy/check", cell["SY"], probe).json()["conflicts"]) == 1
    server.advance("PT2M1S")   # past its end: completed when advance answers
    assert server.get(f"/v1/tracks/il-sy/activities/{il['id']}", cell["IL"]).json()["status"] == "completed"
    assert server.post("/v1/tracks/il-sy/check", cell["SY"], probe).json()["conflicts"] == []


def test_patch_changes_only_the_allowed_fields(server, cell):
    a = create(server, cell["IL"], "il-sy", "activities",
               activity_body(geometry={"type": "LineString", "coordinates": [[35.8, 33.0], [35.9, 33.1]]}, width_m=2000))
    path = f"/v1/tracks/il-sy/activities/{a['id']}"
    size = server.log_size()
    assert problem(server.call("PATCH", path, cell["IL"], json_body={"kind": "strike"}), 422)["errors"][0]["field"] == "kind"
    problem(server.call("PATCH", path, cell["IL"], json_body={"geometry": point(35.8, 33.0)}), 422)   # radius_m needed
    problem(server.call("PATCH", path, cell["IL"], json_body={"window": {"start": at(60), "end": at(30)}}), 422)
    problem(server.call("PATCH", path, cell["SY"], json_body={"description": "x"}), 403)
    assert server.log_size() == size
    r = server.call("PATCH", path, cell["IL"], json_body={"geometry": point(35.8, 33.0), "radius_m": 500,
                                                            "description": "orbit", "window": {"start": at(5), "end": at(50)}})
    assert r.status_code == 200, r.text
    b = r.json()
    assert b["geometry"]["type"] == "Point" and b["radius_m"] == 500 and "width_m" not in b
    assert b["description"] == "orbit" and b["short_notice"] is True and b["kind"] == "air_sortie"


@pytest.mark.parametrize("over,status,field", [
    ({"geometry": {"type": "LineString", "coordinates": [[35.8, 33.0], [35.9, 33.1]]}}, 422, "width_m"),
    ({"geometry": point(35.8, 33.0)}, 422, "radius_m"),
    ({"window": {"start": "2030-01-02T00:00:00Z", "end": "2030-01-01T00:00:00Z"}}, 422, "window.end"),
    ({"window": {"start": "2020-01-01T00:00:00Z", "end": "2020-01-01T01:00:00Z"}}, 422, "window.end"),
    ({"kind": "picnic"}, 422, "kind"),
    ({"altitude": {"min_m": 5000, "max_m": 1000}}, 422, "altitude.max_m"),
    ({"altitude": {"min_m": -600, "max_m": 1000}}, 422, "altitude.min_m"),
    ({"altitude": None}, 400, "altitude"),
    ({"window": {"start": "soon", "end": "2030-01-01T00:00:00Z"}}, 422, "window.start"),
    ({"radius_m": 0, "geometry": point(35.8, 33.0)}, 422, "radius_m"),
])
def test_bad_activity_input_is_refused(server, cell, over, status, field):
    size = server.log_size()
    p = problem(server.post("/v1/tracks/il-sy/activities", cell["IL"], activity_body(**over)), status)
    assert p["errors"][0]["field"] == field, p
    assert server.log_size() == size


def test_list_filters_and_who_may_read(server, cell):
    a = create(server, cell["IL"], "tr-il", "activities", activity_body(geometry=A, start=60, end=120))
    b = create(server, cell["TR"], "tr-il", "activities", activity_body("naval", geometry=FAR, start=200, end=300))
    server.post(f"/v1/tracks/tr-il/activities/{b['id']}/cancel", cell["TR"])

    def ids(q):
        r = server.get(f"/v1/tracks/tr-il/activities?{q}", cell["IL"])
        assert r.status_code == 200, r.text
        return [x["id"] for x in r.json()["items"]]

    assert ids("") == [a["id"], b["id"]]
    assert ids("status=notified") == [a["id"]] and ids("status=cancelled") == [b["id"]]
    assert ids(f"at={at(90)}") == [a["id"]] and ids(f"at={at(250)}") == [b["id"]] and ids(f"at={at(0)}") == []
    assert ids("bbox=36.4,33.4,36.7,33.7") == [b["id"]]
    assert ids("kind=naval") == [b["id"]]
    problem(server.get("/v1/tracks/tr-il/activities?status=done", cell["IL"]), 422)
    problem(server.get("/v1/tracks/tr-il/activities", cell["AZ"]), 403)          # host
    problem(server.get(f"/v1/tracks/tr-il/activities/{a['id']}", cell["AZ"]), 404)
    problem(server.get(f"/v1/tracks/tr-il/activities/{a['id']}", cell["SY"]), 404)  # not in the track
    assert events(server, cell["AZ"], "activity.notified") == []
