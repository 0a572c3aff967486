"""Threat reports: referral, responses by the referred party only, lapse at the deadline (api.md, Threat reports)."""
from datetime import datetime, timedelta, timezone

from conftest import problem, wait_status

POINT = {"type": "Point", "coordinates": [35.82, 33.13]}
OVERSIGHT = [("IL", "principal"), ("SY", "principal"), ("RU", "mediator"), ("US", "supervisor")]


def rfc3339(dt):
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def threat(**over):
    body = {"category": "armed_group", "geometry": POINT, "observed_at": rfc3339(datetime.now(timezone.utc)),
            "description": "Technicals staging west of Quneitra", "confidence": "medium", "refer_to": "SY"}
    body.update(over)
    return body


def events(server, token, etype, obj_id=None):
    r = server.get("/v1/log/entries?limit=1000", token)
    assert r.status_code == 200, r.text
    return [e["event"] for e in r.json()["items"]
            if e["event"]["type"] == etype and (obj_id is None or e["event"]["payload"]["id"] == obj_id)]


def test_report_is_referred_with_the_track_default_deadline(server, cell):
    before = datetime.now(timezone.utc)
    r = server.post("/v1/tracks/il-sy/threats", cell["IL"], threat())
    assert r.status_code == 201, r.text
    t = r.json()
    assert t["status"] == "referred" and t["refer_to"] == "SY" and t["reported_by"] == "IL"
    assert t["geometry"]["type"] == "Point" and t["confidence"] == "medium" and t["version"] == 1
    due = parse(t["respond_by"]) - before
    assert timedelta(hours=2) - timedelta(seconds=5) < due < timedelta(hours=2) + timedelta(seconds=5)
    assert server.get(f"/v1/tracks/il-sy/threats/{t['id']}", cell["RU"]).json()["id"] == t["id"]
    assert [e["payload"]["id"] for e in events(server, cell["SY"], "threat.reported")] == [t["id"]]


def test_only_the_referred_party_responds_and_a_closing_answer_is_final(server, cell):
    t = server.post("/v1/tracks/il-sy/threats", cell["IL"], threat()).json()
    path = f"/v1/tracks/il-sy/threats/{t['id']}/respond"
    size = server.log_size()
    for party in ("IL", "RU", "US"):
        problem(server.post(path, cell[party], {"action": "acknowledged"}), 403)
    assert server.log_size() == size

    r = server.post(path, cell["SY"], {"action": "acknowledged", "note": "units tasked"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "acknowledged" and r.json()["version"] == 2
    problem(server.post(path, cell["SY"], {"action": "acknowledged"}), 409)

    r = server.post(path, cell["SY"], {"action": "neutralized"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "neutralized" and "closed_at" in body
    assert [x["action"] for x in body["responses"]] == ["acknowledged", "neutralized"]
    assert body["responses"][0]["note"] == "units tasked" and body["responses"][1]["party"] == "SY"

    size = server.log_size()
    for action in ("neutralized", "unable", "acknowledged"):
        problem(server.post(path, cell["SY"], {"action": action}), 409)
    problem(server.post(path, cell["SY"], {}), 409)
    assert server.log_size() == size
    assert len(events(server, cell["IL"], "threat.responded", t["id"])) == 2


def test_unable_and_disputed_also_close(server, cell):
    for action in ("unable", "disputed"):
        t = server.post("/v1/tracks/il-sy/threats", cell["IL"], threat()).json()
        r = server.post(f"/v1/tracks/il-sy/threats/{t['id']}/respond", cell["SY"], {"action": action})
        assert r.status_code == 200 and r.json()["status"] == action
        problem(server.post(f"/v1/tracks/il-sy/threats/{t['id']}/respond", cell["SY"], {"action": "neutralized"}), 409)


def test_bad_reports_are_refused_and_change_nothing(server, cell):
    size = server.log_size()
    past = rfc3339(datetime.now(timezone.utc) - timedelta(minutes=1))
    cases = [
        (threat(refer_to="ZZ"), 422, "refer_to"),          # no such party
        (threat(refer_to="TR"), 422, "refer_to"),          # a party, but not in the track
        (threat(refer_to="IL"), 422, "refer_to"),          # the reporter itself
        (threat(respond_by=past), 422, "respond_by"),
        (threat(geometry={"type": "Point", "coordinates": [35.8, 95.0]}), 422, "geometry"),
        (threat(geometry={"type": "LineString", "coordinates": [[35, 33], [36, 33]]}), 422, "geometry"),
        (threat(geometry={"type": "Polygon", "coordinates": [[[35, 33], [36, 33], [36, 34]]]}), 422, "geometry"),
        (threat(confidence="certain"), 422, "confidence"),
        (threat(category=None), 400, "category"),
        (threat(observed_at="yesterday"), 422, "observed_at"),
    ]
    for body, status, field in cases:
        p = problem(server.post("/v1/tracks/il-sy/threats", cell["IL"], body), status)
        assert p["errors"][0]["field"].startswith(field), (body, p)
    # Only principals report threats.
    problem(server.post("/v1/tracks/il-sy/threats", cell["US"], threat()), 403)
    assert server.log_size() == size
    assert server.get("/v1/tracks/il-sy/threats", cell["IL"]).json()["items"] == []


def test_a_host_never_sees_threats(server, cell):
    t = server.post("/v1/tracks/tr-il/threats", cell["IL"], threat(refer_to="TR")).json()
    size = server.log_size()
    p = problem(server.get("/v1/tracks/tr-il/threats", cell["AZ"]), 403)
    assert "host" in p["detail"]
    problem(server.get(f"/v1/tracks/tr-il/threats/{t['id']}", cell["AZ"]), 404)
    problem(server.post(f"/v1/tracks/tr-il/threats/{t['id']}/respond", cell["AZ"], {"action": "unable"}), 404)
    problem(server.post("/v1/tracks/tr-il/threats", cell["AZ"], threat(refer_to="TR")), 403)
    problem(server.post("/v1/tracks/tr-il/threats", cell["IL"], threat(refer_to="AZ")), 422)
    # A party outside the track does not learn that the track exists.
    problem(server.get(f"/v1/tracks/tr-il/threats/{t['id']}", cell["SY"]), 404)
    assert server.log_size() == size
    assert events(server, cell["AZ"], "threat.reported") == []
    assert [x["id"] for x in server.get("/v1/tracks/tr-il/threats", cell["TR"]).json()["items"]] == [t["id"]]


def test_open_threats_lapse_once_at_the_deadline(server, cell):
    cell.make_track("lapse", OVERSIGHT, {"threat_response": "PT5M"})
    base = "/v1/tracks/lapse/threats"
    quiet = server.post(base, cell["IL"], threat()).json()
    acked = server.post(base, cell["IL"], threat()).json()
    done = server.post(base, cell["IL"], threat()).json()
    assert server.post(f"{base}/{acked['id']}/respond", cell["SY"], {"action": "acknowledged"}).status_code == 200
    assert server.post(f"{base}/{done['id']}/respond", cell["SY"], {"action": "neutralized"}).status_code == 200

    server.advance("PT4M")
    assert server.get(f"{base}/{quiet['id']}", cell["IL"]).json()["status"] == "referred"
    server.advance("PT1M1S")   # past respond_by: the lapses are committed when this answers
    assert server.get(f"{base}/{quiet['id']}", cell["IL"]).json()["status"] == "lapsed"
    assert server.get(f"{base}/{acked['id']}", cell["IL"]).json()["status"] == "lapsed"
    server.advance("PT1S")   # one more sweep: nothing lapses twice
    assert server.get(f"{base}/{done['id']}", cell["IL"]).json()["status"] == "neutralized"
    # Reporter, mediator and supervisor each see exactly one lapse per open threat.
    for party in ("IL", "RU", "US"):
        assert sorted(e["payload"]["id"] for e in events(server, cell[party], "threat.lapsed")) == \
            sorted([quiet["id"], acked["id"]])
    lapsed = events(server, cell["US"], "threat.lapsed", quiet["id"])[0]
    assert lapsed["actor"]["party"] is None and lapsed["payload"]["status"] == "lapsed"
    size = server.log_size()
    problem(server.post(f"{base}/{quiet['id']}/respond", cell["SY"], {"action": "neutralized"}), 409)
    assert server.log_size() == size
    assert [t["id"] for t in server.get(f"{base}?status=lapsed", cell["IL"]).json()["items"]] == \
        sorted([quiet["id"], acked["id"]])


def test_a_deadline_missed_while_the_server_was_down_fires_once_at_start(server, cell):
    cell.make_track("down", OVERSIGHT)
    due = rfc3339(server.now() + timedelta(minutes=5))
    t = server.post("/v1/tracks/down/threats", cell["IL"], threat(respond_by=due)).json()
    assert t["respond_by"] == due
    server.stop()
    restarted = server.advance("PT6M")   # the deadline passes while tansiqd is down
    server.start()
    body = wait_status(server, cell["US"], f"/v1/tracks/down/threats/{t['id']}", "lapsed")
    assert body["status"] == "lapsed"
    server.advance("PT1S")   # a sweep after the first: nothing fires twice
    lapses = events(server, cell["US"], "threat.lapsed", t["id"])
    assert len(lapses) == 1 and parse(lapses[0]["time"]) >= restarted   # fired by the restarted server
    server.stop()
    server.start()
    server.advance("PT1S")
    assert len(events(server, cell["RU"], "threat.lapsed", t["id"])) == 1
