"""Zones: declaration, acceptance by every principal, rejection, withdrawal, filters, bad input
(api.md Zones; Precise rules 7-9). Also holds the helpers the other conflict-engine tests import."""
from datetime import datetime, timedelta, timezone

import pytest

from conftest import problem


# ---- helpers shared with test_deployments/activities/conflicts/export ----

def rfc3339(dt):
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def at(minutes=0, seconds=0):
    return rfc3339(datetime.now(timezone.utc) + timedelta(minutes=minutes, seconds=seconds))


def parse(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def box(minx, miny, maxx, maxy):
    return {"type": "Polygon", "coordinates": [[[minx, miny], [maxx, miny], [maxx, maxy], [minx, maxy], [minx, miny]]]}


def point(lon, lat):
    return {"type": "Point", "coordinates": [lon, lat]}


def zone_body(kind="influence", geometry=None, **over):
    body = {"kind": kind, "name": f"{kind} zone", "geometry": geometry or box(35.8, 33.0, 35.9, 33.1)}
    body.update(over)
    return body


def activity_body(kind="air_sortie", geometry=None, start=60, end=120, alt=(1000, 5000), **over):
    body = {"kind": kind, "geometry": geometry or box(35.8, 33.0, 35.9, 33.1),
            "altitude": {"min_m": alt[0], "max_m": alt[1]}, "window": {"start": at(start), "end": at(end)}}
    body.update(over)
    return body


def deployment_body(geometry=None, **strength):
    return {"unit": "brigade", "geometry": geometry or point(35.85, 33.05), "radius_m": 2000,
            "strength": {"troops": 100, "tanks": 0, "artillery": 0, "air_defense": 0, **strength}}


def create(server, token, track, what, body, status=201):
    r = server.post(f"/v1/tracks/{track}/{what}", token, body)
    assert r.status_code == status, r.text
    return r.json()


def in_force_zone(server, cell, track="il-sy", by="IL", other="SY", **over):
    """A zone that needs acceptance, declared by `by` and accepted by `other`."""
    z = create(server, cell[by], track, "zones", zone_body(**over))
    if z["status"] == "proposed":
        r = server.post(f"/v1/tracks/{track}/zones/{z['id']}/accept", cell[other])
        assert r.status_code == 200, r.text
        z = r.json()
    assert z["status"] == "in_force", z
    return z


def events(server, token, etype, obj_id=None):
    r = server.get("/v1/log/entries?limit=1000", token)
    assert r.status_code == 200, r.text
    return [e["event"] for e in r.json()["items"]
            if e["event"]["type"] == etype and (obj_id is None or e["event"]["payload"]["id"] == obj_id)]


def conflicts(server, token, track, **q):
    query = "&".join(f"{k}={v}" for k, v in q.items())
    r = server.get(f"/v1/tracks/{track}/conflicts?{query}", token)
    assert r.status_code == 200, r.text
    return r.json()["items"]


# ---- zones ----

def test_influence_zone_is_in_force_at_once_owned_by_the_declaring_party(server, cell):
    r = server.post("/v1/tracks/tr-il/zones", cell["TR"], zone_body("influence", box(37.9, 34.3, 38.6, 34.85)))
    assert r.status_code == 201, r.text
    z = r.json()
    assert z["id"].startswith("zon_") and z["status"] == "in_force" and z["owner"] == "TR"
    assert z["declared_by"] == "TR" and z["accepted_by"] == ["TR"] and z["conflicts"] == []
    assert z["version"] == 1 and z["created_by"]["party"] == "TR"
    assert r.headers["Location"].endswith(f"/v1/tracks/tr-il/zones/{z['id']}")
    got = server.get(f"/v1/tracks/tr-il/zones/{z['id']}", cell["IL"]).json()
    assert got["geometry"] == z["geometry"] and got["kind"] == "influence"
    assert [e["payload"]["id"] for e in events(server, cell["IL"], "zone.declared")] == [z["id"]]


def test_demilitarized_zone_is_proposed_until_every_principal_accepts(server, cell):
    cell.make_track("golan", [("IL", "principal"), ("SY", "principal"), ("US", "observer"), ("RU", "mediator")])
    z = create(server, cell["IL"], "golan", "zones", zone_body("demilitarized"))
    assert z["status"] == "proposed" and z["accepted_by"] == ["IL"]
    path = f"/v1/tracks/golan/zones/{z['id']}"
    # Observers see zones in force only.
    problem(server.get(path, cell["US"]), 404)
    assert server.get("/v1/tracks/golan/zones", cell["US"]).json()["items"] == []
    assert events(server, cell["US"], "zone.declared") == []

    size = server.log_size()
    problem(server.post(path + "/accept", cell["IL"]), 409)     # already accepted (declared it)
    problem(server.post(path + "/accept", cell["RU"]), 403)     # a mediator accepts nothing
    problem(server.post(path + "/accept", cell["US"]), 404)     # invisible to the observer
    problem(server.post(path + "/accept", cell["SY"], headers={"If-Match": "7"}), 409)
    assert server.log_size() == size

    r = server.post(path + "/accept", cell["SY"], headers={"If-Match": "1"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "in_force" and r.json()["accepted_by"] == ["IL", "SY"] and r.json()["version"] == 2
    assert server.get(path, cell["US"]).json()["status"] == "in_force"
    assert [e["payload"]["status"] for e in events(server, cell["US"], "zone.accepted")] == ["in_force"]
    problem(server.post(path + "/accept", cell["SY"]), 409)


def test_a_principal_rejects_a_proposal_with_a_reason(server, cell):
    z = create(server, cell["IL"], "il-sy", "zones", zone_body("limitation", caps={"tanks": 10}))
    path = f"/v1/tracks/il-sy/zones/{z['id']}/reject"
    size = server.log_size()
    problem(server.post(path, cell["SY"], {}), 400)                     # reason is required
    problem(server.post(path, cell["IL"], {"reason": "mine"}), 403)     # the declarer withdraws instead
    assert server.log_size() == size
    r = server.post(path, cell["SY"], {"reason": "not agreed"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "rejected" and r.json()["reason"] == "not agreed" and r.json()["rejected_by"] == "SY"
    problem(server.post(path, cell["SY"], {"reason": "again"}), 409)
    problem(server.post(f"/v1/tracks/il-sy/zones/{z['id']}/accept", cell["SY"]), 409)


def test_only_the_declaring_party_withdraws_and_withdrawn_is_final(server, cell):
    z = create(server, cell["IL"], "il-sy", "zones", zone_body("protected_site"))
    path = f"/v1/tracks/il-sy/zones/{z['id']}"
    size = server.log_size()
    problem(server.call("DELETE", path, cell["SY"]), 403)
    problem(server.call("DELETE", path, cell["RU"]), 403)
    problem(server.call("DELETE", path, cell["TR"]), 404)   # not in the track
    assert server.log_size() == size
    r = server.call("DELETE", path, cell["IL"])
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "withdrawn"
    problem(server.call("DELETE", path, cell["IL"]), 409)
    assert server.get(path, cell["SY"]).json()["status"] == "withdrawn"   # nothing is erased
    assert len(events(server, cell["SY"], "zone.withdrawn", z["id"])) == 1


def test_only_principals_declare_zones(server, cell):
    size = server.log_size()
    for party in ("RU", "US"):
        problem(server.post("/v1/tracks/il-sy/zones", cell[party], zone_body()), 403)
    problem(server.post("/v1/tracks/tr-il/zones", cell["AZ"], zone_body()), 403)    # host
    problem(server.post("/v1/tracks/il-sy/zones", cell["TR"], zone_body()), 404)    # outsider
    problem(server.post("/v1/tracks/il-sy/zones", cell.admin, zone_body()), 403)    # cell admin
    assert server.log_size() == size


def test_owner_must_be_a_principal_of_the_track(server, cell):
    size = server.log_size()
    assert problem(server.post("/v1/tracks/il-sy/zones", cell["IL"], zone_body(owner="TR")), 422)["errors"][0]["field"] == "owner"
    problem(server.post("/v1/tracks/il-sy/zones", cell["IL"], zone_body(owner="RU")), 422)   # mediator
    assert server.log_size() == size
    z = create(server, cell["IL"], "il-sy", "zones", zone_body(owner="SY"))
    assert z["owner"] == "SY" and z["declared_by"] == "IL"


def test_list_filters_by_kind_status_time_and_bbox(server, cell):
    a = create(server, cell["IL"], "il-sy", "zones", zone_body("influence", box(35.0, 33.0, 35.1, 33.1),
                                                           valid={"from": at(60), "until": at(120)}))
    b = create(server, cell["IL"], "il-sy", "zones", zone_body("demilitarized", box(36.0, 33.0, 36.1, 33.1)))
    c = create(server, cell["SY"], "il-sy", "zones", zone_body("base", box(37.0, 34.0, 37.1, 34.1)))

    def ids(q):
        r = server.get(f"/v1/tracks/il-sy/zones?{q}", cell["US"])
        assert r.status_code == 200, r.text
        return [z["id"] for z in r.json()["items"]]

    assert ids("") == [a["id"], b["id"], c["id"]]
    assert ids("kind=demilitarized") == [b["id"]]
    assert ids("status=in_force") == [a["id"], c["id"]]
    assert ids("status=proposed") == [b["id"]]
    assert ids(f"at={at(90)}") == [a["id"], b["id"], c["id"]]
    assert ids(f"at={at(0)}") == [b["id"], c["id"]]
    assert ids("bbox=35.95,32.9,37.05,33.5") == [b["id"]]
    assert ids("bbox=35.05,33.05,37.05,34.05") == [a["id"], b["id"], c["id"]]
    assert ids("limit=2") == [a["id"], b["id"]]
    for q, field in (("bbox=1,2,3", "bbox"), ("bbox=10,0,5,1", "bbox"), ("bbox=0,-91,1,1", "bbox"),
                     ("at=yesterday", "at"), ("status=gone", "status"), ("kind=castle", "kind")):
        assert problem(server.get(f"/v1/tracks/il-sy/zones?{q}", cell["IL"]), 422)["errors"][0]["field"] == field


BOWTIE = {"type": "Polygon", "coordinates": [[[35.8, 33.0], [35.9, 33.1], [35.9, 33.0], [35.8, 33.1], [35.8, 33.0]]]}
UNCLOSED = {"type": "Polygon", "coordinates": [[[35.8, 33.0], [35.9, 33.0], [35.9, 33.1], [35.8, 33.1]]]}
LAT91 = box(35.8, 33.0, 35.9, 91.0)


def many_vertices(n):
    import math
    ring = [[35.8 + 0.1 * math.cos(2 * math.pi * i / n), 33.0 + 0.1 * math.sin(2 * math.pi * i / n)] for i in range(n)]
    return {"type": "Polygon", "coordinates": [ring + [ring[0]]]}


@pytest.mark.parametrize("body,status,field", [
    (zone_body(geometry=BOWTIE), 422, "geometry"),
    (zone_body(geometry=UNCLOSED), 422, "geometry"),
    (zone_body(geometry=LAT91), 422, "geometry"),
    (zone_body(geometry=many_vertices(10000)), 422, "geometry"),      # 10,001 positions with the closing one
    (zone_body(kind="castle"), 422, "kind"),
    (zone_body(geometry=point(35.8, 33.0)), 422, "geometry"),
    (zone_body(valid={"from": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"}), 422, "valid.until"),
    (zone_body(altitude={"min_m": 0, "max_m": 40000}), 422, "altitude.max_m"),
    (zone_body("influence", caps={"tanks": 1}), 422, "caps"),
    ({"kind": "influence", "name": "no geometry"}, 400, "geometry"),
    (zone_body(name=7), 400, "name"),
])
def test_bad_zone_input_is_refused_and_changes_nothing(server, cell, body, status, field):
    size = server.log_size()
    p = problem(server.post("/v1/tracks/il-sy/zones", cell["IL"], body), status)
    assert p["errors"][0]["field"].startswith(field), p
    assert server.log_size() == size
    assert server.get("/v1/tracks/il-sy/zones", cell["IL"]).json()["items"] == []


def test_ten_thousand_vertices_are_accepted(server, cell):
    z = create(server, cell["IL"], "il-sy", "zones", zone_body(geometry=many_vertices(9999)))
    assert len(z["geometry"]["coordinates"][0]) == 10000


def test_times_are_returned_in_utc(server, cell):
    z = create(server, cell["IL"], "il-sy", "zones",
               zone_body(valid={"from": "2030-01-01T03:00:00+03:00", "until": "2030-01-02T00:00:00Z"}))
    assert z["valid"] == {"from": "2030-01-01T00:00:00Z", "until": "2030-01-02T00:00:00Z"}
