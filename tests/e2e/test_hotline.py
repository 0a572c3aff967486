"""The hotline (api.md, Hotline; Precise rules 4, 7, 8, 9): messages, seq, acks, escalation."""
import json
import threading
from datetime import datetime

from conftest import problem, wait_until
from test_events import SSE, entries, send

MIXED = ("English: hold fire. "
         "العربية: وقف إطلاق النار فوراً. "
         "עברית: הפסקת אש מיידית, בְּבַקָּשָׁה. "
         "Русский: немедленное прекращение огня. "
         "Türkçe: İstanbul'da ılık, ğüşöç ĞÜŞİÖÇ. "
         "emoji: 🚁✈️🇹🇷 👨‍👩‍👧 "
         "marks: \u200f\u200e café cafe\u0301 ﷺ\n"
         "second line\ttab")


def parse_time(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def fast_track(cell, tid, members, **deadlines):
    settings = {"ack_deadline": deadlines} if deadlines else None
    cell.make_track(tid, members, settings)


def post_raw(server, token, track, raw):
    return server.call("POST", f"/v1/tracks/{track}/messages", token, data=raw,
                       headers={"Content-Type": "application/json"})


def test_seq_is_total_and_gap_free_under_eight_concurrent_senders(server, cell):
    senders = ["IL", "SY", "US", "RU"] * 2
    results = [[] for _ in senders]
    errors = []

    def run(k):
        try:
            for i in range(10):
                m = send(server, cell[senders[k]], "il-sy", "all", subject=f"t{k} #{i}")
                results[k].append(m["seq"])
        except AssertionError as e:  # pragma: no cover - reported below
            errors.append(str(e))

    threads = [threading.Thread(target=run, args=(k,)) for k in range(len(senders))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    seqs = sorted(s for r in results for s in r)
    assert seqs == list(range(1, 81)), "every seq from 1 to 80 exactly once"
    for r in results:
        assert r == sorted(r), "each sender's messages are ordered as it sent them"
    listed, after = [], 0
    while True:
        page = server.get(f"/v1/tracks/il-sy/messages?after_seq={after}&limit=30", cell["US"]).json()
        listed += page["items"]
        if not page["next"]:
            break
        after = int(page["next"])
    assert [m["seq"] for m in listed] == list(range(1, 81))
    page = server.get("/v1/tracks/il-sy/messages?after=40&limit=5", cell["US"]).json()
    assert [m["seq"] for m in page["items"]] == [41, 42, 43, 44, 45] and page["next"] == "45"
    logged = [e["event"]["payload"]["seq"] for e in entries(server, cell["US"])
              if e["event"]["type"] == "message.created"]
    assert logged == list(range(1, 81)), "seq order is the order of the log"


def test_mixed_script_text_round_trips_byte_exact(server, cell):
    s = SSE(server, "/v1/tracks/il-sy/events", cell["SY"])
    raw = json.dumps({"to": ["SY"], "precedence": "priority", "subject": "عاجل — דחוף — срочно",
                      "body": MIXED}, ensure_ascii=False).encode()
    r = post_raw(server, cell["IL"], "il-sy", raw)
    assert r.status_code == 201, r.text
    want_body = json.dumps(MIXED, ensure_ascii=False).encode()
    want_subject = json.dumps("عاجل — דחוף — срочно", ensure_ascii=False).encode()
    assert want_body in r.content and want_subject in r.content
    got = server.get(f"/v1/tracks/il-sy/messages/{r.json()['id']}", cell["SY"])
    assert want_body in got.content, "GET returns the stored bytes unchanged"
    assert got.json()["body"] == MIXED
    listed = server.get("/v1/tracks/il-sy/messages", cell["SY"])
    assert want_body in listed.content
    ev = s.until(lambda e: e["type"] == "message.created")[-1]
    assert want_body in ev["data"], "the event carries the same bytes"
    s.close()


def test_invalid_messages_are_refused_and_store_nothing(server, cell):
    good = {"to": ["SY"], "precedence": "routine", "subject": "s", "body": "b"}
    before = server.log_size()
    cases = [
        (b'{"to":["SY"],"precedence":"routine","subject":"s","body":"bad \xff\xfe utf-8"}', 400),
        (b'{"to":["SY"],"precedence":"routine","subject":"s","body":"\xed\xa0\x80 surrogate"}', 400),
        (json.dumps({**good, "body": ""}).encode(), 422),
        (json.dumps({**good, "body": "a" * (64 * 1024 + 1)}).encode(), 422),
        (json.dumps({**good, "body": "ب" * (32 * 1024 + 1)}).encode(), 422),  # 64 KiB is bytes, not characters
        (json.dumps({**good, "precedence": "urgent"}).encode(), 422),
        (json.dumps({**good, "to": ["TR"]}).encode(), 422),   # a party, but not of il-sy
        (json.dumps({**good, "to": ["ZZ"]}).encode(), 422),   # no such party
        (json.dumps({**good, "to": []}).encode(), 422),
        (json.dumps({**good, "to": "everyone"}).encode(), 422),
        (json.dumps({**good, "to": ["SY", "SY"]}).encode(), 422),
        (json.dumps({**good, "to": [7]}).encode(), 400),
        (json.dumps({k: v for k, v in good.items() if k != "subject"}).encode(), 400),
        (json.dumps({k: v for k, v in good.items() if k != "to"}).encode(), 400),
        (json.dumps({**good, "refs": [{"type": "spaceship", "id": "x"}]}).encode(), 422),
        (json.dumps({**good, "ack_required": "yes"}).encode(), 400),
        (json.dumps({**good, "body": "nul \u0000 inside"}).encode(), 400),
    ]
    for raw, status in cases:
        problem(post_raw(server, cell["IL"], "il-sy", raw), status)
    assert server.log_size() == before
    assert server.get("/v1/tracks/il-sy/messages", cell["IL"]).json()["items"] == []
    # The limits are inclusive: exactly 64 KiB is accepted.
    assert post_raw(server, cell["IL"], "il-sy", json.dumps({**good, "body": "a" * 65536}).encode()).status_code == 201


def test_who_may_send(server, cell):
    fast_track(cell, "obs", [("IL", "principal"), ("SY", "principal"), ("AZ", "host"), ("TR", "observer")])
    before = server.log_size()
    body = {"to": "all", "precedence": "routine", "subject": "s", "body": "b"}
    problem(server.post("/v1/tracks/obs/messages", cell["AZ"], body), 403)   # a host does not send
    problem(server.post("/v1/tracks/obs/messages", cell["TR"], body), 403)   # nor an observer
    problem(server.post("/v1/tracks/obs/messages", cell["US"], body), 404)   # not a member
    problem(server.post("/v1/tracks/obs/messages", cell.admin, body), 403)   # the cell admin sees no content
    problem(server.post("/v1/tracks/obs/messages", cell["IL"], {**body, "to": ["TR"]}), 422)  # observers read none
    assert server.log_size() == before
    m = send(server, cell["IL"], "obs", "all")
    assert sorted(m["addressees"]) == ["AZ", "SY"], "all = every member who reads messages, but the sender"
    problem(server.get(f"/v1/tracks/obs/messages/{m['id']}", cell["TR"]), 404)
    problem(server.get("/v1/tracks/obs/messages", cell["TR"]), 403)  # an observer never sees a message


def test_ack_due_follows_the_precedence_and_the_track_setting(server, cell):
    expect = {"flash": 5 * 60, "immediate": 30 * 60, "priority": 3 * 3600}
    for prec, secs in expect.items():
        m = send(server, cell["IL"], "il-sy", ["SY"], precedence=prec, ack_required=True)
        assert m["ack_required"] is True
        delta = parse_time(m["ack_due"]) - parse_time(m["created_at"])
        assert delta.total_seconds() == secs, prec
    for prec in ("flash", "immediate"):
        assert send(server, cell["IL"], "il-sy", ["SY"], precedence=prec)["ack_required"] is True
    for prec in ("routine", "priority"):
        m = send(server, cell["IL"], "il-sy", ["SY"], precedence=prec)
        assert m["ack_required"] is False and "ack_due" not in m
    m = send(server, cell["IL"], "il-sy", ["SY"], precedence="flash", ack_required=False)
    assert m["ack_required"] is False and "ack_due" not in m
    r = server.call("PATCH", "/v1/tracks/il-sy", cell.admin, json_body={"settings": {"ack_deadline": {"flash": "PT90S"}}})
    assert r.status_code == 200, r.text
    m = send(server, cell["IL"], "il-sy", ["SY"], precedence="flash")
    assert (parse_time(m["ack_due"]) - parse_time(m["created_at"])).total_seconds() == 90
    assert m["seq"] >= 1 and m["escalated"] is False and m["acks"] == []


def test_ack_rules(server, cell):
    m = send(server, cell["IL"], "il-sy", ["SY"], precedence="immediate")
    path = f"/v1/tracks/il-sy/messages/{m['id']}/ack"
    before = server.log_size()
    problem(server.post(path, cell["RU"], {}), 403)   # the mediator sees it but is not an addressee
    problem(server.post(path, cell["IL"], {}), 403)   # nor is the sender
    problem(server.post(path, cell["TR"], {}), 404)   # not in the track
    problem(server.post(f"/v1/tracks/il-sy/messages/msg_nope/ack", cell["SY"], {}), 404)
    assert server.log_size() == before
    r = server.post(path, cell["SY"], {})
    assert r.status_code == 200, r.text
    acked = r.json()
    assert acked["id"] == m["id"] and acked["acks"] == ["SY"] and acked["awaiting"] == []
    assert acked["version"] == m["version"] + 1
    assert [a["party"] for a in acked["acknowledgements"]] == ["SY"]
    after = server.log_size()
    assert after == before + 1
    problem(server.post(path, cell["SY"], {}), 409)   # rule 7: a second ack
    assert server.log_size() == after
    assert server.get(f"/v1/tracks/il-sy/messages/{m['id']}", cell["SY"]).json()["acks"] == ["SY"]


def test_unaddressed_party_cannot_read_a_message_nor_get_its_event(server, cell):
    az = SSE(server, "/v1/events", cell["AZ"])
    private = send(server, cell["TR"], "tr-il", ["IL"], subject="private to IL")
    public = send(server, cell["TR"], "tr-il", "all", subject="to all")
    got = az.until(lambda e: e["json"]["payload"].get("id") == public["id"])
    assert private["id"] not in [e["json"]["payload"].get("id") for e in got]
    assert private["id"].encode() not in bytes(az.raw)
    az.close()
    problem(server.get(f"/v1/tracks/tr-il/messages/{private['id']}", cell["AZ"]), 404)
    ids = [m["id"] for m in server.get("/v1/tracks/tr-il/messages", cell["AZ"]).json()["items"]]
    assert ids == [public["id"]]
    assert private["id"] not in json.dumps(entries(server, cell["AZ"]))
    # The addressee and the sender do see it.
    assert server.get(f"/v1/tracks/tr-il/messages/{private['id']}", cell["IL"]).status_code == 200
    assert server.get(f"/v1/tracks/tr-il/messages/{private['id']}", cell["TR"]).status_code == 200


def escalations(server, token, msg_id):
    return [e for e in entries(server, token)
            if e["event"]["type"] == "message.escalated" and e["event"]["payload"]["id"] == msg_id]


def test_unacked_flash_escalates_once_to_those_who_see_it_and_always_to_overseers(server, cell):
    fast_track(cell, "fl", [("IL", "principal"), ("SY", "principal"), ("TR", "principal"),
                            ("US", "supervisor"), ("RU", "mediator"), ("AZ", "host")], flash="PT5M")
    streams = {p: SSE(server, "/v1/events", cell[p]) for p in ("IL", "SY", "TR", "US", "RU", "AZ")}
    late = send(server, cell["IL"], "fl", ["SY"], precedence="flash", subject="unanswered")
    answered = send(server, cell["IL"], "fl", ["SY"], precedence="flash", subject="answered")
    assert server.post(f"/v1/tracks/fl/messages/{answered['id']}/ack", cell["SY"], {}).status_code == 200
    server.advance("PT5M1S")   # past ack_due: the escalation is committed when this answers
    for p in ("US", "RU", "IL", "SY"):   # overseers, the sender, the addressee
        got = streams[p].until(lambda e: e["type"] == "message.escalated", timeout=8)
        assert got[-1]["json"]["payload"]["id"] == late["id"], p
        assert got[-1]["json"]["payload"]["escalated"] is True
    server.advance("PT2S")  # sweeps past the deadline again: a second escalation would show now
    for p, s in streams.items():
        rest = [e for e in s.drain(0.3) if e["type"] == "message.escalated"]
        assert rest == [], f"{p} got a second escalation: {rest}"
    for p in ("TR", "AZ"):   # principals not addressed and hosts do not see the message
        seen = [e for e in streams[p].seen if "message" in e["type"]]
        assert seen == [], p
    for s in streams.values():
        s.close()
    assert len(escalations(server, cell["US"], late["id"])) == 1
    assert len(escalations(server, cell["RU"], late["id"])) == 1
    assert escalations(server, cell["TR"], late["id"]) == []
    assert escalations(server, cell["US"], answered["id"]) == []
    m = server.get(f"/v1/tracks/fl/messages/{late['id']}", cell["US"]).json()
    assert m["escalated"] is True and m["awaiting"] == ["SY"]
    assert server.get(f"/v1/tracks/fl/messages/{answered['id']}", cell["US"]).json()["escalated"] is False
    # A late acknowledgement is still recorded; the escalation stands.
    r = server.post(f"/v1/tracks/fl/messages/{late['id']}/ack", cell["SY"], {})
    assert r.status_code == 200 and r.json()["escalated"] is True and r.json()["acks"] == ["SY"]


def test_restart_across_the_deadline_escalates_exactly_once(server, cell):
    fast_track(cell, "rs", [("IL", "principal"), ("SY", "principal"), ("US", "supervisor")], flash="PT5M")
    m = send(server, cell["IL"], "rs", ["SY"], precedence="flash")
    server.stop()
    server.advance("PT6M")  # the deadline passes while tansiqd is down
    server.start()
    wait_until(lambda: escalations(server, cell["US"], m["id"]), "the missed deadline fires at start")
    server.advance("PT1S")  # a sweep after the first: nothing fires twice
    assert len(escalations(server, cell["US"], m["id"])) == 1
    server.stop()
    server.start()
    server.advance("PT1S")
    assert len(escalations(server, cell["US"], m["id"])) == 1, "a fired deadline does not fire again"
    assert server.get(f"/v1/tracks/rs/messages/{m['id']}", cell["SY"]).json()["escalated"] is True
