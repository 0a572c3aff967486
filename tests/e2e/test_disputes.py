"""Disputes: open → responded → in_mediation → resolved / withdrawn, role checks, refs, escalation (api.md, Disputes)."""
from datetime import timedelta

from conftest import problem, wait_until
from test_threats import OVERSIGHT, events, parse, threat


def dispute(**over):
    body = {"against": "SY", "subject": "Shelling near Quneitra", "description": "Three rounds on 12 May"}
    body.update(over)
    return body


def act(server, token, did, verb, body=None, track="il-sy"):
    return server.post(f"/v1/tracks/{track}/disputes/{did}/{verb}", token, body or {})


def test_a_dispute_opens_with_both_deadlines(server, cell):
    r = server.post("/v1/tracks/il-sy/disputes", cell["IL"], dispute())
    assert r.status_code == 201, r.text
    d = r.json()
    assert d["status"] == "open" and d["complainant"] == "IL" and d["against"] == "SY" and d["escalated"] is False
    created = parse(d["created_at"])
    assert parse(d["respond_by"]) - created == timedelta(days=2)
    assert parse(d["resolve_by"]) - created == timedelta(days=14)
    assert [e["payload"]["id"] for e in events(server, cell["RU"], "dispute.opened")] == [d["id"]]


def test_the_full_path_to_resolution_and_who_may_take_each_step(server, cell):
    did = server.post("/v1/tracks/il-sy/disputes", cell["IL"], dispute()).json()["id"]
    size = server.log_size()
    problem(act(server, cell["IL"], did, "respond"), 403)        # only the party complained against
    problem(act(server, cell["US"], did, "respond"), 403)
    problem(act(server, cell["SY"], did, "mediate"), 403)        # principals do not mediate
    problem(act(server, cell["IL"], did, "resolve", {"outcome": "x"}), 403)   # a principal cannot resolve
    problem(act(server, cell["SY"], did, "resolve", {"outcome": "x"}), 403)
    assert server.log_size() == size

    r = act(server, cell["SY"], did, "respond", {"response": "No rounds were fired"})
    assert r.status_code == 200 and r.json()["status"] == "responded" and r.json()["version"] == 2
    problem(act(server, cell["SY"], did, "respond"), 409)
    r = act(server, cell["RU"], did, "mediate", {"note": "joint inspection"})
    assert r.status_code == 200 and r.json()["status"] == "in_mediation"
    problem(act(server, cell["US"], did, "mediate"), 409)
    problem(act(server, cell["US"], did, "resolve", {}), 400)   # outcome is required
    r = act(server, cell["US"], did, "resolve", {"outcome": "Joint inspection found no impact"})
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["status"] == "resolved" and d["outcome"] == "Joint inspection found no impact" and d["version"] == 4
    assert [h["status"] for h in d["history"]] == ["responded", "in_mediation", "resolved"]

    size = server.log_size()
    problem(act(server, cell["US"], did, "resolve", {"outcome": "again"}), 409)
    problem(act(server, cell["RU"], did, "resolve", {}), 409)
    problem(act(server, cell["IL"], did, "withdraw"), 409)
    problem(act(server, cell["RU"], did, "mediate"), 409)
    assert server.log_size() == size
    for etype in ("dispute.responded", "dispute.mediation", "dispute.resolved"):
        assert len(events(server, cell["IL"], etype, did)) == 1, etype


def test_only_the_complainant_withdraws(server, cell):
    did = server.post("/v1/tracks/il-sy/disputes", cell["IL"], dispute()).json()["id"]
    size = server.log_size()
    problem(act(server, cell["SY"], did, "withdraw"), 403)      # the party complained against cannot
    problem(act(server, cell["RU"], did, "withdraw"), 403)
    assert server.log_size() == size
    r = act(server, cell["IL"], did, "withdraw", {"reason": "settled bilaterally"})
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"
    problem(act(server, cell["IL"], did, "withdraw"), 409)
    problem(act(server, cell["SY"], did, "respond"), 409)
    assert server.get(f"/v1/tracks/il-sy/disputes?status=withdrawn", cell["US"]).json()["items"][0]["id"] == did


def test_bad_disputes_are_refused_and_change_nothing(server, cell):
    visible = server.post("/v1/tracks/il-sy/threats", cell["IL"], threat()).json()["id"]
    elsewhere = server.post("/v1/tracks/tr-il/threats", cell["IL"], threat(refer_to="TR")).json()["id"]
    size = server.log_size()
    cases = [
        (dispute(against="ZZ"), 422, "against"),
        (dispute(against="TR"), 422, "against"),     # not in the track
        (dispute(against="IL"), 422, "against"),     # oneself
        (dispute(refs=[{"type": "message", "id": "msg_NOPE"}]), 422, "refs[0]"),
        (dispute(refs=[{"type": "threat", "id": visible}, {"type": "threat", "id": elsewhere}]), 422, "refs[1]"),
        (dispute(refs=[{"type": "party", "id": "SY"}]), 422, "type"),
        (dispute(refs=["x"]), 400, "refs[0]"),
        (dispute(subject=None), 400, "subject"),
    ]
    for body, status, field in cases:
        p = problem(server.post("/v1/tracks/il-sy/disputes", cell["IL"], body), status)
        assert p["errors"][0]["field"] == field, (body, p)
    problem(server.post("/v1/tracks/il-sy/disputes", cell["RU"], dispute()), 403)   # a mediator does not complain
    problem(server.post("/v1/tracks/tr-il/disputes", cell["IL"], dispute(against="AZ")), 422)  # a host cannot answer
    assert server.log_size() == size
    r = server.post("/v1/tracks/il-sy/disputes", cell["IL"], dispute(refs=[{"type": "threat", "id": visible}]))
    assert r.status_code == 201 and r.json()["refs"] == [{"type": "threat", "id": visible}]


def test_a_host_never_sees_disputes(server, cell):
    did = server.post("/v1/tracks/tr-il/disputes", cell["TR"], dispute(against="IL")).json()["id"]
    problem(server.get("/v1/tracks/tr-il/disputes", cell["AZ"]), 403)
    problem(server.get(f"/v1/tracks/tr-il/disputes/{did}", cell["AZ"]), 404)
    problem(act(server, cell["AZ"], did, "withdraw", track="tr-il"), 404)
    assert events(server, cell["AZ"], "dispute.opened") == []


def test_missed_deadlines_escalate_once_each(server, cell):
    cell.make_track("esc", OVERSIGHT, {"dispute_response": "PT5M", "dispute_resolution": "PT10M"})
    base = "/v1/tracks/esc/disputes"
    silent = server.post(base, cell["IL"], dispute()).json()["id"]
    answered = server.post(base, cell["IL"], dispute()).json()["id"]
    withdrawn = server.post(base, cell["IL"], dispute()).json()["id"]
    assert act(server, cell["SY"], answered, "respond", track="esc").status_code == 200
    assert act(server, cell["IL"], withdrawn, "withdraw", track="esc").status_code == 200

    def escalations(did):
        return events(server, cell["US"], "dispute.escalated", did)

    server.advance("PT5M1S")   # past respond_by, not resolve_by
    first = escalations(silent)
    assert len(first) == 1 and first[0]["payload"]["escalations"][0]["missed"] == "respond_by"
    assert escalations(answered) == []
    server.advance("PT5M")     # past resolve_by
    server.advance("PT1S")     # one more sweep: nothing escalates twice
    assert [e["payload"]["escalations"][-1]["missed"] for e in escalations(silent)] == ["respond_by", "resolve_by"]
    assert [e["payload"]["escalations"][-1]["missed"] for e in escalations(answered)] == ["resolve_by"]
    assert escalations(withdrawn) == []
    d = server.get(f"{base}/{answered}", cell["IL"]).json()
    assert d["escalated"] is True and d["status"] == "responded"
    # Rule 4: the supervisor, the mediator and everyone who sees the dispute.
    for party in ("US", "RU", "IL", "SY"):
        assert len(events(server, cell[party], "dispute.escalated", answered)) == 1


def test_an_escalation_missed_while_down_fires_once_after_restart(server, cell):
    cell.make_track("down", OVERSIGHT, {"dispute_response": "PT5M"})
    d = server.post("/v1/tracks/down/disputes", cell["IL"], dispute()).json()
    server.stop()
    restarted = server.advance("PT6M")   # the deadline passes while tansiqd is down
    server.start()
    did = d["id"]
    wait_until(lambda: server.get(f"/v1/tracks/down/disputes/{did}", cell["US"]).json()["escalated"],
               "the missed deadline fires at start")
    server.advance("PT1S")   # a sweep after the first: nothing fires twice
    escalations = events(server, cell["US"], "dispute.escalated", did)
    assert len(escalations) == 1 and parse(escalations[0]["time"]) >= restarted   # fired by the restarted server
    server.stop()
    server.start()
    server.advance("PT1S")
    assert len(events(server, cell["US"], "dispute.escalated", did)) == 1


def test_list_filters_name_the_allowed_statuses(server, cell):
    for what in ("disputes", "threats"):
        body = problem(server.get(f"/v1/tracks/il-sy/{what}?status=bogus", cell["IL"]), 422)
        assert body["errors"][0]["field"] == "status" and "must be one of:" in body["errors"][0]["message"]
    assert server.get("/v1/tracks/il-sy/disputes?status=open", cell["IL"]).status_code == 200
