"""Observers write nothing and see what they saw change (issue 17, "Observers"; architecture.md,
Who sees what): an observer cannot host a series nor record minutes, and an event's audience is
everyone who saw the object before the change or sees it after (zone.withdrawn reaches observers)."""
from datetime import UTC, datetime, timedelta

from conftest import problem
from test_events import SSE, entries
from test_meetings import basic, rfc3339, series
from test_zones import zone_body


def obs_track(cell, tid="obs"):
    cell.make_track(tid, [("IL", "principal"), ("SY", "principal"), ("RU", "mediator"), ("US", "observer")])


def test_an_observer_cannot_host_a_series(server, cell):
    obs_track(cell)
    size = server.log_size()
    p = problem(server.post("/v1/tracks/obs/meetings/series", cell["IL"], series(host="US")), 422)
    assert p["errors"][0]["field"] == "host" and "US" in p["errors"][0]["message"]
    assert server.log_size() == size
    assert server.get("/v1/tracks/obs/meetings/series", cell["IL"]).json()["items"] == []


def test_a_host_that_became_an_observer_records_no_minutes(server, cell):
    obs_track(cell)
    start = (datetime.now(UTC) - timedelta(days=2)).replace(hour=8, minute=0, second=0, microsecond=0)
    r = server.post("/v1/tracks/obs/meetings/series", cell["IL"],
                    series(host="SY", start=rfc3339(start), rrule="FREQ=DAILY"))
    assert r.status_code == 201, r.text
    held = f"{r.json()['id']}:{basic(start + timedelta(days=1))}"
    # SY stops being a principal: now an observer, it still hosts the series on paper.
    members = [{"party": "IL", "role": "principal"}, {"party": "RU", "role": "mediator"},
               {"party": "US", "role": "observer"}, {"party": "SY", "role": "observer"}]
    r = server.call("PATCH", "/v1/tracks/obs", server.admin, json_body={"members": members})
    assert r.status_code == 200, r.text
    size = server.log_size()
    body = {"text": "x", "actions": [{"owner": "IL", "text": "act", "due": rfc3339(start + timedelta(days=9))}]}
    problem(server.post(f"/v1/tracks/obs/meetings/{held}/minutes", cell["SY"], body), 403)
    assert server.log_size() == size
    # A principal still may.
    assert server.post(f"/v1/tracks/obs/meetings/{held}/minutes", cell["IL"], body).status_code == 201


def test_observers_see_a_zone_declared_and_withdrawn(server, cell):
    obs_track(cell)
    before = server.log_size()
    us = SSE(server, "/v1/tracks/obs/events", cell["US"])
    r = server.post("/v1/tracks/obs/zones", cell["IL"], zone_body("base"))
    assert r.status_code == 201 and r.json()["status"] == "in_force", r.text
    zid = r.json()["id"]
    assert server.get(f"/v1/tracks/obs/zones/{zid}", cell["US"]).status_code == 200
    r = server.call("DELETE", f"/v1/tracks/obs/zones/{zid}", cell["IL"])
    assert r.status_code == 200 and r.json()["status"] == "withdrawn", r.text

    got = us.until(lambda e: e["type"] == "zone.withdrawn")
    us.close()
    assert [(e["type"], e["json"]["payload"]["id"]) for e in got] == [("zone.declared", zid), ("zone.withdrawn", zid)]
    seen = [(e["event"]["type"], e["event"]["payload"]["status"]) for e in entries(server, cell["US"], before)
            if e["event"]["type"].startswith("zone.")]
    assert seen == [("zone.declared", "in_force"), ("zone.withdrawn", "withdrawn")]
    # The withdrawn zone itself is no longer shown to the observer.
    problem(server.get(f"/v1/tracks/obs/zones/{zid}", cell["US"]), 404)


def test_observers_never_see_a_zone_that_was_never_in_force(server, cell):
    obs_track(cell)
    before = server.log_size()
    r = server.post("/v1/tracks/obs/zones", cell["IL"], zone_body("demilitarized"))
    assert r.status_code == 201 and r.json()["status"] == "proposed", r.text
    zid = r.json()["id"]
    assert server.call("DELETE", f"/v1/tracks/obs/zones/{zid}", cell["IL"]).status_code == 200
    assert [e for e in entries(server, cell["US"], before) if e["event"]["type"].startswith("zone.")] == []
    assert len([e for e in entries(server, cell["SY"], before) if e["event"]["type"].startswith("zone.")]) == 2
