"""Conflict-engine reads off the write path (issue 12: "the conflict engines behind a reader-writer
lock"): while a declaration is held just before its COMMIT (test hook: its batch applied in the open
shared transaction, the engine changed, the writers' lock held — the window a writer's fsync
holds), a dry-run check, the GeoJSON export (bbox) and a declaration read with its conflicts answer
at once, and none of them shows the held declaration; once it commits, all of them do.

The reads are bounded (a read that waits for the held write times out and fails the test); the hold
is released only after they answered, and the hook says it was still held then.

PostgreSQL readers still take the app lock (README, Performance), so this is SQLite only.
"""
import threading

import pytest
import requests

from conftest import Cell, Server
from test_zones import activity_body, box

TRACK = "il-sy"
A = box(35.80, 33.00, 35.90, 33.10)   # where the held declaration goes
B = box(35.85, 33.05, 35.95, 33.15)   # the probe: overlaps A
FAR = box(36.50, 33.50, 36.60, 33.60)
READ_TIMEOUT = 10  # seconds; the hold lasts until release (at most 60 s)


def bounded(s, method, path, token, body=None):
    """One request that must answer within READ_TIMEOUT: a read waiting for the held write fails."""
    try:
        return requests.request(method, s.url + path, json=body, timeout=READ_TIMEOUT,
                                headers={"Authorization": f"Bearer {token}"})
    except requests.Timeout:
        pytest.fail(f"{method} {path} waited for the held write (no answer within {READ_TIMEOUT} s)")


def check_ids(s, token, probe):
    r = bounded(s, "POST", f"/v1/tracks/{TRACK}/check", token, probe)
    assert r.status_code == 200, r.text
    return [(c["kind"], sorted(x["id"] for x in c["subjects"])) for c in r.json()["conflicts"]]


def exported_ids(s, token):
    r = bounded(s, "GET", f"/v1/tracks/{TRACK}/features.geojson?bbox=35.7,32.9,36.0,33.2", token)
    assert r.status_code == 200, r.text
    return {f["properties"].get("id") for f in r.json()["features"] if f["properties"]["layer"] == "activity"}


def test_engine_reads_answer_and_see_nothing_of_a_held_declaration(tmp_path):
    s = Server(tmp_path / "d")
    s.init()
    s.start("--rate-limit", "0")
    try:
        cell = Cell(s)
        # A declaration with a conflict, read back with its conflicts during the hold.
        first = s.post(f"/v1/tracks/{TRACK}/activities", cell["IL"], activity_body(geometry=FAR))
        assert first.status_code == 201, first.text
        other = s.post(f"/v1/tracks/{TRACK}/activities", cell["SY"], activity_body("uav", geometry=FAR))
        assert other.status_code == 201, other.text
        known = other.json()["conflicts"]
        assert len(known) == 1, other.text
        probe = dict(activity_body("strike", geometry=B), type="activity")
        assert check_ids(s, cell["SY"], probe) == []

        armed = s.post("/v1/test/hold-write", s.admin, {"track": TRACK, "next_write": True})
        assert armed.status_code == 200, armed.text
        answers = []

        def declare():
            answers.append(requests.post(f"{s.url}/v1/tracks/{TRACK}/activities", json=activity_body(geometry=A),
                                         headers={"Authorization": f"Bearer {cell['IL']}"}, timeout=90))

        writer = threading.Thread(target=declare)
        writer.start()
        released = None
        try:
            held = s.post("/v1/test/held", s.admin)
            assert held.status_code == 200, held.text
            assert held.json()["request"] == f"/v1/tracks/{TRACK}/activities"
            for _ in range(3):
                assert check_ids(s, cell["SY"], probe) == [], "a check saw a declaration not committed"
                assert exported_ids(s, cell["SY"]) == {first.json()["id"], other.json()["id"]}
                g = bounded(s, "GET", f"/v1/tracks/{TRACK}/activities/{other.json()['id']}", cell["SY"])
                assert g.status_code == 200, g.text
                assert [c["id"] for c in g.json()["conflicts"]] == [known[0]["id"]]
            assert writer.is_alive(), "the held declaration was answered while held"
        finally:
            released = s.post("/v1/test/release-write", s.admin)
            writer.join(90)
        assert released.status_code == 200, released.text
        assert released.json()["released"] is True, "the hold ran out before the reads answered"
        assert len(answers) == 1 and answers[0].status_code == 201, answers[0].text if answers else "no answer"
        new = answers[0].json()["id"]

        # Committed: every reader sees it now.
        assert check_ids(s, cell["SY"], probe) == [("activity_overlap", sorted(["check", new]))]
        assert exported_ids(s, cell["SY"]) == {first.json()["id"], other.json()["id"], new}
    finally:
        s.stop()


def test_a_held_withdrawal_keeps_the_committed_zone_for_checks(tmp_path):
    """A pending removal (a zone withdrawn, not committed) still shows the committed zone to a
    check; after the COMMIT it is gone."""
    s = Server(tmp_path / "d")
    s.init()
    s.start("--rate-limit", "0")
    try:
        cell = Cell(s)
        z = s.post(f"/v1/tracks/{TRACK}/zones", cell["IL"],
                   {"kind": "restricted_airspace", "name": "r", "geometry": A})
        assert z.status_code == 201, z.text
        zid = z.json()["id"]
        if z.json()["status"] == "proposed":
            acc = s.post(f"/v1/tracks/{TRACK}/zones/{zid}/accept", cell["SY"], {})
            assert acc.status_code == 200, acc.text
        probe = dict(activity_body("air_sortie", geometry=B), type="activity")
        before = check_ids(s, cell["SY"], probe)
        assert ("restricted_airspace_entry", sorted(["check", zid])) in before, before

        assert s.post("/v1/test/hold-write", s.admin, {"track": TRACK, "next_write": True}).status_code == 200
        answers = []

        def withdraw():
            answers.append(requests.delete(f"{s.url}/v1/tracks/{TRACK}/zones/{zid}",
                                           headers={"Authorization": f"Bearer {cell['IL']}"}, timeout=90))

        writer = threading.Thread(target=withdraw)
        writer.start()
        try:
            held = s.post("/v1/test/held", s.admin)
            assert held.status_code == 200, held.text
            assert check_ids(s, cell["SY"], probe) == before, "a check lost a zone whose withdrawal is not committed"
            assert writer.is_alive()
        finally:
            released = s.post("/v1/test/release-write", s.admin)
            writer.join(90)
        assert released.json()["released"] is True
        assert answers and answers[0].status_code in (200, 204), answers[0].text if answers else "no answer"
        after = check_ids(s, cell["SY"], probe)
        assert all(zid not in ids for _, ids in after), after
    finally:
        s.stop()
