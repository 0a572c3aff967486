"""Audiences are never cut (issue 17, "Audiences cut silently"): in the largest legal track
(TQ_MAX_TRACK_MEMBERS = 64 members, party ids of 8 characters) every member sees a message to all
in the list, in its live stream, in a resumed stream and in the log."""
from conftest import problem
from test_events import SSE, entries, send

MAX_MEMBERS = 64


def party(i):
    return f"Q{i:07d}"   # 8 characters, the longest party id


def test_largest_track_every_member_sees_a_message_to_all(server):
    tokens = {}
    for i in range(MAX_MEMBERS):
        p = party(i)
        assert server.post("/v1/parties", server.admin, {"id": p, "name": p}).status_code == 201
        r = server.post("/v1/users", server.admin, {"name": p.lower(), "party": p, "role": "operator"})
        assert r.status_code == 201, r.text
        tokens[p] = r.json()["token"]
    members = [{"party": p, "role": "principal"} for p in tokens]
    r = server.post("/v1/tracks", server.admin, {"id": "big", "name": "big", "members": members})
    assert r.status_code == 201, r.text
    # One member more than the limit is refused, so this is the largest legal track.
    assert server.post("/v1/parties", server.admin, {"id": "QEXTRA", "name": "x"}).status_code == 201
    over = members + [{"party": "QEXTRA", "role": "principal"}]
    problem(server.post("/v1/tracks", server.admin, {"id": "bigger", "name": "x", "members": over}), 422)

    sender, last = party(0), [party(i) for i in range(MAX_MEMBERS - 4, MAX_MEMBERS)]
    before = server.log_size()
    live = {p: SSE(server, "/v1/tracks/big/events", tokens[p]) for p in last}
    for s in live.values():
        assert s.status == 200
    m = send(server, tokens[sender], "big", "all", subject="to everyone")
    assert sorted(m["addressees"]) == sorted(p for p in tokens if p != sender)

    # The live streams of the last members (those a fixed 512-byte audience dropped).
    for p, s in live.items():
        got = s.until(lambda e: e["type"] == "message.created" and e["json"]["payload"]["id"] == m["id"])
        assert got[-1]["json"]["payload"]["subject"] == "to everyone", p
        s.close()
    for p, tok in tokens.items():
        # The list.
        ids = [x["id"] for x in server.get("/v1/tracks/big/messages", tok).json()["items"]]
        assert ids == [m["id"]], p
        # A stream resumed from before the message.
        s = SSE(server, f"/v1/tracks/big/events?after={before - 1}", tok)
        got = s.until(lambda e: e["type"] == "message.created")
        assert got[-1]["json"]["payload"]["id"] == m["id"], p
        s.close()
        # The log.
        created = [e for e in entries(server, tok, before) if e["event"]["type"] == "message.created"]
        assert [e["event"]["payload"]["id"] for e in created] == [m["id"]], p


def test_membership_is_read_from_the_index_and_follows_changes_at_once(server, cell):
    """Membership is looked up before the track is loaded (issue 17: a secret track's existence showed in
    timing); the index must follow every change of the members, and a secret track must answer exactly like
    one that does not exist."""
    secret = server.get("/v1/tracks/il-sy/zones", cell["TR"])
    none = server.get("/v1/tracks/no-such-track/zones", cell["TR"])
    assert secret.status_code == none.status_code == 404
    assert secret.json()["detail"] == none.json()["detail"]
    members = [{"party": "IL", "role": "principal"}, {"party": "TR", "role": "observer"}]
    r = server.call("PATCH", "/v1/tracks/il-sy", server.admin, json_body={"members": members})
    assert r.status_code == 200, r.text
    assert server.get("/v1/tracks/il-sy/zones", cell["TR"]).status_code == 200      # added: an observer
    problem(server.get("/v1/tracks/il-sy/zones", cell["SY"]), 404)                  # removed
    problem(server.get("/v1/tracks/il-sy/messages", cell["TR"]), 403)               # the role came along
    assert server.get("/v1/tracks/il-sy", cell["TR"]).json()["my_role"] == "observer"
    # The cell admin sees the track's metadata without being a member.
    assert server.get("/v1/tracks/il-sy", server.admin).status_code == 200
