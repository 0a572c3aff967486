"""The walking skeleton: cell administration, tracks, errors, idempotency, durability."""
import base64
import json
import os
import stat
import subprocess

import requests

import pytest
from conftest import STORE, TANSIQD, Server, problem


def test_health_answers_without_a_token(server):
    r = server.get("/v1/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["store"] == STORE
    assert body["node"]
    assert body["log_size"] >= 1  # the cell admin's creation is the first event


def test_init_creates_private_key_and_refuses_a_second_time(tmp_path):
    data = tmp_path / "d"
    out = subprocess.run([TANSIQD, "init", "--data", str(data)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1].startswith("tq_")
    assert stat.S_IMODE(os.stat(data / "server.key").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(data).st_mode) == 0o700
    before = (data / "tansiq.db").read_bytes()
    again = subprocess.run([TANSIQD, "init", "--data", str(data)], capture_output=True, text=True)
    assert again.returncode == 1
    assert "already initialised" in again.stderr
    assert (data / "tansiq.db").read_bytes() == before


def test_server_refuses_a_key_readable_by_others(tmp_path):
    s = Server(tmp_path / "d")
    s.init()
    os.chmod(tmp_path / "d" / "server.key", 0o644)
    out = subprocess.run([TANSIQD, "--data", s.data, *s.store_args, "--listen", "127.0.0.1:1"], capture_output=True,
                         text=True, timeout=30)
    assert out.returncode == 1
    assert "0600" in out.stderr


def test_unknown_data_dir_exits_2(tmp_path):
    out = subprocess.run([TANSIQD, "--data", str(tmp_path / "nothing")], capture_output=True, text=True, timeout=30)
    assert out.returncode == 2


def test_bad_usage_exits_1():
    out = subprocess.run([TANSIQD, "--bogus"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 1


def test_non_loopback_without_tls_is_refused(tmp_path):
    s = Server(tmp_path / "d")
    s.init()
    out = subprocess.run([TANSIQD, "--data", s.data, "--listen", "0.0.0.0:0"], capture_output=True, text=True,
                         timeout=30)
    assert out.returncode == 1
    assert "TLS" in out.stderr


def test_admin_creates_parties_users_tracks(cell, server):
    parties = server.get("/v1/parties", cell["SY"]).json()
    assert [p["id"] for p in parties["items"]] == ["AZ", "IL", "RU", "SY", "TR", "US"]
    assert parties["next"] is None
    one = server.get("/v1/parties/IL", cell["SY"]).json()
    assert one["name"] == "Israel" and one["version"] == 1 and one["created_at"].endswith("Z")


def test_member_sees_its_tracks_with_role(cell, server):
    r = server.get("/v1/tracks", cell["IL"])
    assert r.status_code == 200
    roles = {t["id"]: t["my_role"] for t in r.json()["items"]}
    assert roles == {"il-sy": "principal", "ru-il": "principal", "tr-il": "principal"}
    us = {t["id"]: t["my_role"] for t in server.get("/v1/tracks", cell["US"]).json()["items"]}
    assert us == {"il-sy": "supervisor"}
    az = server.get("/v1/tracks/tr-il", cell["AZ"]).json()
    assert az["my_role"] == "host"
    assert az["settings"]["ack_deadline"]["flash"] == "PT5M"
    assert az["settings"]["separation_m"] == 1000


def test_track_settings_have_the_contract_defaults(cell, server):
    s = server.get("/v1/tracks/il-sy", cell["IL"]).json()["settings"]
    assert s == {"separation_m": 1000, "vertical_separation_m": 300, "time_margin": "PT10M", "min_notice": "PT1H",
                 "ack_deadline": {"flash": "PT5M", "immediate": "PT30M", "priority": "PT3H", "routine": "P1D"},
                 "threat_response": "PT2H", "dispute_response": "P2D", "dispute_resolution": "P14D"}


def test_non_member_gets_the_same_404_as_for_a_missing_track(cell, server):
    hidden = server.get("/v1/tracks/il-sy", cell["TR"])
    missing = server.get("/v1/tracks/no-such", cell["TR"])
    a, b = problem(hidden, 404), problem(missing, 404)
    assert a == b
    assert "il-sy" not in [t["id"] for t in server.get("/v1/tracks", cell["TR"]).json()["items"]]


def test_cell_admin_sees_every_track_without_a_role(cell, server):
    items = server.get("/v1/tracks", cell.admin).json()["items"]
    assert sorted(t["id"] for t in items) == ["il-sy", "ru-il", "tr-il"]
    assert all(t["my_role"] is None for t in items)


def test_viewer_cannot_write(cell, server):
    r = server.post("/v1/users", server.admin, {"name": "il-watch", "party": "IL", "role": "viewer"})
    assert r.status_code == 201
    viewer = r.json()["token"]
    assert server.get("/v1/tracks/il-sy", viewer).json()["my_role"] == "principal"
    size = server.log_size()
    problem(server.post("/v1/parties", viewer, {"id": "XX", "name": "x"}), 403)
    assert server.log_size() == size


def test_operator_is_not_cell_admin(cell, server):
    problem(server.post("/v1/parties", cell["IL"], {"id": "XX", "name": "x"}), 403)
    problem(server.post("/v1/tracks", cell["IL"], {"id": "x", "name": "x", "members": []}), 403)


def test_deleted_users_token_is_refused_at_once(cell, server):
    r = server.post("/v1/users", server.admin, {"name": "tmp", "party": "SY", "role": "operator"})
    uid, tok = r.json()["id"], r.json()["token"]
    assert server.get("/v1/tracks", tok).status_code == 200
    d = server.call("DELETE", f"/v1/users/{uid}", server.admin)
    assert d.status_code == 204
    problem(server.get("/v1/tracks", tok), 401)
    problem(server.call("DELETE", f"/v1/users/{uid}", server.admin), 404)


@pytest.mark.sqlite_only
def test_token_is_stored_hashed(cell, server):
    db = open(os.path.join(server.data, "tansiq.db"), "rb").read()
    wal = os.path.join(server.data, "tansiq.db-wal")
    if os.path.exists(wal):
        db += open(wal, "rb").read()
    assert cell["IL"].encode() not in db
    assert server.admin.encode() not in db


def test_missing_and_unknown_tokens_get_401(server):
    problem(server.get("/v1/tracks"), 401)
    problem(server.get("/v1/tracks", "tq_not-a-token"), 401)


def test_malformed_json_is_400_and_changes_nothing(server):
    size = server.log_size()
    r = server.call("POST", "/v1/parties", server.admin, data=b'{"id": "IL",',
                    headers={"Content-Type": "application/json"})
    assert "malformed JSON" in problem(r, 400)["detail"]
    assert server.log_size() == size


def test_wrong_types_are_400_naming_the_field(server):
    size = server.log_size()
    body = problem(server.post("/v1/parties", server.admin, {"id": 7, "name": "x"}), 400)
    assert body["errors"][0]["field"] == "id"
    body = problem(server.post("/v1/tracks", server.admin, {"id": "t", "name": "t", "members": "IL"}), 400)
    assert body["errors"][0]["field"] == "members"
    assert server.log_size() == size


def test_unknown_party_in_members_is_422(cell, server):
    size = server.log_size()
    body = problem(server.post("/v1/tracks", server.admin,
                               {"id": "x-y", "name": "x", "members": [{"party": "IL", "role": "principal"},
                                                                      {"party": "ZZ", "role": "principal"}]}), 422)
    assert body["errors"][0]["field"] == "members[1].party"
    assert server.log_size() == size
    problem(server.get("/v1/tracks/x-y", server.admin), 404)


def test_invalid_values_are_422(cell, server):
    size = server.log_size()
    problem(server.post("/v1/parties", server.admin, {"id": "il", "name": "lower"}), 422)
    problem(server.post("/v1/tracks", server.admin, {"id": "Bad_Id", "name": "x",
                                                     "members": [{"party": "IL", "role": "principal"}]}), 422)
    problem(server.post("/v1/tracks", server.admin, {"id": "t1", "name": "x",
                                                     "members": [{"party": "IL", "role": "king"}]}), 422)
    body = problem(server.post("/v1/tracks", server.admin, {"id": "t2", "name": "x",
                                                            "members": [{"party": "IL", "role": "principal"}],
                                                            "settings": {"time_margin": "soon"}}), 422)
    assert body["errors"][0]["field"] == "settings.time_margin"
    problem(server.post("/v1/users", server.admin, {"name": "u", "party": "QQ", "role": "operator"}), 422)
    assert server.log_size() == size


def test_body_over_the_limit_is_413(server):
    size = server.log_size()
    big = b'{"id":"AB","name":"' + b"x" * (1024 * 1024) + b'"}'
    r = server.call("POST", "/v1/parties", server.admin, data=big, headers={"Content-Type": "application/json"})
    problem(r, 413)
    assert server.log_size() == size


def test_wrong_content_type_is_415(server):
    r = server.call("POST", "/v1/parties", server.admin, data=b'{"id":"AB","name":"x"}',
                    headers={"Content-Type": "text/plain"})
    problem(r, 415)


def test_json_nested_too_deep_is_400(server):
    deep = '{"id":"AB","name":"x","extra":' + "[" * 40 + "]" * 40 + "}"
    r = server.call("POST", "/v1/parties", server.admin, data=deep, headers={"Content-Type": "application/json"})
    assert "deeper" in problem(r, 400)["detail"]


def test_duplicate_keys_are_400(server):
    r = server.call("POST", "/v1/parties", server.admin, data='{"id":"AB","id":"CD","name":"x"}',
                    headers={"Content-Type": "application/json"})
    problem(r, 400)


def test_wrong_method_is_405_and_unknown_path_404(server):
    problem(server.call("PUT", "/v1/parties", server.admin, json_body={}), 405)
    problem(server.get("/v1/nothing-here", server.admin), 404)


def test_idempotency_key_replays_the_first_answer(server):
    h = {"Idempotency-Key": "k-1"}
    first = server.post("/v1/parties", server.admin, {"id": "IL", "name": "Israel"}, headers=h)
    assert first.status_code == 201
    size = server.log_size()
    again = server.post("/v1/parties", server.admin, {"id": "IL", "name": "Israel"}, headers=h)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert server.log_size() == size
    other = server.post("/v1/parties", server.admin, {"id": "SY", "name": "Syria"}, headers=h)
    problem(other, 409)
    assert server.log_size() == size
    problem(server.get("/v1/parties/SY", server.admin), 404)


def test_duplicate_party_is_409(server):
    assert server.post("/v1/parties", server.admin, {"id": "IL", "name": "Israel"}).status_code == 201
    problem(server.post("/v1/parties", server.admin, {"id": "IL", "name": "Again"}), 409)


def test_track_patch_merges_settings_and_checks_if_match(cell, server):
    r = server.call("PATCH", "/v1/tracks/il-sy", server.admin, json_body={"settings": {"ack_deadline": {"flash": "PT2S"}}})
    assert r.status_code == 200, r.text
    t = r.json()
    assert t["version"] == 2
    assert t["settings"]["ack_deadline"] == {"flash": "PT2S", "immediate": "PT30M", "priority": "PT3H", "routine": "P1D"}
    stale = server.call("PATCH", "/v1/tracks/il-sy", server.admin, json_body={"settings": {"separation_m": 5}},
                        headers={"If-Match": "1"})
    problem(stale, 409)
    r = server.call("PATCH", "/v1/tracks/il-sy", server.admin,
                    json_body={"members": [{"party": "IL", "role": "principal"}, {"party": "SY", "role": "principal"},
                                           {"party": "US", "role": "supervisor"}, {"party": "RU", "role": "mediator"},
                                           {"party": "TR", "role": "observer"}]}, headers={"If-Match": "2"})
    assert r.status_code == 200, r.text
    assert server.get("/v1/tracks/il-sy", cell["TR"]).json()["my_role"] == "observer"


def test_lists_paginate_with_limit_and_after(cell, server):
    page = server.get("/v1/parties?limit=4", cell["IL"]).json()
    assert [p["id"] for p in page["items"]] == ["AZ", "IL", "RU", "SY"]
    assert page["next"] == "SY"
    rest = server.get(f"/v1/parties?limit=4&after={page['next']}", cell["IL"]).json()
    assert [p["id"] for p in rest["items"]] == ["TR", "US"] and rest["next"] is None
    problem(server.get("/v1/parties?limit=0", cell["IL"]), 400)
    problem(server.get("/v1/parties?limit=1001", cell["IL"]), 400)


def test_checkpoint_is_a_signed_note_covering_the_whole_log(cell, server):
    size = server.log_size()
    note = server.get("/v1/log/checkpoint", cell["IL"])
    assert note.status_code == 200
    lines = note.text.split("\n")
    origin = lines[0]
    assert int(lines[1]) == size
    assert len(base64.b64decode(lines[2])) == 32
    assert lines[3] == ""
    assert lines[4].startswith("\u2014 " + origin + " ")
    vkey = server.get("/v1/log/key", cell["IL"]).json()["vkey"]
    name, keyid, key = vkey.split("+", 2)
    assert name == origin and len(keyid) == 8 and base64.b64decode(key)[0] == 1
    sig = base64.b64decode(lines[4].split(" ")[2])
    assert sig[:4].hex() == keyid and len(sig) == 68


def test_acknowledged_write_survives_kill_9(tmp_path):
    s = Server(tmp_path / "d")
    s.init()
    s.start()
    r = s.post("/v1/parties", s.admin, {"id": "IL", "name": "Israel"})
    assert r.status_code == 201
    size = s.log_size()
    s.kill9()
    s.start()
    try:
        assert s.get("/v1/parties/IL", s.admin).json()["name"] == "Israel"
        note = s.get("/v1/log/checkpoint", s.admin).text.split("\n")
        assert int(note[1]) == size
    finally:
        s.stop()


def test_demo_seeds_the_scenario_and_writes_tokens(tmp_path):
    s = Server(tmp_path / "demo")
    s.start("--demo")
    try:
        assert "listening on http://127.0.0.1:" in s.banner
        tokens = json.load(open(os.path.join(s.data, "demo-tokens.json")))
        passwords = json.load(open(os.path.join(s.data, "demo-passwords.json")))
        assert set(tokens) == {"admin", "IL", "SY", "TR", "RU", "US", "AZ"}
        assert set(passwords) == {"il", "sy", "tr", "ru", "us", "az"}
        assert stat.S_IMODE(os.stat(os.path.join(s.data, "demo-passwords.json")).st_mode) == 0o600
        tracks = s.get("/v1/tracks", tokens["IL"]).json()["items"]
        assert {t["id"] for t in tracks} == {"il-sy", "tr-il", "ru-il"}
        assert [t["id"] for t in s.get("/v1/tracks", tokens["TR"]).json()["items"]] == ["tr-il"]
    finally:
        s.stop()
    # A second start on the same directory keeps the data and does not seed again.
    s.start("--demo")
    try:
        assert len(s.get("/v1/parties", s.admin if s.admin else tokens["admin"]).json()["items"]) == 6
    finally:
        s.stop()


def test_malformed_json_quoting_half_a_character_still_gets_a_problem_body(server):
    # Found by fuzzing: jansson's error text quotes the bytes near the error and may cut a UTF-8
    # character in half; the problem document must stay valid JSON.
    raw = b'{"name":"\\' + "\u0639".encode() + b'"}'
    r = server.call("POST", "/v1/parties", server.admin, data=raw, headers={"Content-Type": "application/json"})
    body = problem(r, 400)
    assert "malformed JSON" in body["detail"]
